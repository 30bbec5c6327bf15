package dev.dbsnap.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Locale;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.io.EofException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one mapping from failures to HTTP statuses and RFC 9457 problem documents. Details of
 * unexpected failures and of unavailable dependencies are logged, never returned.
 */
final class Problems {
  static final String CONTENT_TYPE = "application/problem+json";
  private static final String TYPE_BASE = "https://dbsnap.dev/problems/";
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

  private Problems() {}

  /** A problem document's content. */
  record Problem(int status, String type, String detail, String field) {}

  static Problem of(Throwable e) {
    if (e instanceof ApiException a) {
      if (a.getCause() != null) {
        // a body the client's framing broke: worth a line, never a stack trace
        LOG.info("answering {}: {} ({})", a.status, a.getMessage(), describe(a.getCause()));
      }
      return new Problem(a.status, a.type, a.getMessage(), a.field);
    }
    if (e instanceof DbsnapException d) {
      String field = d instanceof InvalidInputException i ? i.field() : null;
      String type = d.code().name().toLowerCase(Locale.ROOT).replace('_', '-');
      return switch (d.code()) {
        case INVALID_ARGUMENT, UNKNOWN_TABLE, UNSUPPORTED_OBJECT ->
            new Problem(422, type, d.getMessage(), field);
        case NOT_FOUND -> new Problem(404, type, d.getMessage(), field);
        case CONFLICT, CANCELLED -> new Problem(409, type, d.getMessage(), field);
        case UNAUTHORIZED -> new Problem(401, type, d.getMessage(), null);
        case SNAPSHOT_TOO_LARGE -> new Problem(413, type, d.getMessage(), field);
        case SNAPSHOT_NOT_READY -> new Problem(503, type, d.getMessage(), null);
        case FORBIDDEN -> new Problem(403, type, d.getMessage(), field);
        case SERVER_UNAVAILABLE -> unavailable(d, type, d.getMessage());
        case SOURCE_UNAVAILABLE, SOURCE_READ_FAILED ->
            unavailable(
                d,
                "source-unavailable",
                "the source database cannot be read right now; try again later");
        case SOURCE_AUTHENTICATION_FAILED ->
            refused(
                d,
                type,
                "the source database refused this server's login; the source's credentials in the"
                    + " server configuration must be fixed");
        case SOURCE_UNKNOWN_DATABASE ->
            refused(
                d,
                type,
                "the database named in this source's configuration does not exist on its server");
        case SOURCE_PERMISSION_DENIED ->
            refused(
                d,
                type,
                "the source database denied this server's user access; grant it or fix the"
                    + " source's configuration");
        case STORE_UNAVAILABLE, UPLOAD_FAILED ->
            unavailable(
                d,
                "store-unavailable",
                "the object store cannot be reached right now; try again later");
        default -> internal(e);
      };
    }
    Problem framing = framing(e);
    return framing != null ? framing : internal(e);
  }

  /**
   * A request Jetty could not read (its chunked encoding broken, its body shorter than its
   * Content-Length) that reached here without {@link ApiException#unreadableBody}: the client's
   * fault, answered 400 (or the 4xx Jetty chose) with one line in the log; null for other failures.
   */
  private static Problem framing(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BadMessageException || t instanceof EofException) {
        int status =
            t instanceof BadMessageException b && b.getCode() >= 400 && b.getCode() < 500
                ? b.getCode()
                : 400;
        ApiException unreadable = ApiException.unreadableBody(t);
        LOG.info("answering {}: {} ({})", status, unreadable.getMessage(), describe(t));
        return new Problem(status, unreadable.type, unreadable.getMessage(), null);
      }
    }
    return null;
  }

  /** A failure in one line: its class and message, never its stack. */
  private static String describe(Throwable t) {
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  private static Problem unavailable(DbsnapException e, String type, String detail) {
    LOG.warn("answering 503: {}", e.getMessage());
    return new Problem(503, type, detail, null);
  }

  /**
   * A source that answered but refused: 502, as a gateway whose upstream failed, since trying again
   * will not help until its configuration is fixed. The detail names the cause, never the user or
   * the database's own message.
   */
  private static Problem refused(DbsnapException e, String type, String detail) {
    LOG.warn("answering 502: {}", e.getMessage());
    return new Problem(502, type, detail, null);
  }

  private static Problem internal(Throwable e) {
    LOG.error("unexpected failure while answering a request", e);
    return new Problem(
        500, "internal", "the server failed to answer this request; the failure was logged", null);
  }

  /**
   * Answers {@code ctx} with the problem for {@code e}; when the response is already committed (a
   * stream was under way) the connection is aborted instead, so the client sees a truncated body
   * rather than a complete-looking one.
   */
  static void answer(Context ctx, Throwable e) {
    if (ctx.res().isCommitted()) {
      if (isDisconnect(e)) {
        LOG.debug("client went away during {}", ctx.path());
      } else {
        of(e); // logs it
      }
      abort(ctx, e);
      return;
    }
    Problem p = of(e);
    if (p.status() == 401) {
      ctx.header("WWW-Authenticate", "Bearer");
    }
    write(ctx, p);
  }

  static void write(Context ctx, Problem p) {
    ObjectNode doc = JobJson.MAPPER.createObjectNode();
    doc.put("type", TYPE_BASE + p.type());
    doc.put("title", title(p.status()));
    doc.put("status", p.status());
    doc.put("detail", p.detail());
    doc.put("instance", ctx.path());
    if (p.field() != null) {
      doc.put("field", p.field());
    }
    ctx.res().resetBuffer();
    ctx.status(p.status());
    ctx.res().setHeader("Content-Disposition", null);
    ctx.contentType(CONTENT_TYPE);
    ctx.result(doc.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  static boolean isDisconnect(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof EofException
          || (t instanceof IOException
              && t.getMessage() != null
              && t.getMessage().contains("Broken pipe"))) {
        return true;
      }
      if (t instanceof DbsnapException d && d.code() == ErrorCode.CANCELLED) {
        return true;
      }
    }
    return false;
  }

  private static void abort(Context ctx, Throwable e) {
    try {
      org.eclipse.jetty.server.Request.getBaseRequest(ctx.req()).getHttpChannel().abort(e);
    } catch (RuntimeException ignored) {
      // the connection is already gone
    }
  }

  static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 409 -> "Conflict";
      case 410 -> "Gone";
      case 413 -> "Content Too Large";
      case 414 -> "URI Too Long";
      case 415 -> "Unsupported Media Type";
      case 416 -> "Range Not Satisfiable";
      case 422 -> "Unprocessable Content";
      case 426 -> "Upgrade Required";
      case 431 -> "Request Header Fields Too Large";
      case 501 -> "Not Implemented";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 505 -> "HTTP Version Not Supported";
      default -> status >= 500 ? "Internal Server Error" : "Error";
    };
  }
}
