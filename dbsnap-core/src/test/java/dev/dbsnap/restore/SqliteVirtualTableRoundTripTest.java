package dev.dbsnap.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Virtual tables (external-content FTS5 with its sync triggers, FTS4, R*Tree), ANALYZE statistics,
 * a trigger on a view and the user_version and application_id pragmas survive export and restore:
 * the sql format restored by the system sqlite3, the others by dbsnap.
 */
class SqliteVirtualTableRoundTripTest {
  @TempDir static Path dir;
  static Path db;
  static Source source;

  @BeforeAll
  static void createDatabase() throws Exception {
    db = dir.resolve("vt.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      for (String s :
          new String[] {
            "PRAGMA user_version = 7",
            "PRAGMA application_id = 305419896",
            "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT, body TEXT)",
            "CREATE VIRTUAL TABLE items_fts USING fts5(title, body, content='items',"
                + " content_rowid='id')",
            "CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN INSERT INTO items_fts(rowid, title,"
                + " body) VALUES (new.id, new.title, new.body); END",
            "CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN INSERT INTO items_fts(items_fts,"
                + " rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
            "CREATE TRIGGER items_au AFTER UPDATE ON items BEGIN INSERT INTO items_fts(items_fts,"
                + " rowid, title, body) VALUES ('delete', old.id, old.title, old.body); INSERT INTO"
                + " items_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
            "CREATE VIRTUAL TABLE notes USING fts4(text)",
            "CREATE VIRTUAL TABLE places USING rtree(id, min_x, max_x, min_y, max_y)",
            "CREATE TABLE anything (id INTEGER PRIMARY KEY, v)",
            "CREATE TABLE gps (id INTEGER PRIMARY KEY, lat REAL, lon REAL)",
            "CREATE INDEX gps_lat ON gps(lat)",
            "CREATE VIEW item_titles AS SELECT id, title FROM items",
            "CREATE TRIGGER item_titles_insert INSTEAD OF INSERT ON item_titles BEGIN INSERT INTO"
                + " items(title, body) VALUES (new.title, ''); END",
          }) {
        st.execute(s);
      }
      for (int i = 0; i < 300; i++) {
        st.execute(
            "INSERT INTO items (title, body) VALUES ('title "
                + i
                + "', 'the quick brown fox number "
                + i
                + (i % 7 == 0 ? " jumps over the lazy dog" : "")
                + "')");
        st.execute("INSERT INTO notes (text) VALUES ('note " + i + " alpha beta')");
        st.execute(
            "INSERT INTO places VALUES ("
                + i
                + ", "
                + i
                + ", "
                + (i + 0.5)
                + ", "
                + -i
                + ", "
                + (-i + 2.25)
                + ")");
        st.execute(
            "INSERT INTO gps (lat, lon) VALUES ("
                + (22.072241 + i * 0.000013)
                + ", "
                + (-113.9876543 + i)
                + ")");
      }
      st.execute("DELETE FROM items WHERE id % 50 = 3");
      st.execute("UPDATE items SET body = 'updated zebra' WHERE id = 10");
      st.execute(
          "INSERT INTO anything (v) VALUES (x'00ff10'), ('text'), (42), (1.5), (NULL), (x'')");
      st.execute("ANALYZE");
    }
    source = Source.parse(db.toString(), null, null);
  }

  @Test
  void an_sql_dump_restored_by_the_system_sqlite3_is_the_same_database(@TempDir Path out)
      throws Exception {
    assumeThat(SqliteRoundTripTest.onPath("sqlite3"))
        .as("sqlite3 is not installed; .ci/run installs it")
        .isTrue();
    Path exportDir = SqliteRoundTripTest.export(source, Format.SQL, Compression.NONE, out);
    Path restored = out.resolve("shell.db");
    SqliteRoundTripTest.sqlite3(exportDir.resolve("dump.sql"), restored);
    assertSameDatabase(restored);
    assertSameQueries(restored);
    assertViewTriggerWorks(restored);
  }

  @ParameterizedTest
  @EnumSource(
      value = Format.class,
      names = {"SQL", "CSV", "JSONL", "JSON"})
  void a_restore_by_dbsnap_is_the_same_database(Format format, @TempDir Path out) throws Exception {
    Path exportDir = SqliteRoundTripTest.export(source, format, Compression.NONE, out);
    Path restored = out.resolve("restored.db");
    SqliteRoundTripTest.restore(exportDir, restored);
    // every format keeps each value's storage class, the BLOBs of untyped shadow columns included
    assertSameDatabase(restored);
    assertSameQueries(restored);
    assertViewTriggerWorks(restored);
  }

  @Test
  void an_export_with_virtual_tables_is_not_restored_into_a_database_that_has_tables(
      @TempDir Path out) throws Exception {
    Path exportDir = SqliteRoundTripTest.export(source, Format.CSV, Compression.NONE, out);
    Path target = out.resolve("busy.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + target);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE unrelated (x)");
    }
    assertThatThrownBy(() -> SqliteRoundTripTest.restore(exportDir, target))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("virtual tables")
        .hasMessageContaining("table unrelated");
  }

  /** sqlite_master, every row of every table with its storage class, and the pragmas are equal. */
  private static void assertSameDatabase(Path restored) throws Exception {
    String master =
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name <> 'sqlite_stat4'"
            + " ORDER BY type, name";
    assertThat(query(restored, master)).isEqualTo(query(db, master));
    for (List<String> table :
        query(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
      String name = table.get(0).substring("text:".length());
      // sqlite_stat4 (sqlite-jdbc's ANALYZE writes it) is listed as skipped
      if (name.startsWith("sqlite_") && !name.equals("sqlite_stat1")
          || query(db, "SELECT sql FROM sqlite_master WHERE name = '" + name + "'")
              .get(0)
              .get(0)
              .startsWith("text:CREATE VIRTUAL")) {
        continue; // a virtual table's rows are its shadow tables', compared one by one
      }
      String rows = "SELECT * FROM \"" + name + "\"";
      assertThat(sorted(query(restored, rows))).as(name).isEqualTo(sorted(query(db, rows)));
    }
    for (String q :
        List.of(
            "PRAGMA user_version",
            "PRAGMA application_id",
            "SELECT count(*) FROM gps INDEXED BY gps_lat WHERE lat > 22.0724")) {
      assertThat(query(restored, q)).as(q).isEqualTo(query(db, q)).isNotEmpty();
    }
  }

  /** The INSTEAD OF trigger on the view came along. */
  private static void assertViewTriggerWorks(Path restored) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + restored);
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO item_titles (title) VALUES ('through the view')");
    }
    assertThat(query(restored, "SELECT count(*) FROM items WHERE title = 'through the view'"))
        .containsExactly(List.of("integer:1"));
  }

  /**
   * Full-text and R*Tree queries answer as in the source, before and after new writes. Only for
   * exports that keep a BLOB's storage class in columns without a declared type: the FTS5 term
   * index (_idx.term) and the R*Tree nodes (_node.data) are such columns.
   */
  private static void assertSameQueries(Path restored) throws Exception {
    for (String q :
        List.of(
            "SELECT rowid, title FROM items_fts WHERE items_fts MATCH 'lazy' ORDER BY rowid",
            "SELECT rowid FROM items_fts WHERE items_fts MATCH 'zebra'",
            "SELECT docid FROM notes WHERE notes MATCH 'alpha' ORDER BY docid",
            "SELECT id FROM places WHERE min_x >= 10 AND max_x <= 20.5 ORDER BY id",
            "SELECT * FROM places ORDER BY id",
            "SELECT * FROM items_fts ORDER BY rowid",
            "SELECT count(*) FROM places WHERE min_y < -100")) {
      assertThat(query(restored, q)).as(q).isEqualTo(query(db, q)).isNotEmpty();
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + restored);
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO items (title, body) VALUES ('new', 'a restored aardvark')");
      st.execute("INSERT INTO notes (text) VALUES ('restored gamma')");
      st.execute("UPDATE items SET body = 'now a yak' WHERE id = 1");
      st.execute("PRAGMA integrity_check");
    }
    assertThat(query(restored, "SELECT title FROM items_fts WHERE items_fts MATCH 'aardvark'"))
        .containsExactly(List.of("text:new"));
    assertThat(query(restored, "SELECT title FROM items_fts WHERE items_fts MATCH 'yak'"))
        .containsExactly(List.of("text:title 0"));
    assertThat(query(restored, "SELECT count(*) FROM notes WHERE notes MATCH 'gamma'"))
        .containsExactly(List.of("integer:1"));
    assertThat(query(restored, "INSERT INTO items_fts(items_fts) VALUES('integrity-check')"))
        .isEmpty();
  }

  private static List<String> sorted(List<List<String>> rows) {
    return rows.stream().map(List::toString).sorted().toList();
  }

  /** Rows of a query, each value as "storage class:value" (BLOBs in hex). */
  static List<List<String>> query(Path database, String sql) throws Exception {
    List<List<String>> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database);
        Statement st = c.createStatement()) {
      if (!st.execute(sql)) {
        return rows;
      }
      try (ResultSet rs = st.getResultSet()) {
        ResultSetMetaData meta = rs.getMetaData();
        while (rs.next()) {
          List<String> row = new ArrayList<>();
          for (int i = 1; i <= meta.getColumnCount(); i++) {
            Object v = rs.getObject(i);
            row.add(
                v == null
                    ? "null"
                    : v instanceof byte[] b
                        ? "blob:" + HexFormat.of().formatHex(b)
                        : v instanceof Double d
                            ? "real:" + Long.toHexString(Double.doubleToRawLongBits(d))
                            : (v instanceof Number ? "integer:" : "text:") + v);
          }
          rows.add(row);
        }
      }
    }
    return rows;
  }
}
