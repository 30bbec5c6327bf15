package dev.dbsnap.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.SplittableRandom;

/**
 * The demo's SQLite database: customers, orders and events with text, numbers, NULLs, BLOBs,
 * timestamps, a composite key and a foreign key. Deterministic for a row count.
 */
public final class DemoDatabase {
  private DemoDatabase() {}

  public static void create(Path file, int totalRows) throws SQLException, java.io.IOException {
    Files.deleteIfExists(file);
    int customers = Math.max(1, totalRows / 20);
    int orders = totalRows * 6 / 10;
    int events = totalRows - customers - orders;
    SplittableRandom random = new SplittableRandom(7);
    long epoch = Instant.parse("2024-01-01T00:00:00Z").toEpochMilli();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      try (Statement st = c.createStatement()) {
        st.execute("PRAGMA journal_mode=OFF");
        st.execute("PRAGMA synchronous=OFF");
      }
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE,"
                + " created_at TEXT NOT NULL, balance NUMERIC, avatar BLOB)");
        st.execute(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER NOT NULL"
                + " REFERENCES customers(id), total REAL NOT NULL, status TEXT NOT NULL DEFAULT 'new',"
                + " ordered_at TEXT NOT NULL, note TEXT)");
        st.execute("CREATE INDEX orders_customer ON orders(customer_id)");
        st.execute(
            "CREATE TABLE events (source TEXT NOT NULL, seq INTEGER NOT NULL, happened_at INTEGER NOT NULL,"
                + " score REAL, payload BLOB, PRIMARY KEY (source, seq)) WITHOUT ROWID");
        st.execute("CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 900");
      }
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)")) {
        for (int i = 1; i <= customers; i++) {
          ps.setInt(1, i);
          ps.setString(2, "Customer " + i + (i % 50 == 0 ? " \"the 'best'\", Ltd." : ""));
          ps.setString(3, i % 10 == 0 ? null : "c" + i + "@example.com");
          ps.setString(4, Instant.ofEpochMilli(epoch + i * 60_000L).toString());
          ps.setString(
              5,
              i % 7 == 0
                  ? null
                  : (random.nextInt(1_000_000) / 100) + "." + String.format("%02d", i % 100));
          if (i % 3 == 0) {
            ps.setNull(6, java.sql.Types.BLOB);
          } else {
            byte[] avatar = new byte[32];
            random.nextBytes(avatar);
            ps.setBytes(6, avatar);
          }
          ps.addBatch();
          if (i % 10_000 == 0) {
            ps.executeBatch();
          }
        }
        ps.executeBatch();
      }
      String[] statuses = {"new", "paid", "shipped", "delivered", "returned"};
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO orders (customer_id, total, status, ordered_at, note) VALUES (?, ?, ?, ?, ?)")) {
        for (int i = 1; i <= orders; i++) {
          ps.setInt(1, 1 + random.nextInt(customers));
          ps.setDouble(2, random.nextInt(100_000) / 100.0);
          ps.setString(3, statuses[random.nextInt(statuses.length)]);
          ps.setString(4, Instant.ofEpochMilli(epoch + i * 1_000L).toString());
          int n = random.nextInt(4);
          ps.setString(
              5,
              n == 0
                  ? null
                  : n == 1 ? "leave at the door, \"please\"\nthanks" : n == 2 ? "" : "note " + i);
          ps.addBatch();
          if (i % 10_000 == 0) {
            ps.executeBatch();
          }
        }
        ps.executeBatch();
      }
      String[] sources = {"web", "ios", "android", "api"};
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO events VALUES (?, ?, ?, ?, ?)")) {
        for (int i = 1; i <= events; i++) {
          ps.setString(1, sources[i % sources.length]);
          ps.setInt(2, i);
          ps.setLong(3, epoch + i * 250L);
          if (i % 4 == 0) {
            ps.setNull(4, java.sql.Types.REAL);
          } else {
            ps.setDouble(4, random.nextDouble());
          }
          byte[] payload = new byte[random.nextInt(24)];
          random.nextBytes(payload);
          ps.setBytes(5, payload);
          ps.addBatch();
          if (i % 10_000 == 0) {
            ps.executeBatch();
          }
        }
        ps.executeBatch();
      }
      c.commit();
    }
  }
}
