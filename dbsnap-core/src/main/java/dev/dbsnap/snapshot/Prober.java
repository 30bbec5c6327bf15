package dev.dbsnap.snapshot;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.track.ChangeTracking;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A hit's look at the source: a table's version and its column shape in one statement, so that a
 * request for a snapshot that exists costs one round trip to the source.
 *
 * <p>One statement reads both under one snapshot, so the version and the shape belong together. The
 * probe runs outside a transaction of its own (autocommit): a single statement needs none, and so
 * the connection goes back to its pool with nothing to reset. Builds do not use it: a build reads
 * its version in the transaction that reads its rows.
 *
 * <p>PostgreSQL: {@code set_config('search_path', '', false)} and the probe are sent together (one
 * round trip); the empty search path makes {@code format_type} name types as the dialect's
 * introspection does, and the export's own snapshot set-up sets it the same way for the session. A
 * query naming {@code dbsnap.tracked} cannot be planned where tracking is not installed, so the
 * probe remembers per source whether it was and then asks a variant that reports whether it is now;
 * a change either way costs one extra statement, once.
 *
 * <p>Thread-safe.
 */
final class Prober {
  /**
   * What a probe saw: the version (null untracked) and {@code name:type} per column (empty: gone).
   */
  record Look(Long version, List<String> columns) {}

  private static final String PG_SEARCH_PATH =
      "SELECT pg_catalog.set_config('search_path', '', false);\n";
  private static final String PG_COLUMNS =
      "ARRAY(SELECT a.attname || ':' || pg_catalog.format_type(a.atttypid, a.atttypmod)"
          + " FROM pg_catalog.pg_attribute a WHERE a.attrelid = r.oid AND a.attnum > 0"
          + " AND NOT a.attisdropped ORDER BY a.attnum)";
  private static final String PG_TABLE =
      " FROM pg_catalog.pg_class r JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
          + " WHERE n.nspname = ? AND r.relname = ?";

  /**
   * The version as PostgresTracker reads it: base plus the committed changes of the table and its
   * ancestors; null when untracked or when its ancestors changed since install.
   */
  private static final String PG_TRACKED =
      PG_SEARCH_PATH
          + "SELECT "
          + ChangeTracking.postgresVersionSql("r.oid")
          + ", "
          + PG_COLUMNS
          + PG_TABLE;

  private static final String PG_UNTRACKED =
      PG_SEARCH_PATH
          + "SELECT ("
          + ChangeTracking.POSTGRES_INSTALLED
          + "), "
          + PG_COLUMNS
          + PG_TABLE;

  /** The version as SqliteTracker reads it: the table's counter row. */
  private static final String SQLITE_TRACKED =
      "SELECT "
          + ChangeTracking.sqliteVersionSql()
          + ", x.name, x.type, x.hidden FROM pragma_table_xinfo(?) x ORDER BY x.cid";

  private static final String SQLITE_UNTRACKED =
      "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table'"
          + " AND name = 'dbsnap_versions'), x.name, x.type, x.hidden"
          + " FROM pragma_table_xinfo(?) x ORDER BY x.cid";

  /** Per source URL: false once tracking was seen missing. */
  private final Map<String, Boolean> installed = new ConcurrentHashMap<>();

  /**
   * The version and shape of {@code table} now. Run it on a connection in autocommit mode.
   *
   * @throws SQLException as the driver reports it
   */
  Look look(Connection c, Source source, TableSchema table) throws SQLException {
    boolean postgres = source.kind() == DialectKind.POSTGRESQL;
    if (installed.getOrDefault(source.url(), true)) {
      try {
        return postgres ? pgTracked(c, table) : sqliteTracked(c, table);
      } catch (SQLException e) {
        if (!trackingMissing(e, postgres)) {
          throw e;
        }
        installed.put(source.url(), false);
      }
    }
    Look look = postgres ? pgUntracked(c, table) : sqliteUntracked(c, table);
    if (look != null) {
      return look;
    }
    // installed since it was last seen missing: read the version
    installed.put(source.url(), true);
    return postgres ? pgTracked(c, table) : sqliteTracked(c, table);
  }

  /** {@code name:type} of an introspected table's columns, as a probe reports them. */
  static List<String> columns(TableSchema t) {
    List<String> columns = new ArrayList<>();
    for (Column c : t.columns()) {
      columns.add(c.name() + ":" + c.type());
    }
    return columns;
  }

  private static Look pgTracked(Connection c, TableSchema t) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(PG_TRACKED)) {
      bindPg(ps, t);
      try (ResultSet rs = pgProbe(ps)) {
        if (!rs.next()) {
          return new Look(null, List.of());
        }
        Object version = rs.getObject(1);
        return new Look(version == null ? null : rs.getLong(1), pgColumns(rs.getArray(2)));
      }
    }
  }

  /** Null when tracking turns out to be installed. */
  private static Look pgUntracked(Connection c, TableSchema t) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(PG_UNTRACKED)) {
      bindPg(ps, t);
      try (ResultSet rs = pgProbe(ps)) {
        if (!rs.next()) {
          return new Look(null, List.of());
        }
        return rs.getBoolean(1) ? null : new Look(null, pgColumns(rs.getArray(2)));
      }
    }
  }

  private static void bindPg(PreparedStatement ps, TableSchema t) throws SQLException {
    ps.setString(1, t.schema());
    ps.setString(2, t.name());
  }

  /** Runs set_config and the probe in one round trip and returns the probe's rows. */
  private static ResultSet pgProbe(PreparedStatement ps) throws SQLException {
    ps.execute(); // the first result is set_config's
    if (!ps.getMoreResults()) {
      throw new SQLException("the snapshot probe returned no rows");
    }
    return ps.getResultSet();
  }

  private static List<String> pgColumns(Array array) throws SQLException {
    List<String> columns = List.of((String[]) array.getArray());
    array.free();
    return columns;
  }

  private static Look sqliteTracked(Connection c, TableSchema t) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SQLITE_TRACKED)) {
      ps.setString(1, t.name());
      ps.setString(2, t.name());
      return sqliteLook(ps, false);
    }
  }

  private static Look sqliteUntracked(Connection c, TableSchema t) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SQLITE_UNTRACKED)) {
      ps.setString(1, t.name());
      return sqliteLook(ps, true);
    }
  }

  /** Reads the rows of a SQLite probe; null when {@code untracked} and tracking is installed. */
  private static Look sqliteLook(PreparedStatement ps, boolean untracked) throws SQLException {
    Long version = null;
    List<String> columns = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        if (untracked) {
          if (rs.getBoolean(1)) {
            return null;
          }
        } else {
          long v = rs.getLong(1);
          version = rs.wasNull() ? null : v;
        }
        if (rs.getInt(4) == 1) {
          continue; // a virtual table's hidden column, which introspection leaves out
        }
        String type = rs.getString(3);
        columns.add(rs.getString(2) + ":" + (type == null ? "" : type));
      }
    }
    return new Look(version, columns);
  }

  /**
   * Whether the probe failed because tracking is not installed: PostgreSQL has no {@code
   * dbsnap.tracked}, or one without the ancestors column (an install by an earlier dbsnap, whose
   * tables are untracked until it is installed again); SQLite has no {@code dbsnap_versions}.
   */
  private static boolean trackingMissing(SQLException e, boolean postgres) {
    String message = String.valueOf(e.getMessage());
    String state = String.valueOf(e.getSQLState());
    return postgres
        ? ("42P01".equals(state) && message.contains("dbsnap."))
            || ("42703".equals(state) && message.contains("ancestors"))
        : message.contains("no such table: dbsnap_versions");
  }
}
