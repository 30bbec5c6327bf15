package dev.dbsnap.track;

import dev.dbsnap.source.TableSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.OptionalLong;

/** What change tracking does in one kind of database; one implementation per dialect. */
interface Tracker {
  /** Installs tracking on {@code tables}, leaving tables already tracked as they are. */
  void install(Connection c, List<TableSchema> tables) throws SQLException;

  /** Removes tracking from {@code tables}; when none stay tracked, everything dbsnap made. */
  void remove(Connection c, List<TableSchema> tables) throws SQLException;

  /** Removes everything dbsnap made in the database, for every table. */
  void removeAll(Connection c) throws SQLException;

  /** Every tracked table and its version, read in the connection's current transaction. */
  List<TrackedTable> status(Connection c) throws SQLException;

  /** The version of {@code table} in the connection's current transaction, if it is tracked. */
  OptionalLong version(Connection c, TableSchema table) throws SQLException;

  /** Folds the change log into one row per table, where the dialect keeps one. */
  default void fold(Connection c) throws SQLException {}
}
