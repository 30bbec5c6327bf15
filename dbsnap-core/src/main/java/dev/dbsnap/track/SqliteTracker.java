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
 */
final class SqliteTracker implements Tracker {
  static final String TABLE = "dbsnap_versions";
  private static final String[][] TRIGGERS = {
    {"insert", "INSERT"}, {"update", "UPDATE"}, {"delete", "DELETE"}
  };

  @Override
  public void install(Connection c, List<TableSchema> tables) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + TABLE
              + " (tbl TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID");
    }
    for (TableSchema t : tables) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT OR IGNORE INTO "
                  + TABLE
                  + " (tbl, version) VALUES (?, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))")) {
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

  @Override
  public void remove(Connection c, List<TableSchema> tables) throws SQLException {
    if (!installed(c)) {
      return;
    }
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
        ResultSet rs = st.executeQuery("SELECT tbl, version FROM " + TABLE + " ORDER BY tbl")) {
      while (rs.next()) {
        result.add(new TrackedTable(rs.getString(1), rs.getLong(2)));
      }
    }
    return result;
  }

  @Override
  public OptionalLong version(Connection c, TableSchema table) throws SQLException {
    if (!installed(c)) {
      return OptionalLong.empty();
    }
    try (PreparedStatement ps =
        c.prepareStatement("SELECT version FROM " + TABLE + " WHERE tbl = ?")) {
      ps.setString(1, table.name());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
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
