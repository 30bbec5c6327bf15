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

  /** Starts a multipart upload to {@code key}; nothing is visible at the key until it completes. */
  MultipartUpload startMultipart(String key);

  /**
   * Re-attaches to a multipart upload started earlier (possibly by another process).
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
   * A URL that lets anyone holding it read {@code key} for {@code ttl}, or empty when this store
   * cannot presign (a local directory: serve the bytes instead).
   */
  default Optional<java.net.URI> presignedGet(String key, java.time.Duration ttl) {
    return Optional.empty();
  }

  /**
   * Removes what interrupted writes left under {@code prefix} that no object or open upload owns,
   * last modified before {@code olderThan}, and describes each. None by default.
   */
  default List<String> removeLeftovers(String prefix, java.time.Instant olderThan) {
    return List.of();
  }

  @Override
  void close();
}
