package dev.dbsnap;

/**
 * What kind of failure a {@link DbsnapException} reports; each maps to one CLI exit code and says
 * whether a failure of its kind usually passes by itself.
 */
public enum ErrorCode {
  /** A setting or argument is invalid (bad part size, unknown format). */
  INVALID_ARGUMENT(2),
  /** The source database could not be reached or opened. */
  SOURCE_UNAVAILABLE(3, true),
  /** The source database refused the user name or password. */
  SOURCE_AUTHENTICATION_FAILED(3),
  /** The database named in the source URL does not exist on its server. */
  SOURCE_UNKNOWN_DATABASE(3),
  /** The source database denied the user access to the database or one of its tables. */
  SOURCE_PERMISSION_DENIED(3),
  /** A table named by the user does not exist in the source. */
  UNKNOWN_TABLE(4),
  /** The destination already holds an export and --overwrite was not given. */
  DESTINATION_NOT_EMPTY(5),
  /** The object store could not be reached or denied access. */
  STORE_UNAVAILABLE(6, true),
  /** Reading from the source failed mid-export. */
  SOURCE_READ_FAILED(7, true),
  /** An upload failed after its retries. */
  UPLOAD_FAILED(8, true),
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
  /**
   * A snapshot grew past the configured limit of bytes per snapshot; it was stopped and removed.
   */
  SNAPSHOT_TOO_LARGE(18),
  /** A snapshot was not ready within the time the caller would wait; its build goes on. */
  SNAPSHOT_NOT_READY(19, true),
  /**
   * The source holds an object dbsnap cannot carry (the message names it); asking to skip such
   * objects lists them in the manifest instead.
   */
  UNSUPPORTED_OBJECT(20),
  /** Anything else: a bug in dbsnap. */
  INTERNAL(70);

  private final int exitCode;
  private final boolean transientFailure;

  ErrorCode(int exitCode) {
    this(exitCode, false);
  }

  ErrorCode(int exitCode, boolean transientFailure) {
    this.exitCode = exitCode;
    this.transientFailure = transientFailure;
  }

  /** The exit code of the command line; several codes may share one. */
  public int exitCode() {
    return exitCode;
  }

  /**
   * Whether a failure of this kind may pass by itself, so that trying again later can succeed; a
   * {@link DbsnapException} may know better (see {@link DbsnapException#isTransient()}).
   */
  public boolean isTransient() {
    return transientFailure;
  }
}
