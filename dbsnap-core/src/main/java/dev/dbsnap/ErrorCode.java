package dev.dbsnap;

/** What kind of failure a {@link DbsnapException} reports; each maps to one CLI exit code. */
public enum ErrorCode {
  /** A setting or argument is invalid (bad part size, unknown format). */
  INVALID_ARGUMENT(2),
  /** The source database could not be reached, or refused the credentials. */
  SOURCE_UNAVAILABLE(3),
  /** A table named by the user does not exist in the source. */
  UNKNOWN_TABLE(4),
  /** The destination already holds an export and --overwrite was not given. */
  DESTINATION_NOT_EMPTY(5),
  /** The object store could not be reached or denied access. */
  STORE_UNAVAILABLE(6),
  /** Reading from the source failed mid-export. */
  SOURCE_READ_FAILED(7),
  /** An upload failed after its retries. */
  UPLOAD_FAILED(8),
  /** Objects do not match their manifest. */
  VERIFY_FAILED(9),
  /** Restoring into the target database failed. */
  RESTORE_FAILED(10),
  /** A checkpoint could not be used to resume. */
  RESUME_FAILED(11),
  /** The export was cancelled. */
  CANCELLED(12),
  /**
   * A job, source or object that was asked for does not exist (or is not visible to the caller).
   */
  NOT_FOUND(13),
  /**
   * The request conflicts with the current state: a finished job cannot be cancelled, an
   * idempotency key was reused with another body.
   */
  CONFLICT(14),
  /** No valid API token was given. */
  UNAUTHORIZED(15),
  /** The API token may not use this source. */
  FORBIDDEN(16),
  /** The dbsnap server could not be reached or is not ready. */
  SERVER_UNAVAILABLE(17),
  /** Anything else: a bug in dbsnap. */
  INTERNAL(70);

  private final int exitCode;

  ErrorCode(int exitCode) {
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
