package dev.dbsnap.track;

import dev.dbsnap.source.TableSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Change tracking in SQLite: row-level triggers add one to the table's row in {@code
 * dbsnap_versions} for every row inserted, updated or deleted. SQLite has one writer at a time, so
 * a counter row costs no concurrency, and it commits or rolls back with the data. A version starts
 * at the install time in microseconds, so a reinstall never reuses one.
 *
 * <p>A table has a version only while its three triggers exist: dropping a table drops its triggers
 * but not its counter row, and a table created again under the name would otherwise keep a version
 * while its rows change. Installing again starts such a table above every version it had.
 */
final class SqliteTracker implements Tracker {
  static final String TABLE = "dbsnap_versions";
  private static final String[][] TRIGGERS = {
    {"insert", "INSERT"}, {"update", "UPDATE"}, {"delete", "DELETE"}
  };

  /**
   * The version of the table named by the SQL expression {@code name}, as a scalar subquery: its
   * counter, or null when it is not tracked or a trigger of its is missing.
   */
  static String version(String name) {
    return "(SELECT v.version FROM "
        + TABLE
        + " v WHERE v.tbl = "
        + name
        + " AND (SELECT count(*) FROM sqlite_master m"
        + " WHERE m.type = 'trigger' AND m.tbl_name = v.tbl AND m.name IN ('dbsnap_' || v.tbl"
        + " || '_insert', 'dbsnap_' || v.tbl || '_update', 'dbsnap_' || v.tbl || '_delete')) = 3)";
  }

  /** {@link #version} of the table named by the statement's one parameter. */
  static final String VERSION = version("?");

  private static final String NOW_MICROS =
      "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)";

  @Override
  public void install(Connection c, List<TableSchema> tables) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + TABLE
              + " (tbl TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID");
    }
    prune(c);
    for (TableSchema t : tables) {
      // a counter row without its triggers: changes went unseen, so start above every version
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE "
                  + TABLE
                  + " SET version = max(version + 1, "
                  + NOW_MICROS
                  + ") WHERE tbl = ? AND "
                  + version(TABLE + ".tbl")
                  + " IS NULL")) {
        ps.setString(1, t.name());
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT OR IGNORE INTO "
                  + TABLE
                  + " (tbl, version) VALUES (?, "
                  + NOW_MICROS
                  + ")")) {
        ps.setString(1, t.name());
        ps.executeUpdate();
      }
      for (String[] trigger : TRIGGERS) {
        try (Statement st = c.createStatement()) {
          st.execute(
              "CREATE TRIGGER IF NOT EXISTS "
                  + quote(triggerName(t, trigger[0]))
                  + " AFTER "
                  + trigger[1]
                  + " ON "
                  + quote(t.name())
                  + " BEGIN UPDATE "
                  + TABLE
                  + " SET version = version + 1 WHERE tbl = "
                  + literal(t.name())
                  + "; END");
        }
      }
    }
  }

  /** Forgets the counter rows of tables that no longer exist. */
  private static void prune(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "DELETE FROM "
              + TABLE
              + " WHERE NOT EXISTS (SELECT 1 FROM sqlite_master m"
              + " WHERE m.type = 'table' AND m.name = "
              + TABLE
              + ".tbl)");
    }
  }

  @Override
  public void remove(Connection c, List<TableSchema> tables) throws SQLException {
    if (!installed(c)) {
      return;
    }
    prune(c);
    for (TableSchema t : tables) {
      try (Statement st = c.createStatement()) {
        for (String[] trigger : TRIGGERS) {
          st.execute("DROP TRIGGER IF EXISTS " + quote(triggerName(t, trigger[0])));
        }
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE tbl = ?")) {
        ps.setString(1, t.name());
        ps.executeUpdate();
      }
    }
    boolean empty;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT NOT EXISTS (SELECT 1 FROM " + TABLE + ")")) {
      rs.next();
      empty = rs.getBoolean(1);
    }
    if (empty) {
      try (Statement st = c.createStatement()) {
        st.execute("DROP TABLE " + TABLE);
      }
    }
  }

  @Override
  public void removeAll(Connection c) throws SQLException {
    List<String> triggers = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                    + " AND name LIKE 'dbsnap\\_%' ESCAPE '\\'")) {
      while (rs.next()) {
        triggers.add(rs.getString(1));
      }
    }
    try (Statement st = c.createStatement()) {
      for (String trigger : triggers) {
        st.execute("DROP TRIGGER IF EXISTS " + quote(trigger));
      }
      st.execute("DROP TABLE IF EXISTS " + TABLE);
    }
  }

  @Override
  public List<TrackedTable> status(Connection c) throws SQLException {
    List<TrackedTable> result = new ArrayList<>();
    if (!installed(c)) {
      return result;
    }
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT d.tbl, "
                    + version("d.tbl")
                    + " FROM "
                    + TABLE
                    + " d WHERE EXISTS (SELECT 1 FROM sqlite_master m WHERE m.type = 'table'"
                    + " AND m.name = d.tbl) ORDER BY d.tbl")) {
      while (rs.next()) {
        long version = rs.getLong(2);
        result.add(
            rs.wasNull()
                ? new TrackedTable(
                    rs.getString(1),
                    0,
                    "no version: its dbsnap triggers are gone (the table was dropped and created"
                        + " again, or they were dropped) since tracking was installed;"
                        + " run dbsnap track install again")
                : new TrackedTable(rs.getString(1), version));
      }
    }
    return result;
  }

  @Override
  public OptionalLong version(Connection c, TableSchema table) throws SQLException {
    if (!installed(c)) {
      return OptionalLong.empty();
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT " + VERSION)) {
      ps.setString(1, table.name());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long version = rs.getLong(1);
        return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(version);
      }
    }
  }

  private static boolean installed(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")) {
      ps.setString(1, TABLE);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** {@code dbsnap_<table>_<event>}: the dbsnap_ prefix keeps it out of exports. */
  static String triggerName(TableSchema t, String event) {
    return "dbsnap_" + t.name() + "_" + event;
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  private static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }
}
