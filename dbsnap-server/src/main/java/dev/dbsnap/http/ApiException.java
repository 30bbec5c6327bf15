package dev.dbsnap.http;

/**
 * A failure of the HTTP exchange itself that no {@link dev.dbsnap.ErrorCode} describes: malformed
 * syntax, a body too large or of the wrong type, an expired export, an unsatisfiable range.
 */
final class ApiException extends RuntimeException {
  final int status;
  final String type;
  final String field;

  ApiException(int status, String type, String field, String detail) {
    this(status, type, field, detail, null);
  }

  private ApiException(int status, String type, String field, String detail, Throwable cause) {
    super(detail, cause);
    this.status = status;
    this.type = type;
    this.field = field;
  }

  static ApiException badRequest(String detail) {
    return new ApiException(400, "malformed-request", null, detail);
  }

  /**
   * The request body could not be read: the client's framing was broken (a bad chunk, a body
   * shorter than its Content-Length, a connection closed mid-body), which is the client's fault and
   * never the server's.
   */
  static ApiException unreadableBody(Throwable cause) {
    return new ApiException(
        400,
        "malformed-request",
        null,
        "the request body could not be read: it ended early or its framing (chunked encoding,"
            + " Content-Length) is malformed",
        cause);
  }

  static ApiException tooLarge(int max) {
    return new ApiException(
        413,
        "content-too-large",
        null,
        "the request body is larger than the " + max + " bytes this server accepts");
  }

  static ApiException unsupportedMediaType(String contentType) {
    return new ApiException(
        415,
        "unsupported-media-type",
        null,
        "the request body must be application/json, not '" + contentType + "'");
  }

  static ApiException gone(String detail) {
    return new ApiException(410, "gone", null, detail);
  }
}
