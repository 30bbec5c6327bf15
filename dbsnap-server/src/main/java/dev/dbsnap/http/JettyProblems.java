package dev.dbsnap.http;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Problem documents for what Jetty refuses before the API sees it (a malformed URI, headers too
 * large), instead of its HTML error pages. The detail is the status's title: Jetty's own reason may
 * describe its internals.
 */
final class JettyProblems extends ErrorHandler {
  JettyProblems() {
    setShowStacks(false);
    setShowServlet(false);
  }

  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(HttpHeader.CONTENT_TYPE, Problems.CONTENT_TYPE);
    return ByteBuffer.wrap(document(status, null));
  }

  @Override
  protected void generateAcceptableResponse(
      Request baseRequest,
      HttpServletRequest request,
      HttpServletResponse response,
      int code,
      String message)
      throws IOException {
    baseRequest.setHandled(true);
    response.setContentType(Problems.CONTENT_TYPE);
    byte[] body = document(code, request.getRequestURI());
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  private static byte[] document(int status, String instance) {
    var doc = JobJson.MAPPER.createObjectNode();
    doc.put(
        "type",
        "https://dbsnap.dev/problems/" + (status >= 500 ? "internal" : "malformed-request"));
    doc.put("title", Problems.title(status));
    doc.put("status", status);
    doc.put(
        "detail",
        "the server refused the request: "
            + Problems.title(status).toLowerCase(java.util.Locale.ROOT));
    if (instance != null) {
      doc.put("instance", instance);
    }
    return doc.toString().getBytes(StandardCharsets.UTF_8);
  }
}
