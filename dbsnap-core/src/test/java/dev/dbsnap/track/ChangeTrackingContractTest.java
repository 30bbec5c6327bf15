package dev.dbsnap.track;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.TableSelection;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What change tracking promises, on every dialect. */
abstract class ChangeTrackingContractTest {
  Source source;
  ChangeTracking tracking;

  /** A fresh database with tables {@code items(id, name)} and {@code other(id)}. */
  abstract Source createDatabase() throws Exception;

  /** Names of every object dbsnap might have left in the database (schemas, tables, triggers). */
  abstract List<String> dbsnapObjects() throws SQLException;

  /** Begins a read transaction as an export does. */
  abstract void beginRead(Connection c) throws SQLException;

  @BeforeEach
  void database() throws Exception {
    source = createDatabase();
    tracking = ChangeTracking.of(source);
  }

  void execute(String... sql) throws SQLException {
    try (Connection c = source.connectForWriting();
        Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  static TableSelection only(String... tables) {
    return new TableSelection(List.of(), List.of(tables), List.of());
  }

  long version(String table) {
    return tracking.status().stream()
        .filter(t -> t.table().equals(table))
        .findFirst()
        .orElseThrow()
        .version();
  }

  @Test
  void installing_twice_changes_nothing() throws Exception {
    List<TrackedTable> first = tracking.install(only("items"));
    List<String> objects = dbsnapObjects();

    List<TrackedTable> second = tracking.install(only("items"));

    assertThat(first).extracting(TrackedTable::table).containsExactly("items");
    assertThat(second).isEqualTo(first);
    assertThat(dbsnapObjects()).isEqualTo(objects);
  }

  @Test
  void every_committed_change_gives_a_new_version_and_nothing_else_does() throws Exception {
    tracking.install(only("items"));
    long v0 = version("items");

    execute("INSERT INTO items (id, name) VALUES (100, 'new')");
    long v1 = version("items");
    execute("UPDATE items SET name = 'changed' WHERE id = 100");
    long v2 = version("items");
    execute("DELETE FROM items WHERE id = 100");
    long v3 = version("items");
    assertThat(v1).isGreaterThan(v0);
    assertThat(v2).isGreaterThan(v1);
    assertThat(v3).isGreaterThan(v2);

    execute("UPDATE items SET name = 'x' WHERE id = -1", "DELETE FROM items WHERE id = -1");
    execute("INSERT INTO other (id) VALUES (7)");
    try (Connection c = source.connectForWriting();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute("INSERT INTO items (id, name) VALUES (101, 'rolled back')");
      c.rollback();
    }
    assertThat(version("items")).isEqualTo(v3);
  }

  @Test
  void removing_one_table_keeps_the_others_and_removing_the_last_leaves_nothing() throws Exception {
    assertThat(dbsnapObjects()).isEmpty();
    tracking.install(only("items", "other"));

    assertThat(tracking.remove(only("items")))
        .extracting(TrackedTable::table)
        .containsExactly("other");
    execute("INSERT INTO items (id, name) VALUES (100, 'untracked now')");
    assertThat(tracking.remove(only("other"))).isEmpty();

    assertThat(dbsnapObjects()).isEmpty();
    execute("INSERT INTO items (id, name) VALUES (101, 'still writable')");
  }

  @Test
  void remove_all_leaves_nothing_of_dbsnap_behind() throws Exception {
    tracking.install(TableSelection.ALL);
    assertThat(dbsnapObjects()).isNotEmpty();

    assertThat(tracking.remove(TableSelection.ALL)).isEmpty();

    assertThat(dbsnapObjects()).isEmpty();
    assertThat(tracking.status()).isEmpty();
  }

  @Test
  void an_unknown_table_is_an_error_naming_it_and_installs_nothing() throws Exception {
    assertThatThrownBy(() -> tracking.install(only("items", "nope")))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE))
        .hasMessageContaining("nope");
    assertThat(dbsnapObjects()).isEmpty();
  }

  @Test
  void a_reinstalled_table_never_reuses_a_version() throws Exception {
    tracking.install(only("items"));
    execute("INSERT INTO items (id, name) VALUES (100, 'a')");
    long before = version("items");
    tracking.remove(only("items"));

    tracking.install(only("items"));

    assertThat(version("items")).isGreaterThan(before);
  }

