package dev.dbsnap.storage;

import java.util.List;

/**
 * One multipart upload in progress. Thread-safe: parts may be uploaded concurrently. Part numbers
 * start at 1; uploading a number again replaces that part.
 */
public interface MultipartUpload {
  String key();

  /** The store's identifier of this upload, stored in checkpoints to resume it. */
  String uploadId();

  /**
   * Uploads one part, retrying retryable failures with backoff.
   *
   * @return the part's ETag
   * @throws dev.dbsnap.DbsnapException UPLOAD_FAILED after the retries
   */
  String uploadPart(int partNumber, byte[] data, int length);

  /** Completes the upload from {@code parts} in number order; the object becomes visible. */
  void complete(List<CompletedPart> parts);

  /** Aborts the upload and frees its parts; no error when it is already gone. */
  void abort();
}
