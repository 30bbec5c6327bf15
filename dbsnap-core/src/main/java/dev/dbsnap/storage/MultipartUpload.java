package dev.dbsnap.storage;

import java.util.List;

/**
 * One multipart upload in progress. Thread-safe: parts may be uploaded concurrently and in any
 * order, but not two uploads of the same number at once. Part numbers start at 1; uploading a
 * number again replaces that part. Parts have the size the upload was {@link
 * ObjectStore#startMultipart started} with: every part but the last exactly that many bytes, the
 * last at most that many.
 */
public interface MultipartUpload {
  String key();

  /** The store's identifier of this upload, stored in checkpoints to resume it. */
  String uploadId();

  /**
   * Uploads the first {@code length} bytes of {@code data} as part {@code partNumber}, retrying
   * retryable failures with backoff. The store does not keep {@code data} after returning.
   *
   * @return the part's ETag
   * @throws dev.dbsnap.DbsnapException UPLOAD_FAILED after the retries, when the upload was
   *     aborted, or at once when {@code length} exceeds the part size and the store places parts by
   *     it (a local directory); after a failure the part must be uploaded again before completing
   */
  String uploadPart(int partNumber, byte[] data, int length);

  /**
   * Completes the upload from {@code parts}, numbered 1 to n without gaps and given in any order;
   * the object, their bytes in number order, becomes visible at once.
   *
   * @throws dev.dbsnap.DbsnapException UPLOAD_FAILED when a part was not uploaded, its size or ETag
   *     differs from what was uploaded, the parts break the size rule (a local directory checks the
   *     part size; S3 only its 5 MiB minimum), or the object cannot be written; the upload then
   *     stays open, to be completed again or aborted, and nothing is visible at the key
   */
  void complete(List<CompletedPart> parts);

  /** Aborts the upload and frees its parts; no error when it is already gone. */
  void abort();
}