  @Test
  void a_table_dropped_and_created_again_has_no_version_until_installed_again() throws Exception {
    tracking.install(only("items"));
    execute("INSERT INTO items (id, name) VALUES (100, 'a')");
    long before = version("items");

    execute(
        "DROP TABLE items",
        "CREATE TABLE items (id bigint PRIMARY KEY, name text)",
        "INSERT INTO items (id, name) VALUES (1, 'another table')");

    try (Connection c = source.connect()) {
      beginRead(c);
      assertThat(versionIn(c, "items")).isEmpty();
    }
    assertThat(tracking.status())
        .allSatisfy(t -> assertThat(t.problem() != null || !t.table().equals("items")).isTrue());

    tracking.install(only("items"));

    long reinstalled = version("items");
    assertThat(reinstalled).isGreaterThan(before);
    execute("INSERT INTO items (id, name) VALUES (2, 'tracked again')");
    assertThat(version("items")).isGreaterThan(reinstalled);
    assertThat(tracking.status()).extracting(TrackedTable::table).containsExactly("items");
  }

  @Test
  void rows_changed_by_a_foreign_key_cascade_give_a_new_version() throws Exception {
    execute(
        "CREATE TABLE parents (id bigint PRIMARY KEY)",
        "CREATE TABLE children (id bigint PRIMARY KEY, parent bigint REFERENCES parents (id)"
            + " ON DELETE CASCADE ON UPDATE CASCADE)",
        "INSERT INTO parents VALUES (1), (2)",
        "INSERT INTO children VALUES (10, 1), (20, 2)");
    tracking.install(only("children"));
    long before = version("children");

    executeWithForeignKeys("UPDATE parents SET id = 3 WHERE id = 1");
    long updated = version("children");
    executeWithForeignKeys("DELETE FROM parents WHERE id = 2");

    assertThat(updated).isGreaterThan(before);
    assertThat(version("children")).isGreaterThan(updated);
  }

  /** Runs statements with foreign keys enforced (SQLite enforces them per connection). */
  void executeWithForeignKeys(String... sql) throws SQLException {
    try (Connection c = source.connectForWriting();
        Statement st = c.createStatement()) {
      st.execute(
          source.kind() == dev.dbsnap.source.DialectKind.SQLITE
              ? "PRAGMA foreign_keys = ON"
              : "SELECT 1");
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  @Test
  void the_version_read_with_the_rows_names_exactly_those_rows() throws Exception {
    tracking.install(only("items"));
    Map<Long, String> contentsByVersion = new HashMap<>();
    List<String> mismatches = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      if (i % 3 != 2) {
        execute(
            "INSERT INTO items (id, name) VALUES (" + (1000 + i) + ", 'row " + i + "')",
            "UPDATE items SET name = name || '+' WHERE id = " + (i % 5 + 1));
      }
      try (Connection c = source.connect()) {
        beginRead(c);
        long version = versionIn(c, "items").orElseThrow();
        String contents = contents(c);
        String earlier = contentsByVersion.putIfAbsent(version, contents);
        if (earlier != null && !earlier.equals(contents)) {
          mismatches.add("version " + version);
        }
        c.rollback();
      }
    }
    assertThat(mismatches).isEmpty();
    assertThat(contentsByVersion).hasSize(20);
  }

  OptionalLong versionIn(Connection c, String table) throws SQLException {
    DatabaseSchema schema = source.dialect().introspect(c, only(table));
    TableSchema t = schema.tables().get(0);
    return ChangeTracking.version(c, source.kind(), t);
  }

  /** The items table as a query in a read transaction names it. */
  abstract String items();

  String contents(Connection c) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, name FROM " + items() + " ORDER BY id")) {
      while (rs.next()) {
        sha.update((rs.getLong(1) + "|" + rs.getString(2) + "\n").getBytes());
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  @Test
  void tracking_objects_stay_out_of_exports() throws Exception {
    tracking.install(TableSelection.ALL);

    try (Connection c = source.connect()) {
      beginRead(c);
      DatabaseSchema schema = source.dialect().introspect(c, TableSelection.ALL);
      assertThat(schema.tables())
          .extracting(TableSchema::name)
          .containsExactlyInAnyOrder("items", "other");
      assertThat(String.join("\n", schema.after())).doesNotContain("dbsnap");
    }
  }
}
