package dev.dbsnap.source;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;

/**
 * Streams a PostgreSQL table as dbsnap values; the connection must not autocommit.
 *
 * <p>Normally it streams {@code COPY (query) TO STDOUT} ({@link #copying}): the text a text-format
 * SELECT returns (the types' output functions), one message per row, which the server sends without
 * waiting for the client to ask for the next batch, so the database produces rows while dbsnap
 * encodes them. Each row is split and unescaped here and kept as the server's UTF-8 bytes, so
 * encoders that copy text need no String; {@link #values()} decodes them into the same objects the
 * typed getters give. The query runs inside a savepoint, so that a reader closed before its end can
 * cancel the COPY and leave the read transaction (and its snapshot) usable.
 *
 * <p>Or it reads a result set through the typed getters: for servers that do not check their text
 * (SQL_ASCII), and for tests that compare the two.
 */
final class PostgresTableReader implements TableReader {
  private static final int INTEGER = 0;
  private static final int DECIMAL = 1;
  private static final int FLOAT = 2;
  private static final int BOOLEAN = 3;
  private static final int BYTES = 4;
  private static final int STRING = 5;

  /** Names the savepoint a COPY runs in. */
  static final String SAVEPOINT = "dbsnap_read";

  private final PreparedStatement statement;
  private final ResultSet rows;

  /** The COPY this reader streams, or null when it reads {@link #rows}. */
  private final CopyOut copy;

  /** The connection of {@link #copy}, for its savepoint. */
  private final Connection connection;

  /** Whether the COPY ended with its last row. */
  private boolean finished;

  /** Whether reading the COPY failed (the connection may be broken). */
  private boolean failed;

  private final int[] kinds;

  /** Zero-based positions of the key columns, or null for a table without a key. */
  private final int[] keyIndexes;

  private final Object[] values;

  /** The current row's text, field by field, when reading a COPY, else null. */
  private final byte[][] raw;

  /** Whether {@link #values} holds the current row's decoded values (COPY). */
  private boolean decoded;

  /** A reader of a result set through the typed getters. */
  PostgresTableReader(
      PreparedStatement statement, ResultSet rows, List<Column> columns, int[] keyIndexes) {
    this(statement, rows, null, null, columns, keyIndexes);
  }

  /**
   * A reader of {@code COPY (query) TO STDOUT} in text format, started inside savepoint {@link
   * #SAVEPOINT} on {@code connection}.
   */
  static PostgresTableReader copying(
      Connection connection, CopyOut copy, List<Column> columns, int[] keyIndexes) {
    return new PostgresTableReader(null, null, copy, connection, columns, keyIndexes);
  }

  private PostgresTableReader(
      PreparedStatement statement,
      ResultSet rows,
      CopyOut copy,
      Connection connection,
      List<Column> columns,
      int[] keyIndexes) {
    this.statement = statement;
    this.rows = rows;
    this.copy = copy;
    this.connection = connection;
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
    this.raw = copy != null ? new byte[kinds.length][] : null;
  }

