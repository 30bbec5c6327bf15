package dev.dbsnap.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.ByteSize;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.format.Format;
import dev.dbsnap.job.ExportRequest;
import dev.dbsnap.source.SchemaOptions;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.BadMessageException;

/** Reads export requests from clients strictly: every bad value is named by its field. */
final class ExportRequests {
  static final Set<String> FIELDS =
      Set.of(
          "format",
          "compression",
          "tables",
          "excludeTables",
          "partSize",
          "callbackUrl",
          "jobs",
          "noOwner",
          "noPrivileges",
          "skipUnsupported");
  private static final int MAX_TABLES = 10_000;
  private static final int MAX_URL_LENGTH = 2048;

  private ExportRequests() {}

  /**
   * Reads a request body of at most {@code max} bytes, checking the declared length first so a
   * large upload is refused before it is read.
   *
   * @throws ApiException 413 when the body is too large, 400 when it cannot be read (broken chunked
   *     encoding, a body shorter than its Content-Length, a connection closed mid-body)
   */
  static byte[] readBody(HttpServletRequest request, int max) {
    if (request.getContentLengthLong() > max) {
      throw ApiException.tooLarge(max);
    }
    byte[] body;
    try {
      InputStream in = request.getInputStream();
      body = in.readNBytes(Math.min(max, Integer.MAX_VALUE - 9) + 1);
    } catch (IOException | UncheckedIOException | BadMessageException e) {
      // Jetty reports broken framing as an EofException, or a BadMessageException
      throw ApiException.unreadableBody(e);
    }
    if (body.length > max) {
      throw ApiException.tooLarge(max);
    }
    return body;
  }

  /** Refuses a body that is not declared JSON; only an empty body may come without a type. */
  static void requireJson(String contentType, byte[] body) {
    if (contentType == null && body.length == 0) {
      return;
    }
    String media =
        contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    if (!media.equals("application/json")
        && !(media.startsWith("application/") && media.endsWith("+json"))) {
      throw ApiException.unsupportedMediaType(contentType == null ? "" : contentType);
    }
  }

