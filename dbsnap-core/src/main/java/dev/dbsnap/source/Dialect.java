package dev.dbsnap.source;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * What differs between database kinds on the reading side: how a read snapshot starts, how the
 * structure is introspected and how a table is read in key order. Implementations are stateless and
 * thread-safe.
 */
public interface Dialect {
  DialectKind kind();

  /** Quotes an identifier for this dialect's SQL. */
  String quote(String identifier);

  /** The table's name as SQL (schema-qualified where the dialect has schemas), quoted. */
  String qualified(TableSchema table);

  /**
   * Prepares a fresh connection for reading: session settings that make output deterministic, and
   * one read transaction for the whole run (DESIGN 7).
   */
  void beginSnapshot(Connection connection) throws SQLException;

  /**
   * Introspects the tables that {@code selection} selects, in a stable order, and the objects they
   * need before and after them. User tables only: internal tables are skipped.
   *
   * @throws dev.dbsnap.DbsnapException UNKNOWN_TABLE naming a selected table that does not exist
   */
  default DatabaseSchema introspect(Connection connection, TableSelection selection)
      throws SQLException {
    return introspect(connection, selection, SchemaOptions.DEFAULTS);
  }

  /**
   * Introspects as {@link #introspect(Connection, TableSelection)} does, carrying owners, grants
   * and unsupported objects as {@code options} says.
   *
   * @throws dev.dbsnap.DbsnapException UNKNOWN_TABLE as above; UNSUPPORTED_OBJECT naming an object
   *     dbsnap cannot carry, unless {@link SchemaOptions#skipUnsupported()}
   */
  DatabaseSchema introspect(Connection connection, TableSelection selection, SchemaOptions options)
      throws SQLException;

  /**
   * Opens a reader over {@code table} in key order, starting after {@code afterKey} (a value of
   * {@link TableReader#key()}), or at the start when it is null.
   */
  TableReader openReader(Connection connection, TableSchema table, List<Object> afterKey)
      throws SQLException;

  /**
   * The columns of {@code table} whose values carry a type tag in the csv, jsonl and json formats:
   * those holding a value whose storage class the plain form of the column would not bring back.
   * Decided from the data in {@code connection}'s read transaction (one aggregate query), so that
   * it agrees with the rows read there. Dialects whose values always follow the column's type tag
   * none.
   *
   * @return column names in table order
   */
  default List<String> taggedColumns(Connection connection, TableSchema table) throws SQLException {
    return List.of();
  }

  /**
   * A test, row by row, of whether a value of {@code table} needs a type tag, for a table started
   * with none: an export then reads the table once instead of scanning it first with {@link
   * #taggedColumns}, and writes it again from its start, with the scanned tags, only when the test
   * fires. Null when the tags can only be decided by that scan (or when nothing is ever tagged).
   */
  default java.util.function.Predicate<TableReader> needsTag(TableSchema table) {
    return null;
  }

  /**
   * Keeps writers from committing while the read transactions of a parallel export start, so that
   * every one of them sees the same data; {@link WriterHold#release} lets them go once the last has
   * started. Called before {@link #beginSnapshot} of the first connection.
   *
   * @return the hold, or null when writers cannot be held off (an SQLite file this process may not
   *     write to): the caller then reads through one connection
   */
  default WriterHold holdWriters(Source source) throws SQLException {
    return () -> {};
  }

  /**
   * Names the snapshot of {@code connection}'s read transaction (begun by {@link #beginSnapshot})
   * so that other connections can join it with {@link #beginSnapshotAt}; null when the dialect has
   * no such name and the snapshots are lined up by {@link #holdWriters} instead.
   */
  default String exportSnapshot(Connection connection) throws SQLException {
    return null;
  }

  /**
   * Prepares a fresh connection as {@link #beginSnapshot} does, with its read transaction in the
   * snapshot {@link #exportSnapshot} named (or, when that is null, taken now, while writers are
   * held off).
   */
  default void beginSnapshotAt(Connection connection, String snapshotId) throws SQLException {
    beginSnapshot(connection);
  }

  /** Writers held off by {@link #holdWriters}. */
  @FunctionalInterface
  interface WriterHold {
    /** Lets writers commit again; safe to call twice. */
    void release() throws SQLException;
  }

  /** The dialect for a JDBC URL or SQLite path. */
  static Dialect of(DialectKind kind) {
    return switch (kind) {
      case SQLITE -> SqliteDialect.INSTANCE;
      case POSTGRESQL -> PostgresDialect.INSTANCE;
    };
  }
}
