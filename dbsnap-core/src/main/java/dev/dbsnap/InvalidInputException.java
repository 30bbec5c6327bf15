package dev.dbsnap;

/**
 * A request or setting with a bad value, naming the field it came from ({@code partSize}, {@code
 * tables[2]}, {@code callbackUrl}) so that an API can point at it.
 */
public class InvalidInputException extends DbsnapException {
  private final String field;

  public InvalidInputException(ErrorCode code, String field, String message) {
    super(code, message);
    this.field = field;
  }

  /** The field that holds the bad value, as a client wrote it. */
  public String field() {
    return field;
  }
}
