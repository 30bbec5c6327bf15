package dev.dbsnap.storage;

import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * A place objects are written to and read from: a local directory or an S3-compatible bucket. Keys
 * are '/'-separated relative paths. Completion is atomic: a reader sees a whole object or none.
 * Implementations are thread-safe; every method may be called from any thread.
 *
 * <p>Failures are reported as {@link dev.dbsnap.DbsnapException} with code STORE_UNAVAILABLE
 * (cannot reach or denied) or UPLOAD_FAILED (a write failed after retries).
 */
public interface ObjectStore extends AutoCloseable {
  /** Where this store writes, for messages: a directory path or {@code s3://bucket/prefix}. */
  String describe();

  /** Checks that the store can be reached and written; throws STORE_UNAVAILABLE naming why. */
  void checkAccess();

  /** Writes a whole object in one request, replacing any object at that key. */
  void put(String key, byte[] data);

  /**
   * Starts a multipart upload to {@code key} whose parts have a fixed size: every part but the last
   * has exactly {@code partSize} bytes; the last at most {@code partSize}. Nothing is visible at
   * the key until the upload completes. A store may use the size to place each part at its offset
   * in the object (a local directory) or ignore it (S3, which has its own rules).
   *
   * @throws IllegalArgumentException when {@code partSize} is not positive, or the key is not one
   *     this store can hold
   * @throws dev.dbsnap.DbsnapException STORE_UNAVAILABLE or UPLOAD_FAILED when the upload cannot be
   *     started; nothing of it is left then
   */
  MultipartUpload startMultipart(String key, int partSize);

  /**
   * Re-attaches to a multipart upload started earlier (possibly by another process), with the part
   * size it was started with.
   *
   * @throws dev.dbsnap.DbsnapException RESUME_FAILED when the upload no longer exists
   */
  MultipartUpload resumeMultipart(String key, String uploadId);

  /** Opens an object for reading from its start. Throws STORE_UNAVAILABLE if it does not exist. */
  InputStream get(String key);

  /** Size and ETag of an object, or empty when there is none. */
  Optional<ObjectInfo> head(String key);

  /** Objects whose key starts with {@code prefix}, sorted by key. */
  List<ObjectInfo> list(String prefix);

  /** Deletes an object; no error when it does not exist. */
  void delete(String key);

  /** Multipart uploads started under {@code prefix} and neither completed nor aborted. */
  List<PendingUpload> pendingUploads(String prefix);

  /**
   * Removes what interrupted writes left under {@code prefix} that no object or open upload owns (a
   * local store's temporary files), last modified before {@code olderThan}, and returns a
   * description of each (its path). Objects and multipart uploads are never touched: abort what
   * {@link #pendingUploads} lists to free those. A store whose writes leave nothing behind (S3: an
   * unfinished upload is a pending upload) returns an empty list. Safe to call while other writes
   * run, as long as {@code olderThan} lies further back than any write takes.
   *
   * @throws dev.dbsnap.DbsnapException STORE_UNAVAILABLE when the store cannot be listed or a
   *     leftover cannot be removed; those removed by then stay removed
   */
  default List<String> removeLeftovers(String prefix, java.time.Instant olderThan) {
    return List.of();
  }

  /**
   * A URL that lets anyone holding it read {@code key} for {@code ttl}, or empty when this store
   * cannot presign (a local directory: serve the bytes instead).
   */
  default Optional<java.net.URI> presignedGet(String key, java.time.Duration ttl) {
    return Optional.empty();
  }

  @Override
  void close();
}
