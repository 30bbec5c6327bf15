package dev.dbsnap.testing;

import dev.dbsnap.testing.FaultyS3Front.Op;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The head of one HTTP/1.1 request to a path-style S3 endpoint, as {@link FaultyS3Front} reads it:
 * the request line, the header lines in their order, and the S3 operation they name.
 *
 * @param contentLength the announced body length, or -1 when there is none (chunked or absent)
 */
record S3Request(
    String method,
    String target,
    String version,
    List<String> headerLines,
    Op op,
    long contentLength,
    boolean chunked,
    boolean expectsContinue) {
  /** Longer heads are refused; S3 requests carry a few hundred bytes. */
  static final int MAX_HEAD = 64 * 1024;

  S3Request {
    headerLines = List.copyOf(headerLines);
  }

  /**
   * Reads a head up to its blank line, leaving {@code in} at the first body byte.
   *
   * @return the request, or null when the client closed the connection before sending a byte
   * @throws IOException when the head is malformed, too long or cut short
   */
  static S3Request read(InputStream in) throws IOException {
    byte[] head = readHead(in);
    return head == null ? null : parse(new String(head, StandardCharsets.ISO_8859_1));
  }

  /**
   * The bytes of an HTTP head up to and without its CRLFCRLF, or null at an immediate end of
   * stream. Reads one byte at a time, so {@code in} should be buffered.
   */
  static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream(512);
    int matched = 0; // of "\r\n\r\n"
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        if (head.size() == 0) {
          return null;
        }
        throw new IOException("the head ended after " + head.size() + " bytes");
      }
      head.write(b);
      matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (b == '\r' ? 1 : 0);
      if (head.size() > MAX_HEAD) {
        throw new IOException("the head is longer than " + MAX_HEAD + " bytes");
      }
    }
    byte[] bytes = head.toByteArray();
    return java.util.Arrays.copyOf(bytes, bytes.length - 4);
  }

  static S3Request parse(String head) throws IOException {
    String[] lines = head.split("\r\n", -1);
    String[] requestLine = lines[0].split(" ", -1);
    if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/")) {
      throw new IOException("malformed request line '" + lines[0] + "'");
    }
    List<String> headers = new ArrayList<>();
    long contentLength = -1;
    boolean chunked = false;
    boolean expectsContinue = false;
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IOException("malformed header line '" + line + "'");
      }
      headers.add(line);
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> contentLength = parseLength(value);
        case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        case "expect" -> expectsContinue = value.equalsIgnoreCase("100-continue");
        default -> {}
      }
    }
    String method = requestLine[0];
    String target = requestLine[1];
    return new S3Request(
        method,
        target,
        requestLine[2],
        headers,
        classify(method, target),
        chunked ? -1 : contentLength,
        chunked,
        expectsContinue);
  }

  private static long parseLength(String value) throws IOException {
    try {
      long length = Long.parseLong(value);
      if (length < 0) {
        throw new NumberFormatException(value);
      }
      return length;
    } catch (NumberFormatException e) {
      throw new IOException("malformed Content-Length '" + value + "'", e);
    }
  }

  /** The S3 operation of a path-style request ({@code /bucket/key?query}). */
  static Op classify(String method, String target) {
    int question = target.indexOf('?');
    String path = question < 0 ? target : target.substring(0, question);
    Set<String> params = new HashSet<>();
    if (question >= 0) {
      for (String param : target.substring(question + 1).split("&")) {
        int eq = param.indexOf('=');
        params.add(eq < 0 ? param : param.substring(0, eq));
      }
    }
    String trimmed = path.replaceAll("^/+|/+$", "");
    if (trimmed.isEmpty()) {
      return Op.OTHER; // ListBuckets
    }
    boolean bucket = !trimmed.contains("/");
    boolean uploadId = params.contains("uploadId");
    return switch (method) {
      case "PUT" -> {
        if (bucket) {
          yield Op.OTHER;
        }
        yield params.contains("partNumber") && uploadId ? Op.UPLOAD_PART : Op.PUT_OBJECT;
      }
      case "POST" -> {
        if (bucket) {
          yield Op.OTHER; // DeleteObjects and friends
        }
        if (params.contains("uploads")) {
          yield Op.CREATE_MULTIPART_UPLOAD;
        }
        yield uploadId ? Op.COMPLETE_MULTIPART_UPLOAD : Op.OTHER;
      }
      case "GET" -> {
        if (bucket) {
          if (params.contains("uploads")) {
            yield Op.LIST_MULTIPART_UPLOADS;
          }
          yield params.contains("location") || params.contains("versioning")
              ? Op.OTHER
              : Op.LIST_OBJECTS;
        }
        yield uploadId ? Op.LIST_PARTS : Op.GET_OBJECT;
      }
      case "HEAD" -> bucket ? Op.HEAD_BUCKET : Op.HEAD_OBJECT;
      case "DELETE" -> {
        if (bucket) {
          yield Op.OTHER;
        }
        yield uploadId ? Op.ABORT_MULTIPART_UPLOAD : Op.DELETE_OBJECT;
      }
      default -> Op.OTHER;
    };
  }

  /** The request path, without the query. */
  String path() {
    int question = target.indexOf('?');
    return question < 0 ? target : target.substring(0, question);
  }

  /**
   * What stays the same when a client sends this request again, and between runs of the same test:
   * the operation, the key and the part number, but not the bucket (test buckets are named after
   * the process), the upload ID (new in every run) or anything signed with the time.
   */
  String identity() {
    String part = "";
    int at = target.indexOf("partNumber=");
    if (op == Op.UPLOAD_PART && at >= 0) {
      int end = target.indexOf('&', at);
      part = "#" + target.substring(at + "partNumber=".length(), end < 0 ? target.length() : end);
    }
    String path = path();
    int key = path.indexOf('/', 1);
    return op + " " + (key < 0 ? "" : path.substring(key + 1)) + part;
  }

  boolean hasBody() {
    return chunked || contentLength > 0;
  }

  /** The head to send upstream: unchanged, except that the connection closes after one request. */
  byte[] headClosingConnection() {
    StringBuilder head = new StringBuilder(512);
    head.append(method).append(' ').append(target).append(' ').append(version).append("\r\n");
    for (String line : headerLines) {
      String name = line.substring(0, line.indexOf(':')).trim();
      // Keep-Alive and Connection are hop-by-hop; the AWS signer leaves them unsigned.
      if (!name.equalsIgnoreCase("connection") && !name.equalsIgnoreCase("keep-alive")) {
        head.append(line).append("\r\n");
      }
    }
    head.append("Connection: close\r\n\r\n");
    return head.toString().getBytes(StandardCharsets.ISO_8859_1);
  }
}
