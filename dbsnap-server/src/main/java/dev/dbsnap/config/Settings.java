package dev.dbsnap.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.ByteSize;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The values settings were given, by dotted path ({@code workers.count}, {@code sources.shop.url}),
 * each with where it came from: a file name or an environment variable. Later values replace
 * earlier ones, so the environment is applied after the file. Typed reads fail with a message
 * naming both.
 */
final class Settings {
  static final String DEFAULT_ORIGIN = "default";

  /** A value and where it was given. */
  record Given(JsonNode value, String origin) {}

  private final Map<String, Given> values = new LinkedHashMap<>();
  private String fileOrigin;

  /** Names the configuration file, whose values {@link #fromFile} tells apart. */
  void fileOrigin(String origin) {
    this.fileOrigin = origin;
  }

  /** True when {@code path} was given by the configuration file (not by a variable). */
  boolean fromFile(String path) {
    return fileOrigin != null && has(path) && origin(path).equals(fileOrigin);
  }

  void put(String path, JsonNode value, String origin) {
    if (value != null && !value.isNull()) {
      values.put(path, new Given(value, origin));
    }
  }

  boolean has(String path) {
    return values.containsKey(path);
  }

  /** Where {@code path} was given, or "default". */
  String origin(String path) {
    Given g = values.get(path);
    return g == null ? DEFAULT_ORIGIN : g.origin();
  }

  /** The setting's error: {@code "<origin>: <path>: <problem>"}. */
  DbsnapException error(String path, String problem) {
    return error(origin(path), path, problem);
  }

  static DbsnapException error(String origin, String path, String problem) {
    return new DbsnapException(ErrorCode.INVALID_ARGUMENT, origin + ": " + path + ": " + problem);
  }

  /** The text of a single value, or {@code dflt} when not given. */
  String text(String path, String dflt) {
    Given g = values.get(path);
    if (g == null) {
      return dflt;
    }
    if (!g.value().isValueNode()) {
      throw error(
          path, "expected a single value, not a " + (g.value().isArray() ? "list" : "mapping"));
    }
    String text = g.value().asText().trim();
    if (text.isEmpty()) {
      throw error(path, "is empty");
    }
    return text;
  }

  /** A secret's text exactly as given (not trimmed, never quoted in errors). */
  String secret(String path) {
    Given g = values.get(path);
    if (!g.value().isValueNode()) {
      throw error(path, "expected a single value");
    }
    return g.value().asText();
  }

  int integer(String path, int dflt, int min, int max) {
    Given g = values.get(path);
    if (g == null) {
      return dflt;
    }
    String text = text(path, null);
    long value;
    try {
      value = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw error(path, "'" + text + "' is not a whole number");
    }
    if (value < min || value > max) {
      throw error(path, value + " is not between " + min + " and " + max);
    }
    return (int) value;
  }

  Duration duration(String path, Duration dflt, Duration min, Duration max) {
    if (!has(path)) {
      return dflt;
    }
    String text = text(path, null);
    if (values.get(path).value().isNumber()) {
      throw error(path, "'" + text + "' has no unit: write e.g. " + text + "s or " + text + "ms");
    }
    Duration d;
    try {
      d = Units.duration(text);
    } catch (IllegalArgumentException e) {
      throw error(path, e.getMessage());
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw error(
          path, text + " is not between " + Units.format(min) + " and " + Units.format(max));
    }
    return d;
  }

  /**
   * A limit that is off unless given: zero when not given or given as {@code 0} (with or without a
   * unit), otherwise a duration between {@code min} and {@code max}.
   */
  Duration durationOrOff(String path, Duration min, Duration max) {
    if (!has(path) || text(path, null).equals("0")) {
      return Duration.ZERO;
    }
    Duration any = duration(path, Duration.ZERO, Duration.ZERO, ChronoUnit.FOREVER.getDuration());
    return any.isZero() ? Duration.ZERO : duration(path, Duration.ZERO, min, max);
  }

  long size(String path, long dflt, long min, long max) {
    if (!has(path)) {
      return dflt;
    }
    String text = text(path, null);
    long n;
    try {
      n = ByteSize.parse(text);
    } catch (DbsnapException e) {
      throw error(path, e.getMessage());
    }
    if (n < min || n > max) {
      throw error(path, text + " is not between " + min + " and " + max + " bytes");
    }
    return n;
  }

  /** true or false, or null when not given. */
  Boolean bool(String path) {
    if (!has(path)) {
      return null;
    }
    JsonNode v = values.get(path).value();
    if (v.isBoolean()) {
      return v.booleanValue();
    }
    String text = text(path, null);
    if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(text);
    }
    throw error(path, "'" + text + "' is not true or false");
  }

  /** A list given as a YAML sequence or as comma-separated text; empty when not given. */
  List<String> list(String path) {
    Given g = values.get(path);
    List<String> out = new ArrayList<>();
    if (g == null) {
      return out;
    }
    if (g.value().isArray()) {
      for (int i = 0; i < g.value().size(); i++) {
        JsonNode item = g.value().get(i);
        if (!item.isValueNode() || item.isNull() || item.asText().isBlank()) {
          throw error(path, "item " + (i + 1) + " is not a single non-empty value");
        }
        out.add(item.asText().trim());
      }
      return out;
    }
    for (String part : text(path, null).split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }
}