  @Override
  public boolean next() throws SQLException {
    if (copy != null) {
      byte[] line;
      try {
        line = copy.readFromCopy();
      } catch (SQLException e) {
        failed = true;
        throw e;
      }
      if (line == null) {
        finished = true;
        return false;
      }
      split(line);
      decoded = false;
      return true;
    }
    if (!rows.next()) {
      return false;
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

  /**
   * One row of COPY's text format into {@link #raw}: fields separated by tabs, {@code \N} for NULL,
   * and backslash escapes for backslash, tab, newline, carriage return, backspace, form feed and
   * vertical tab (COPY TO writes no other), ending in a newline.
   */
  private void split(byte[] line) {
    byte[][] r = raw;
    int end = line.length - 1;
    if (end < 0 || line[end] != '\n') {
      throw malformed("a row that does not end in a newline");
    }
    int pos = 0;
    for (int i = 0; i < r.length; i++) {
      if (pos > end) {
        throw malformed("a row of " + i + " fields");
      }
      int start = pos;
      boolean escaped = false;
      while ((pos = tabOrBackslash(line, pos, end)) < end && line[pos] == '\\') {
        escaped = true;
        pos += 2;
        if (pos > end) {
          throw malformed("a field that ends in a lone backslash");
        }
      }
      if (!escaped) {
        r[i] = Arrays.copyOfRange(line, start, pos);
      } else if (pos - start == 2 && line[start + 1] == 'N') {
        r[i] = null;
      } else {
        r[i] = unescape(line, start, pos);
      }
      pos++; // the tab or the newline
    }
    if (pos != line.length) {
      throw malformed("a row of more than " + r.length + " fields");
    }
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long TABS = 0x0909090909090909L;
  private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  /**
   * The index of the first tab or backslash in {@code line[from, to)}, or {@code to}: eight bytes
   * at a time, each compared by the zero-byte test {@code (v - 0x01..) & ~v & 0x80..}, whose lowest
   * set bit always marks the first match (a borrow only reaches the bytes above it).
   */
  private static int tabOrBackslash(byte[] line, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long v = (long) LONGS.get(line, i);
      long t = v ^ TABS;
      long b = v ^ BACKSLASHES;
      long hit = ((t - ONES) & ~t | (b - ONES) & ~b) & HIGHS;
      if (hit != 0) {
        return i + (Long.numberOfTrailingZeros(hit) >>> 3);
      }
    }
    for (; i < to; i++) {
      byte c = line[i];
      if (c == '\t' || c == '\\') {
        return i;
      }
    }
    return to;
  }

  private static byte[] unescape(byte[] line, int from, int to) {
    byte[] out = new byte[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      byte b = line[i];
      if (b == '\\') {
        b =
            switch (line[++i]) {
              case 'b' -> 8;
              case 'f' -> 12;
              case 'n' -> '\n';
              case 'r' -> '\r';
              case 't' -> '\t';
              case 'v' -> 11;
              default -> line[i]; // the backslash itself, or any escaped character
            };
      }
      out[n++] = b;
    }
    return Arrays.copyOf(out, n);
  }

  private static DbsnapException malformed(String what) {
    return new DbsnapException(
        ErrorCode.SOURCE_READ_FAILED, "PostgreSQL's COPY sent " + what + "; cannot read it");
  }

  /** bytea's text form: {@code \x} and hex digits, or the older escape form. */
  private static byte[] bytea(byte[] text) {
    if (text.length >= 2 && text[0] == '\\' && text[1] == 'x') {
      byte[] out = new byte[(text.length - 2) / 2];
      byte[] h = HEX;
      for (int i = 0, j = 2; i < out.length; i++, j += 2) {
        out[i] = (byte) (h[text[j] & 0xFF] << 4 | h[text[j + 1] & 0xFF]);
      }
      return out;
    }
    byte[] out = new byte[text.length];
    int n = 0;
    for (int i = 0; i < text.length; i++) {
      byte b = text[i];
      if (b == '\\') {
        if (text[i + 1] == '\\') {
          i++;
        } else {
          b = (byte) ((text[i + 1] - '0') << 6 | (text[i + 2] - '0') << 3 | (text[i + 3] - '0'));
          i += 3;
        }
      }
      out[n++] = b;
    }
    return Arrays.copyOf(out, n);
  }

  /** Hex digit values by byte (bytea's output uses lower case; upper case is read too). */
  private static final byte[] HEX = new byte[256];

  static {
    for (int c = 0; c < 10; c++) {
      HEX['0' + c] = (byte) c;
    }
    for (int c = 0; c < 6; c++) {
      HEX['a' + c] = (byte) (10 + c);
      HEX['A' + c] = (byte) (10 + c);
    }
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
      // (bytea's text is \x and hex digits, which callers of text() do not expect)
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
      case BYTES -> bytea(b);
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
      key.add(raw != null ? textOf(index) : rows.getString(index + 1));
    }
    return key;
  }

  /** A value's text as {@code getString} gives it (bytea as {@code \x} and hex digits). */
  private String textOf(int column) {
    byte[] b = raw[column];
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws SQLException {
    if (copy != null) {
      if (copy.isActive() && !failed) {
        // Closed before the end: stops the server sending the rest, so the COPY fails, which
        // aborts the savepoint only. The driver's cancelCopy leaves the rest of the answer unread
        // for a COPY TO, so this reads it up to the error (or to the end, if the COPY finished
        // before the cancel reached it).
        connection.unwrap(PGConnection.class).cancelQuery();
        try {
          while (copy.readFromCopy() != null) {
            // discarded
          }
          finished = true;
        } catch (SQLException cancelled) {
          // expected: the server's answer to the cancel
        }
      }
      if (copy.isActive()) {
        // The connection broke during the COPY. The driver keeps it reserved for the COPY, and
        // any statement would wait for it forever: closed, whatever comes next fails at once.
        connection.close();
        return;
      }
      try (Statement st = connection.createStatement()) {
        st.execute((finished ? "RELEASE SAVEPOINT " : "ROLLBACK TO SAVEPOINT ") + SAVEPOINT);
      }
      return;
    }
    try {
      rows.close();
    } finally {
      statement.close();
    }
  }
}