  /**
   * Parses the body of {@code POST /v1/sources/{source}/exports}; an empty body takes every
   * default.
   */
  static ExportRequest parse(String source, byte[] body) {
    JsonNode root = readJson(body);
    if (root == null) {
      return new ExportRequest(source, Format.CSV, Compression.NONE, List.of(), List.of(), 0, null);
    }
    if (!root.isObject()) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "body",
          "the request body must be a JSON object, not " + kind(root));
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw new InvalidInputException(
            ErrorCode.INVALID_ARGUMENT,
            name,
            "unknown field '"
                + name
                + "': use format, compression, tables, excludeTables, partSize, callbackUrl,"
                + " jobs, noOwner, noPrivileges or skipUnsupported");
      }
    }
    Format format = format(text(root, "format"), "format");
    Compression compression = compression(text(root, "compression"), "compression");
    List<String> tables = names(root, "tables");
    List<String> exclude = names(root, "excludeTables");
    long partSize = partSize(root.get("partSize"));
    URI callback = callbackUrl(text(root, "callbackUrl"));
    int jobs = jobs(root.get("jobs"));
    SchemaOptions schemaOptions =
        new SchemaOptions(
            !flag(root, "noOwner"), !flag(root, "noPrivileges"), flag(root, "skipUnsupported"));
    return new ExportRequest(
        source, format, compression, tables, exclude, partSize, callback, jobs, schemaOptions);
  }

  /** A boolean field: false when absent or null. */
  static boolean flag(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return false;
    }
    if (!node.isBoolean()) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          field,
          field + " must be true or false, not " + (node.isNumber() ? node.asText() : kind(node)));
    }
    return node.booleanValue();
  }

  /** The number of tables exported at once: a whole number, 1 when absent. */
  static int jobs(JsonNode node) {
    if (node == null || node.isNull()) {
      return 1;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt()) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "jobs",
          "jobs must be a whole number from 1 to "
              + dev.dbsnap.export.ExportOptions.MAX_JOBS
              + ", not "
              + (node.isNumber() ? node.asText() : kind(node)));
    }
    return node.intValue();
  }

  private static JsonNode readJson(byte[] body) {
    try (JsonParser parser = JobJson.MAPPER.getFactory().createParser(body)) {
      parser.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      JsonNode root = JobJson.MAPPER.readTree(parser);
      if (root != null && parser.nextToken() != null) {
        throw malformed("unexpected content after the JSON value", parser.currentTokenLocation());
      }
      return root;
    } catch (JsonProcessingException e) {
      throw malformed(e.getOriginalMessage(), e.getLocation());
    } catch (IOException e) {
      throw ApiException.badRequest("the request body could not be read");
    }
  }

  private static ApiException malformed(String message, JsonLocation at) {
    String first =
        message == null ? "invalid JSON" : message.lines().findFirst().orElse("invalid JSON");
    for (String noise : new String[] {" (for ", " at [Source"}) {
      int cut = first.indexOf(noise);
      if (cut > 0) {
        first = first.substring(0, cut);
      }
    }
    if (first.length() > 200) {
      first = first.substring(0, 200) + "...";
    }
    String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    return ApiException.badRequest("malformed JSON" + where + ": " + first);
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> "an object";
    };
  }

  private static String text(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT, field, field + " must be a string, not " + kind(node));
    }
    return node.textValue();
  }

  private static List<String> names(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          field,
          field + " must be an array of table names, not " + kind(node));
    }
    if (node.size() > MAX_TABLES) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          field,
          field + " names " + node.size() + " tables, more than the " + MAX_TABLES + " allowed");
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode item = node.get(i);
      if (!item.isTextual() || item.textValue().isBlank()) {
        throw new InvalidInputException(
            ErrorCode.INVALID_ARGUMENT,
            field + "[" + i + "]",
            field
                + "["
                + i
                + "] must be a table name, not "
                + (item.isTextual() ? "a blank string" : kind(item)));
      }
      names.add(item.textValue());
    }
    return names;
  }

  /** A format by name, CSV when null. */
  static Format format(String name, String field) {
    if (name == null) {
      return Format.CSV;
    }
    try {
      return Format.parse(name);
    } catch (DbsnapException e) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          field,
          "unknown format '" + abbreviate(name) + "': use sql, csv, jsonl or json");
    }
  }

  /** A compression by name, none when null. */
  static Compression compression(String name, String field) {
    if (name == null) {
      return Compression.NONE;
    }
    try {
      return Compression.parse(name);
    } catch (DbsnapException e) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          field,
          "unknown compression '" + abbreviate(name) + "': use none, gzip or zstd");
    }
  }

  /**
   * A part size given as a whole number of bytes or a string such as "8MiB" (read by {@link
   * ByteSize}: "8MB" is 8 MiB too), checked by {@link ExportOptions#checkPartSize}; 0 when absent.
   */
  static long partSize(JsonNode node) {
    if (node == null || node.isNull()) {
      return 0;
    }
    long bytes;
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      bytes = node.longValue();
    } else if (node.isTextual()) {
      try {
        bytes = ByteSize.parse(node.textValue());
      } catch (DbsnapException e) {
        throw new InvalidInputException(
            ErrorCode.INVALID_ARGUMENT, "partSize", "part size " + e.getMessage());
      }
    } else {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "partSize",
          "partSize must be a whole number of bytes or a size such as \"8MiB\", not "
              + (node.isNumber() ? node.asText() : kind(node)));
    }
    return ExportOptions.checkPartSize(bytes);
  }

  private static URI callbackUrl(String text) {
    if (text == null) {
      return null;
    }
    String bad = "callbackUrl '" + abbreviate(text) + "' must be an absolute http or https URL";
    if (text.length() > MAX_URL_LENGTH) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "callbackUrl",
          "callbackUrl is longer than " + MAX_URL_LENGTH + " characters");
    }
    try {
      URI uri = new URI(text);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https"))
          || uri.getHost() == null
          || uri.getUserInfo() != null) {
        throw new InvalidInputException(ErrorCode.INVALID_ARGUMENT, "callbackUrl", bad);
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new InvalidInputException(ErrorCode.INVALID_ARGUMENT, "callbackUrl", bad);
    }
  }

  /** Checks an Idempotency-Key header: 1..255 printable ASCII characters, or absent. */
  static String idempotencyKey(String key) {
    if (key == null) {
      return null;
    }
    boolean printable =
        !key.isEmpty() && key.length() <= 255 && key.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    if (!printable) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "Idempotency-Key",
          "the Idempotency-Key header must be 1 to 255 printable ASCII characters");
    }
    return key;
  }

  static String abbreviate(String s) {
    return s.length() <= 100 ? s : s.substring(0, 100) + "...";
  }
}
