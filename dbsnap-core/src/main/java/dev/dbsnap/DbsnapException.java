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

  /**
   * Whether trying again later may succeed: a lost connection may come back, a refused password
   * will not. By default what the {@link ErrorCode} says; subtypes that know the cause better, such
   * as {@link dev.dbsnap.source.SourceException}, override it.
   */
  public boolean isTransient() {
    return code.isTransient();
  }
}
