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

  @Override
  void close() throws SQLException;
}
