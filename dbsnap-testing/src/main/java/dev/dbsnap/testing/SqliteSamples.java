package dev.dbsnap.testing;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;

/** SQLite databases for tests, made from code so every run sees the same bytes. */
public final class SqliteSamples {
  private SqliteSamples() {}

  /**
   * A database with an integer-key table, a composite text key, a table without a key, and a table
   * of edge values whose storage classes differ from the declared types.
   */
  public static Path create(Path file, int rows) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute(
            "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, price REAL,"
                + " qty INTEGER DEFAULT 0, data BLOB, created TEXT)");
        st.execute("CREATE INDEX items_name ON items(name)");
        st.execute(
            "CREATE TABLE pairs (a TEXT NOT NULL, b INTEGER NOT NULL, v TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID");
        st.execute("CREATE TABLE nokey (x, y TEXT)");
        st.execute(
            "CREATE TABLE \"odd \"\"name\" (\"select\" INTEGER PRIMARY KEY, \"we ird\" TEXT)");
        st.execute("CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10");
        st.execute("CREATE TRIGGER items_touch AFTER UPDATE ON items BEGIN SELECT 1; END");
      }
      Random random = new Random(42);
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO items (name, price, qty, data, created) VALUES (?, ?, ?, ?, ?)")) {
        for (int i = 0; i < rows; i++) {
          ps.setString(
              1, "item " + i + (i % 7 == 0 ? " with \"quotes\", commas\nand newlines" : ""));
          if (i % 5 == 0) {
            ps.setNull(2, java.sql.Types.REAL);
          } else {
            ps.setDouble(2, random.nextInt(100000) / 100.0);
          }
          ps.setLong(3, random.nextInt(1000));
          byte[] data = new byte[i % 3 == 0 ? 0 : 16];
          random.nextBytes(data);
          ps.setBytes(4, i % 4 == 0 ? null : data);
          ps.setString(5, "2024-01-" + String.format("%02d", 1 + i % 28) + "T12:00:00Z");
          ps.addBatch();
        }
        ps.executeBatch();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO pairs VALUES (?, ?, ?)")) {
        for (int i = 0; i < rows / 2; i++) {
          ps.setString(1, "k" + (i % 97));
          ps.setLong(2, i);
          ps.setString(3, i % 3 == 0 ? null : "v" + i);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO nokey VALUES (?, ?)")) {
        for (int i = 0; i < rows / 4; i++) {
          ps.setLong(1, i);
          ps.setString(2, "y" + i);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      try (Statement st = c.createStatement()) {
        st.execute("INSERT INTO \"odd \"\"name\" VALUES (1, 'a'), (2, '')");
        // AUTOINCREMENT counter above the largest key
        st.execute("UPDATE sqlite_sequence SET seq = seq + 1000 WHERE name = 'items'");
      }
      c.commit();
    }
    return file;
  }

  /** A table holding every kind of edge value SQLite can store, in columns of every affinity. */
  public static void addEdgeTable(Path file) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE edge (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n NUMERIC, anyv)");
      st.execute(
          "INSERT INTO edge VALUES (1, 9223372036854775807, 0.1, 'it''s', X'00FF10', 12.5, NULL)");
      st.execute(
          "INSERT INTO edge VALUES (2, -9223372036854775808, 1e300, 'back\\slash', X'', 9007199254740993, 1)");
      st.execute(
          "INSERT INTO edge VALUES (3, 'text in int', -0.0, 'line1\nline2\r\n\ttab', 'text in blob', 'abc', 2.5)");
      st.execute("INSERT INTO edge VALUES (4, 1.5, 9e999, '😀 ünïcödé 中文', 42, NULL, 'str')");
      st.execute("INSERT INTO edge VALUES (5, X'0102', -9e999, '', NULL, 1e20, X'CAFE')");
      st.execute(
          "INSERT INTO edge VALUES (6, NULL, 5e-324, 'nul' || char(0) || 'inside', NULL, 0.1, '')");
      st.execute("INSERT INTO edge VALUES (7, 0, 123456789.123456789, ',\"', NULL, -0, 'NULL')");
    }
  }
}
