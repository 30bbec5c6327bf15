package dev.dbsnap.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Version;
import dev.dbsnap.http.JobJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * Talks to a dbsnap server's {@code /v1} API with a bearer token: JSON in and out, problem
 * documents turned into {@link DbsnapException}s with the matching code. Thread-safe.
 */
final class ServerClient {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_REDIRECTS = 5;

  private final String base;
  private final String token;
  private final HttpClient http;

  /**
   * @param server the server's root URL, http:// or https://, optionally with a path prefix
   * @param token the API token, or null to send none
   * @throws DbsnapException INVALID_ARGUMENT when {@code server} is not an http(s) URL
   */
  ServerClient(String server, String token) {
    URI uri;
    try {
      uri = URI.create(server.trim());
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri == null
        || uri.getHost() == null
        || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
        || uri.getRawUserInfo() != null
        || uri.getRawQuery() != null) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "--server '"
              + server
              + "' is not an http:// or https:// URL such as http://127.0.0.1:8080");
    }
    String s = uri.toString();
    this.base = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    this.token = token == null || token.isBlank() ? null : token.trim();
    // Redirects are followed by hand: the bearer token must never go to a presigned URL's host.
    // HTTP/1.1: an h2c upgrade attempt on plain http would only add a round of negotiation.
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  String base() {
    return base;
  }

  /** {@code s} encoded as one path segment. */
  static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** {@code s} encoded as a query parameter value. */
  static String query(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  JsonNode get(String path) {
    return json(request(path).GET());
  }

  JsonNode delete(String path) {
    return json(request(path).DELETE());
  }

  JsonNode post(String path, JsonNode body, Map<String, String> headers) {
    HttpRequest.Builder b =
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
    headers.forEach(b::header);
    return json(b);
  }

  /**
   * GETs {@code path} as a stream. A redirect (to a presigned URL) is followed without the
   * Authorization header. The caller closes the body.
   *
   * @throws DbsnapException for an error answer, as {@link #get}; STORE_UNAVAILABLE when a redirect
   *     target refuses the download
   */
  HttpResponse<InputStream> download(String path) {
    return download(URI.create(base + path));
  }

  /**
   * GETs {@code target} as a stream, with the token only when it is on the server's own origin (a
   * presigned URL never gets it). Redirects are followed as by {@link #download(String)}. The
   * caller closes the body.
   *
   * @throws DbsnapException for an error answer of the server, as {@link #get}; STORE_UNAVAILABLE
   *     when another host refuses the download
   */
  HttpResponse<InputStream> download(URI target) {
    String path = sameOrigin(target) ? target.getRawPath() : "the download URL the server gave";
    HttpRequest.Builder b =
        request(target).GET().header("Accept", "*/*").timeout(Duration.ofSeconds(60));
    HttpResponse<InputStream> response = send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    boolean redirected = false;
    for (int hops = 0; isRedirect(response.statusCode()); hops++) {
      String location = response.headers().firstValue("Location").orElse(null);
      close(response);
      if (location == null || hops == MAX_REDIRECTS) {
        throw new DbsnapException(
            ErrorCode.SERVER_UNAVAILABLE,
            "the download of "
                + path
                + " was redirected "
                + (location == null
                    ? "without a Location"
                    : "more than " + MAX_REDIRECTS + " times"));
      }
      URI hop = response.uri().resolve(location);
      HttpRequest next =
          HttpRequest.newBuilder(hop)
              .GET()
              .timeout(Duration.ofSeconds(60))
              .header("User-Agent", "dbsnap/" + Version.current())
              .build();
      response = send(next, HttpResponse.BodyHandlers.ofInputStream());
      redirected = true;
    }
    if (response.statusCode() / 100 != 2) {
      byte[] body = readQuietly(response);
      if (redirected || !sameOrigin(response.uri())) {
        // The presigned URL holds a signature: name the host only.
        throw new DbsnapException(
            ErrorCode.STORE_UNAVAILABLE,
            "the object store at "
                + response.uri().getHost()
                + " answered HTTP "
                + response.statusCode()
                + " to the download URL the server gave");
      }
      throw problem(response.statusCode(), body);
    }
    return response;
  }

  /** A 2xx answer of {@link #reply}: its status, JSON body, Location and Retry-After. */
  record Reply(int status, JsonNode body, URI location, String retryAfter) {}

  /**
   * GETs {@code target} and returns any 2xx answer (a 202 without a JSON body has an empty one),
   * with the token only when {@code target} is on the server's own origin.
   *
   * @param timeout how long to wait for the answer (the server may hold a request on purpose)
   * @throws DbsnapException for an error answer, as {@link #get}
   */
  Reply reply(URI target, Duration timeout) {
    HttpResponse<byte[]> response =
        send(
            request(target).timeout(timeout).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() / 100 != 2) {
      throw problem(response.statusCode(), response.body());
    }
    JsonNode body;
    try {
      body = response.body().length == 0 ? null : JobJson.MAPPER.readTree(response.body());
    } catch (IOException e) {
      body = null;
    }
    if (body == null || !body.isObject()) {
      if (response.statusCode() == 200) {
        throw notAServer(response);
      }
      body = JobJson.MAPPER.createObjectNode();
    }
    URI location =
        response.headers().firstValue("Location").map(l -> response.uri().resolve(l)).orElse(null);
    return new Reply(
        response.statusCode(),
        body,
        location,
        response.headers().firstValue("Retry-After").orElse(null));
  }

  /**
   * A URL the server gave: absolute as it is, relative ones relative to --server ({@code /v1/…} is
   * appended to it, as the paths of every request are).
   */
  URI resolve(String url) {
    URI u = URI.create(url);
    if (u.isAbsolute()) {
      return u;
    }
    return URI.create(base + (url.startsWith("/") ? url : "/" + url));
  }

  /** Whether {@code u} has the server's scheme, host and port: only then may the token go there. */
  boolean sameOrigin(URI u) {
    URI b = URI.create(base);
    return u.getScheme() != null
        && u.getScheme().equalsIgnoreCase(b.getScheme())
        && u.getHost() != null
        && u.getHost().equalsIgnoreCase(b.getHost())
        && port(u) == port(b);
  }

  private static int port(URI u) {
    if (u.getPort() >= 0) {
      return u.getPort();
    }
    return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }

  private HttpRequest.Builder request(String path) {
    return request(URI.create(base + path));
  }

  private HttpRequest.Builder request(URI target) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(target)
            .timeout(REQUEST_TIMEOUT)
            .header("Accept", "application/json")
            .header("User-Agent", "dbsnap/" + Version.current());
    if (token != null && sameOrigin(target)) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private JsonNode json(HttpRequest.Builder b) {
    HttpResponse<byte[]> response = send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() / 100 != 2) {
      throw problem(response.statusCode(), response.body());
    }
    try {
      JsonNode node = JobJson.MAPPER.readTree(response.body());
      if (node == null || !node.isObject()) {
        throw new IOException("not a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw notAServer(response);
    }
  }

  private DbsnapException notAServer(HttpResponse<?> response) {
    return new DbsnapException(
        ErrorCode.SERVER_UNAVAILABLE,
        base
            + " does not answer as a dbsnap server: "
            + response.request().method()
            + " "
            + response.uri().getPath()
            + " gave HTTP "
            + response.statusCode()
            + " "
            + response.headers().firstValue("Content-Type").orElse("without a content type"));
  }

  private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(request, handler);
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new DbsnapException(
          ErrorCode.SERVER_UNAVAILABLE, "cannot reach the dbsnap server at " + origin(request), e);
    } catch (HttpTimeoutException e) {
      throw new DbsnapException(
          ErrorCode.SERVER_UNAVAILABLE,
          "the dbsnap server at "
              + origin(request)
              + " did not answer within "
              + request.timeout().map(Duration::toSeconds).orElse(0L)
              + " s",
          e);
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.SERVER_UNAVAILABLE,
          "the connection to " + origin(request) + " failed: " + e,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbsnapException(
          ErrorCode.CANCELLED, "interrupted while waiting for " + origin(request), e);
    }
  }

  /** Where a request went, without the path or query (a presigned URL's query is a credential). */
  private String origin(HttpRequest request) {
    URI u = request.uri();
    return u.toString().startsWith(base) ? base : u.getScheme() + "://" + u.getAuthority();
  }

  private DbsnapException problem(int status, byte[] body) {
    String detail = null;
    String field = null;
    try {
      JsonNode doc = JobJson.MAPPER.readTree(body);
      if (doc != null && doc.isObject()) {
        detail = text(doc, "detail");
        if (detail == null) {
          detail = text(doc, "title");
        }
        field = text(doc, "field");
      }
    } catch (IOException notJson) {
      // a proxy's HTML page: the status alone is all there is to report
    }
    if (detail == null) {
      detail = "the server at " + base + " answered HTTP " + status;
    }
    if (status == 401 && token == null) {
      detail += "; pass --token or set DBSNAP_TOKEN";
    }
    return new DbsnapException(
        codeFor(status), field == null ? detail : detail + " (" + field + ")");
  }

  static ErrorCode codeFor(int status) {
    return switch (status) {
      case 401 -> ErrorCode.UNAUTHORIZED;
      case 403 -> ErrorCode.FORBIDDEN;
      case 404 -> ErrorCode.NOT_FOUND;
      case 409 -> ErrorCode.CONFLICT;
      case 500 -> ErrorCode.INTERNAL;
      default -> status >= 500 ? ErrorCode.SERVER_UNAVAILABLE : ErrorCode.INVALID_ARGUMENT;
    };
  }

  private static String text(JsonNode doc, String field) {
    JsonNode n = doc.get(field);
    return n == null || n.isNull() || n.asText().isBlank() ? null : n.asText();
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private static byte[] readQuietly(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      return in.readNBytes(64 * 1024);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static void close(HttpResponse<InputStream> response) {
    try {
      response.body().close();
    } catch (IOException ignored) {
      // the redirect's body is of no interest
    }
  }
}
