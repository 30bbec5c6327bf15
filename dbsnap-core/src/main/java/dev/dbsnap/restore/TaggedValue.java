package dev.dbsnap.restore;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Base64;

/**
 * A value of a tagged column (an SQLite value carrying its storage class): {@code integer:42} in
 * csv, {@code {"integer":42}} in jsonl and json; bound in that storage class whatever the column's
 * type.
 *
 * @param value a Long, Double, String or byte[]
 */
record TaggedValue(Object value) {
  /** Reads a non-NULL csv field of a tagged column. */
  static TaggedValue fromCsv(String field) throws IOException {
    int colon = field.indexOf(':');
    if (colon < 0) {
      throw new IOException("'" + abbreviate(field) + "' has no storage class tag");
    }
    return of(field.substring(0, colon), field.substring(colon + 1), field);
  }

  /**
   * Reads a non-null JSON value of a tagged column, an object with one key naming the storage
   * class, from the parser positioned at its start; leaves the parser at its end. Numbers are taken
   * from their text, which keeps a negative zero.
   */
  static TaggedValue fromJson(JsonParser parser) throws IOException {
    if (parser.currentToken() != JsonToken.START_OBJECT
        || parser.nextToken() != JsonToken.FIELD_NAME) {
      throw new IOException("a tagged value is not an object naming its storage class");
    }
    String tag = parser.currentName();
    JsonToken v = parser.nextToken();
    boolean number = v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT;
    if (!number && v != JsonToken.VALUE_STRING) {
      throw new IOException("the tagged value {\"" + tag + "\": ...} holds no " + tag + " value");
    }
    if (number && !(tag.equals("integer") || tag.equals("real"))) {
      throw new IOException("the tagged value {\"" + tag + "\": ...} holds a number");
    }
    String text = parser.getText();
    if (parser.nextToken() != JsonToken.END_OBJECT) {
      throw new IOException("the tagged value {\"" + tag + "\": ...} has more than one key");
    }
    return of(tag, text, "{\"" + tag + "\":" + text + "}");
  }

  private static TaggedValue of(String tag, String text, Object whole) throws IOException {
    try {
      return new TaggedValue(
          switch (tag) {
            case "integer" -> Long.parseLong(text);
            case "real" -> real(text);
            case "text" -> text;
            case "blob" -> Base64.getDecoder().decode(text);
            default ->
                throw new IOException(
                    "'" + abbreviate(String.valueOf(whole)) + "' names no storage class");
          });
    } catch (IllegalArgumentException e) { // NumberFormatException too
      throw new IOException(
          "'" + abbreviate(String.valueOf(whole)) + "' is no " + tag + " value", e);
    }
  }

  private static double real(String text) {
    return switch (text) {
      case "Infinity" -> Double.POSITIVE_INFINITY;
      case "-Infinity" -> Double.NEGATIVE_INFINITY;
      default -> {
        if (text.indexOf('N') >= 0 || text.indexOf('I') >= 0) { // Java also takes "NaN"
          throw new NumberFormatException(text);
        }
        yield Double.parseDouble(text);
      }
    };
  }

  void bind(PreparedStatement ps, int index) throws SQLException {
    if (value instanceof Long l) {
      ps.setLong(index, l);
    } else if (value instanceof Double d) {
      ps.setDouble(index, d);
    } else if (value instanceof String s) {
      ps.setString(index, s);
    } else {
      ps.setBytes(index, (byte[]) value);
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }
}
