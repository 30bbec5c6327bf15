package dev.dbsnap.format;

import dev.dbsnap.source.TableReader;
import dev.dbsnap.source.TableSchema;

/**
 * Turns rows into bytes of one format. The output is deterministic: the same calls give the same
 * bytes (DESIGN 2). An encoder is told where frames start so that whatever it groups (an INSERT of
 * several rows, a JSON array's separators) depends only on the frame, which is what lets a resumed
 * export re-encode a frame from its first row and get the same bytes. Not thread-safe.
 */
public interface RowEncoder {
  /** Bytes before the first table of an object (the SQL script's head); once per object. */
  default void objectStart(ByteBuf out) {}

  /** Bytes that open a table (a CSV header, a JSON array's bracket). */
  void tableStart(TableSchema table, ByteBuf out);

  /**
   * Starts a frame inside the current table; {@code firstRowOfTable} tells whether no row of the
   * table precedes it. Called after {@link #tableStart} and whenever a frame begins mid-table,
   * including when a resumed export re-opens a table after a key.
   */
  void frameStart(TableSchema table, boolean firstRowOfTable);

  void row(Object[] values, ByteBuf out);

  /**
   * Encodes the reader's current row; the same bytes as {@code row(reader.values(), out)}, which is
   * what it does unless an encoder can copy the reader's {@link TableReader#text text} instead.
   */
  default void row(TableReader reader, ByteBuf out) {
    row(reader.values(), out);
  }

  /** Closes whatever the frame left open (an INSERT statement). */
  default void frameEnd(ByteBuf out) {}

  /** Bytes that close a table. */
  default void tableEnd(ByteBuf out) {}

  /** Bytes after the last table of an object (indexes, constraints, COMMIT); once per object. */
  default void objectEnd(ByteBuf out) {}
}
