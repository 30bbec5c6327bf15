package dev.dbsnap.source;

import java.sql.SQLException;
import java.util.List;

/**
 * A forward-only stream of a table's rows in key order (DESIGN 1). Not thread-safe. Values of the
 * current row are valid until the next call to {@link #next()}.
 */
public interface TableReader extends AutoCloseable {
  /** Advances to the next row; false at the end. */
  boolean next() throws SQLException;

  /**
   * The current row's values, one per column of the table, represented as {@link ValueKind} says.
   */
  Object[] values();

  /**
   * The current row's key as JSON-serialisable values (Long, Double, String, or byte[]), from which
   * {@link Dialect#openReader} can start after this row; null for a table of kind {@link
   * KeyKind#NONE}.
   */
  List<Object> key() throws SQLException;

  /**
   * Whether {@link #text(int)} is available: the reader holds each value as the UTF-8 text the
   * database printed and {@link #values()} decodes it only when asked.
   */
  default boolean hasText() {
    return false;
  }

  /**
   * The current row's value of a column as the UTF-8 bytes of the database's text form (on
   * PostgreSQL its output function under dbsnap's session settings: booleans {@code t}/{@code f},
   * floats with {@code extra_float_digits = 3}), or null for NULL. Not for columns of kind {@link
   * ValueKind#BYTES}, which {@link #value(int)} hands out. The array is valid until the next call
   * to {@link #next()} and must not be changed.
   *
   * @throws UnsupportedOperationException if {@link #hasText()} is false
   */
  default byte[] text(int column) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " holds no text");
  }

  /** The current row's value of one column, as {@link #values()} would hand it out. */
  default Object value(int column) {
    return values()[column];
  }

  /**
   * The current row's value of a column as UTF-8 bytes when it is a text value this reader holds
   * undecoded (SQLite's text, as the database stores it), else null: for NULL, for values of other
   * classes, and for readers that decode text. {@link #value(int)} is the same value as a String.
   * The array is valid until the next call to {@link #next()} and must not be changed.
   */
  default byte[] utf8(int column) {
    return null;
  }

  /**
   * The class of {@link #value(int)} (Long, Double, String, byte[], ...), or null for NULL, without
   * decoding the value.
   */
  default Class<?> valueClass(int column) {
    Object v = value(column);
    return v == null ? null : v.getClass();
  }

  @Override
  void close() throws SQLException;
}
