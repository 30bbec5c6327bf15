package dev.dbsnap.source;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Streams a PostgreSQL result set as dbsnap values; the connection must not autocommit.
 *
 * <p>With {@code text} on, each row is kept as the bytes the server sent ({@code getBytes} on a
 * text-format result is the raw UTF-8 without decoding), so encoders that copy text need no String;
 * {@link #values()} decodes them into the same objects the typed getters give. bytea is the
 * exception: its {@code getBytes} is the decoded value, which is what encoders use.
 */
final class PostgresTableReader implements TableReader {
  private static final int INTEGER = 0;
  private static final int DECIMAL = 1;
  private static final int FLOAT = 2;
  private static final int BOOLEAN = 3;
  private static final int BYTES = 4;
  private static final int STRING = 5;

  private final PreparedStatement statement;
  private final ResultSet rows;
  private final int[] kinds;

  /** Zero-based positions of the key columns, or null for a table without a key. */
  private final int[] keyIndexes;

  private final Object[] values;

  /** The current row's raw values when reading text, else null. */
  private final byte[][] raw;

  /** Whether {@link #values} holds the current row's decoded values (text mode). */
  private boolean decoded;

  PostgresTableReader(
      PreparedStatement statement, ResultSet rows, List<Column> columns, int[] keyIndexes) {
    this(statement, rows, columns, keyIndexes, false);
  }

  PostgresTableReader(
      PreparedStatement statement,
      ResultSet rows,
      List<Column> columns,
      int[] keyIndexes,
      boolean text) {
    this.statement = statement;
    this.rows = rows;
    this.keyIndexes = keyIndexes;
    this.kinds = new int[columns.size()];
    for (int i = 0; i < kinds.length; i++) {
      kinds[i] =
          switch (columns.get(i).kind()) {
            case INTEGER -> INTEGER;
            case DECIMAL -> DECIMAL;
            case FLOAT -> FLOAT;
            case BOOLEAN -> BOOLEAN;
            case BYTES -> BYTES;
            case TEXT, JSON, OTHER -> STRING;
          };
    }
    this.values = new Object[kinds.length];
    this.raw = text ? new byte[kinds.length][] : null;
  }

  @Override
  public boolean next() throws SQLException {
    if (!rows.next()) {
      return false;
    }
    if (raw != null) {
      ResultSet rs = rows;
      byte[][] r = raw;
      for (int i = 0; i < r.length; i++) {
        r[i] = rs.getBytes(i + 1);
      }
      decoded = false;
      return true;
    }
    ResultSet rs = rows;
    int[] k = kinds;
    Object[] v = values;
    for (int i = 0; i < k.length; i++) {
      int col = i + 1;
      switch (k[i]) {
        case INTEGER -> {
          long n = rs.getLong(col);
          v[i] = n == 0 && rs.wasNull() ? null : Long.valueOf(n);
        }
        case DECIMAL -> v[i] = decimal(rs.getString(col));
        case FLOAT -> v[i] = floating(rs.getString(col));
        case BOOLEAN -> {
          boolean b = rs.getBoolean(col);
          v[i] = !b && rs.wasNull() ? null : Boolean.valueOf(b);
        }
        case BYTES -> v[i] = rs.getBytes(col);
        default -> v[i] = rs.getString(col);
      }
    }
    return true;
  }

  /** numeric text is plain decimal, except the special values PostgreSQL 14 added. */
  private static Object decimal(String text) {
    if (text == null) {
      return null;
    }
    return switch (text) {
      case "NaN" -> Double.NaN;
      case "Infinity" -> Double.POSITIVE_INFINITY;
      case "-Infinity" -> Double.NEGATIVE_INFINITY;
      default -> new BigDecimal(text);
    };
  }

  private static Double floating(String text) {
    if (text == null) {
      return null;
    }
    // Java reads PostgreSQL's "NaN", "Infinity", "-Infinity" and exponents like 1e+300.
    return Double.valueOf(text);
  }

  @Override
  public Object[] values() {
    if (raw != null && !decoded) {
      for (int i = 0; i < values.length; i++) {
        values[i] = decode(i);
      }
      decoded = true;
    }
    return values;
  }

  @Override
  public boolean hasText() {
    return raw != null;
  }

  @Override
  public byte[] text(int column) {
    if (raw == null || kinds[column] == BYTES) {
      throw new UnsupportedOperationException(
          "column " + (column + 1) + " has no text form in this reader");
    }
    return raw[column];
  }

  @Override
  public Object value(int column) {
    if (raw == null) {
      return values[column];
    }
    return decoded ? values[column] : decode(column);
  }

  /** The object the typed getter of the values mode gives for a raw value. */
  private Object decode(int column) {
    byte[] b = raw[column];
    if (b == null) {
      return null;
    }
    return switch (kinds[column]) {
      case INTEGER -> Long.parseLong(new String(b, StandardCharsets.ISO_8859_1));
      case DECIMAL -> decimal(new String(b, StandardCharsets.ISO_8859_1));
      case FLOAT -> floating(new String(b, StandardCharsets.ISO_8859_1));
      case BOOLEAN -> b.length == 1 && b[0] == 't';
      case BYTES -> b;
      default -> new String(b, StandardCharsets.UTF_8);
    };
  }

  @Override
  public List<Object> key() throws SQLException {
    if (keyIndexes == null) {
      return null;
    }
    List<Object> key = new ArrayList<>(keyIndexes.length);
    for (int index : keyIndexes) {
      key.add(rows.getString(index + 1));
    }
    return key;
  }

  @Override
  public void close() throws SQLException {
    try {
      rows.close();
    } finally {
      statement.close();
    }
  }
}
