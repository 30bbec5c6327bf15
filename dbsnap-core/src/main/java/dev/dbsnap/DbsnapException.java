package dev.dbsnap;

/**
 * The one unchecked exception dbsnap throws for failures a user can act on. Each carries an {@link
 * ErrorCode}, which the CLI maps to an exit code and the HTTP API to a status.
 */
public class DbsnapException extends RuntimeException {
  private final ErrorCode code;

  public DbsnapException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public DbsnapException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
