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
 * describe its internals. What the HTTP parser refuses is the client's fault whatever its status
 * (Jetty answers 505 to an unknown HTTP version), so its type is always malformed-request.
 */
final class JettyProblems extends ErrorHandler {
  JettyProblems() {
    setShowStacks(false);
    setShowServlet(false);
  }

  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(HttpHeader.CONTENT_TYPE, Problems.CONTENT_TYPE);
    return ByteBuffer.wrap(document(status, "malformed-request", null));
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
    byte[] body =
        document(code, code >= 500 ? "internal" : "malformed-request", request.getRequestURI());
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  private static byte[] document(int status, String type, String instance) {
    var doc = JobJson.MAPPER.createObjectNode();
    doc.put("type", "https://dbsnap.dev/problems/" + type);
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
