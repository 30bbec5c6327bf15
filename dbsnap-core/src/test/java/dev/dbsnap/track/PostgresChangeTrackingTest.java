package dev.dbsnap.track;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.source.Source;
import dev.dbsnap.testing.PgTestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PostgresChangeTrackingTest extends ChangeTrackingContractTest {
  String db;

  @Override
  Source createDatabase() throws Exception {
    db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
      st.execute("CREATE TABLE other (id bigint PRIMARY KEY)");
      st.execute("INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')");
    }
    return new Source(PgTestServer.jdbcUrl(db), PgTestServer.USER, null);
  }

  @Override
  List<String> dbsnapObjects() throws SQLException {
    List<String> names = new ArrayList<>();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname LIKE '%dbsnap%'"
                    + " UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger"
                    + " WHERE tgname LIKE '%dbsnap%'"
                    + " UNION ALL SELECT 'function ' || proname FROM pg_proc p"
                    + " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'dbsnap'"
                    + " ORDER BY 1")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  @Override
  String items() {
    return "public.items";
  }

  @Override
  void beginRead(Connection c) throws SQLException {
    source.dialect().beginSnapshot(c);
  }

  @Test
  void truncate_gives_a_new_version() throws Exception {
    tracking.install(only("items"));
    long before = version("items");

    execute("TRUNCATE items");

    assertThat(version("items")).isGreaterThan(before);
  }

  @Test
  void eight_concurrent_writers_of_one_tracked_table_never_deadlock_or_fail_to_serialise()
      throws Exception {
    tracking.install(only("items"));
    long before = version("items");
    int writers = 8;
    int statements = 150;
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicInteger committed = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    for (int w = 0; w < writers; w++) {
      int writer = w;
      pool.submit(
          () -> {
            try (Connection c = PgTestServer.connect(db);
                Statement st = c.createStatement()) {
              c.setAutoCommit(false);
              start.await();
              for (int i = 0; i < statements; i++) {
                long id = 10_000L * (writer + 1) + i;
                st.execute("INSERT INTO items (id, name) VALUES (" + id + ", 'w')");
                st.execute("UPDATE items SET name = 'w" + i + "' WHERE id = " + id);
                c.commit();
                committed.addAndGet(2);
              }
            } catch (Throwable t) {
              failures.add(t);
            }
            return null;
          });
    }
    start.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(120, TimeUnit.SECONDS)).isTrue();

    assertThat(failures).isEmpty();
    assertThat(version("items") - before)
        .isEqualTo(committed.get())
        .isEqualTo(writers * statements * 2);
  }

  @Test
  void a_statement_that_changes_nothing_in_a_transaction_that_changed_nothing_logs_nothing()
      throws Exception {
    tracking.install(only("items"));
    long before = version("items");

    inOneTransaction(
        "SELECT count(*) FROM items",
        "UPDATE items SET name = 'nothing' WHERE id = -1",
        "DELETE FROM items WHERE id < 0",
        "INSERT INTO items SELECT id, name FROM items WHERE false");
    assertThat(changeRows()).isZero();
    inOneTransaction(
        "INSERT INTO items (id, name) VALUES (100, 'x')",
        "UPDATE items SET name = 'y' WHERE id = 100");

    assertThat(version("items")).isEqualTo(before + 2);
  }

  @Test
  void a_rolled_back_savepoint_takes_its_log_row_and_the_next_statement_logs_again()
      throws Exception {
    tracking.install(only("items"));
    long before = version("items");

    inOneTransaction(
        "INSERT INTO other (id) VALUES (1)", // the transaction has an id already
        "SAVEPOINT s",
        "INSERT INTO items (id, name) VALUES (100, 'rolled back')",
        "ROLLBACK TO SAVEPOINT s",
        "INSERT INTO items (id, name) VALUES (101, 'kept')");

    assertThat(version("items")).isEqualTo(before + 1);
    try (Connection c = PgTestServer.connect(db)) {
      c.setAutoCommit(false);
      beginRead(c);
      assertThat(versionIn(c, "items")).hasValue(before + 1);
    }
  }

  @Test
  void installing_over_an_install_with_a_trigger_per_event_replaces_them() throws Exception {
    tracking.install(only("items"));
    execute(
        "DROP TRIGGER dbsnap_change ON items",
        "CREATE FUNCTION dbsnap.changed_rows() RETURNS trigger LANGUAGE plpgsql AS $f$"
            + " BEGIN INSERT INTO dbsnap.changes (tbl, weight) VALUES (TG_RELID, 1);"
            + " RETURN NULL; END $f$",
        "CREATE TRIGGER dbsnap_insert AFTER INSERT ON items"
            + " FOR EACH STATEMENT EXECUTE FUNCTION dbsnap.changed_rows()",
        "CREATE TRIGGER dbsnap_update AFTER UPDATE ON items"
            + " FOR EACH STATEMENT EXECUTE FUNCTION dbsnap.changed_rows()",
        "ALTER TABLE dbsnap.tracked DROP COLUMN ancestors");
    assertThat(tracking.status())
        .singleElement()
        .satisfies(t -> assertThat(t.problem()).contains("earlier dbsnap"));
    try (Connection c = PgTestServer.connect(db)) {
      c.setAutoCommit(false);
      beginRead(c);
      assertThat(versionIn(c, "items")).isEmpty();
    }

    tracking.install(only("other"));

    assertThat(dbsnapObjects())
        .containsExactly(
            "function changed",
            "function fold",
            "schema dbsnap",
            "trigger dbsnap_change",
            "trigger dbsnap_change");
    long before = version("items");
    execute("INSERT INTO items (id, name) VALUES (100, 'x')");
    assertThat(version("items")).isEqualTo(before + 1);
  }

  @Test
  void rows_written_through_a_partitioned_parent_give_the_partition_a_new_version()
      throws Exception {
    execute(
        "CREATE TABLE events (id bigint, day date) PARTITION BY RANGE (day)",
        "CREATE TABLE events_a PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-07-01')"
            + " PARTITION BY RANGE (day)",
        "CREATE TABLE events_a1 PARTITION OF events_a"
            + " FOR VALUES FROM ('2026-01-01') TO ('2026-04-01')",
        "CREATE TABLE events_b PARTITION OF events"
            + " FOR VALUES FROM ('2026-07-01') TO ('2027-01-01')");
    tracking.install(only("events"));
    assertThat(tracking.status())
        .extracting(TrackedTable::table)
        .containsExactly("events_a1", "events_b");
    long a1 = version("events_a1");
    long b = version("events_b");

    execute("INSERT INTO events VALUES (1, '2026-02-01')");
    long a1Routed = version("events_a1");
    execute("INSERT INTO events_a VALUES (2, '2026-03-01')");
    long a1Middle = version("events_a1");
    execute("UPDATE events SET day = '2026-08-01' WHERE id = 1"); // moves the row to events_b
    execute("DELETE FROM events_a1");
    execute("TRUNCATE events");

    assertThat(a1Routed).isGreaterThan(a1);
    assertThat(a1Middle).isGreaterThan(a1Routed);
    assertThat(version("events_a1")).isGreaterThan(a1Middle);
    assertThat(version("events_b")).isGreaterThan(b);
  }

  @Test
  void rows_changed_through_an_inheritance_parent_give_the_child_a_new_version() throws Exception {
    execute(
        "CREATE TABLE animals (id bigint, name text)",
        "CREATE TABLE dogs (good boolean) INHERITS (animals)",
        "INSERT INTO dogs VALUES (1, 'rex', true)");
    tracking.install(only("dogs"));
    long before = version("dogs");

    execute("UPDATE animals SET name = 'max'"); // updates the row in dogs

    long afterUpdate = version("dogs");
    assertThat(afterUpdate).isGreaterThan(before);
    execute("DELETE FROM animals");
    assertThat(version("dogs")).isGreaterThan(afterUpdate);
    tracking.remove(only("dogs"));
    assertThat(tracking.status()).isEmpty();
    assertThat(dbsnapObjects()).isEmpty();
  }

  @Test
  void a_table_attached_to_a_parent_after_install_has_no_version_until_installed_again()
      throws Exception {
    execute(
        "CREATE TABLE events (id bigint, day date) PARTITION BY RANGE (day)",
        "CREATE TABLE later (id bigint, day date)",
        "INSERT INTO later VALUES (1, '2026-02-01')");
    tracking.install(only("later"));
    execute("INSERT INTO later VALUES (2, '2026-02-02')");
    long before = version("later");

    execute(
        "ALTER TABLE events ATTACH PARTITION later"
            + " FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')");

    assertThat(tracking.status())
        .singleElement()
        .satisfies(t -> assertThat(t.problem()).contains("events").contains("install"));
    try (Connection c = PgTestServer.connect(db)) {
      c.setAutoCommit(false);
      beginRead(c);
      assertThat(
              ChangeTracking.version(
                  c, source.kind(), source.dialect().introspect(c, only("events")).tables().get(0)))
          .isEmpty();
    }

    tracking.install(only("events"));
    long reinstalled = version("later");
    assertThat(reinstalled).isGreaterThan(before);
    execute("INSERT INTO events VALUES (3, '2026-03-03')");
    assertThat(version("later")).isGreaterThan(reinstalled);

    execute("ALTER TABLE events DETACH PARTITION later");
    assertThat(tracking.status().get(0).problem()).contains("install");
    tracking.install(only("later"));
    assertThat(version("later")).isGreaterThan(reinstalled + 1);
  }

  @Test
  void a_disabled_trigger_leaves_the_table_without_a_version_until_installed_again()
      throws Exception {
    tracking.install(only("items"));
    long before = version("items");

    execute(
        "ALTER TABLE items DISABLE TRIGGER ALL",
        "INSERT INTO items (id, name) VALUES (100, 'not logged')");

    assertThat(tracking.status())
        .singleElement()
        .satisfies(t -> assertThat(t.problem()).contains("dbsnap_change", "disabled"));
    try (Connection c = PgTestServer.connect(db)) {
      c.setAutoCommit(false);
      beginRead(c);
      assertThat(versionIn(c, "items")).isEmpty();
    }

    tracking.install(only("items"));

    long reinstalled = version("items");
    assertThat(reinstalled).isGreaterThan(before);
    execute("INSERT INTO items (id, name) VALUES (101, 'logged')");
    assertThat(version("items")).isGreaterThan(reinstalled);
  }

  @Test
  void rows_applied_as_a_replica_still_give_a_new_version() throws Exception {
    tracking.install(only("items"));
    long before = version("items");

    // how logical replication's apply worker and pg_restore write: ordinary triggers stay quiet
    execute(
        "SET session_replication_role = replica",
        "INSERT INTO items (id, name) VALUES (100, 'replicated')");

    assertThat(version("items")).isGreaterThan(before);
  }

  private void inOneTransaction(String... sql) throws SQLException {
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      for (String s : sql) {
        st.execute(s);
      }
      c.commit();
    }
  }

  private long changeRows() throws SQLException {
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM dbsnap.changes")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void a_login_without_ddl_rights_is_told_what_installing_needs() throws Exception {
    PgTestServer.createPasswordRole("dbsnap_reader", "reader-pw");
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("REVOKE CREATE ON DATABASE \"" + db + "\" FROM PUBLIC");
      st.execute("GRANT SELECT ON items TO dbsnap_reader");
    }
    ChangeTracking asReader =
        ChangeTracking.of(
            new Source(
                "jdbc:postgresql://127.0.0.1:" + PgTestServer.port() + "/" + db,
                "dbsnap_reader",
                "reader-pw"));

    assertThatThrownBy(() -> asReader.install(only("items")))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.SOURCE_PERMISSION_DENIED))
        .hasMessageContaining("needs the right to create");
    assertThat(dbsnapObjects()).isEmpty();
  }

  @Test
  void a_writer_needs_no_right_on_dbsnap_and_cannot_attach_its_trigger_functions()
      throws Exception {
    tracking.install(only("items"));
    long before = tracking.status().get(0).version();
    PgTestServer.createPasswordRole("dbsnap_writer", "writer-pw");
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("GRANT INSERT, UPDATE, SELECT ON items TO dbsnap_writer");
      st.execute("GRANT CREATE ON SCHEMA public TO dbsnap_writer");
    }
    try (Connection c =
            java.sql.DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + PgTestServer.port() + "/" + db,
                "dbsnap_writer",
                "writer-pw");
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO items VALUES (100, 'by the writer')");
      st.execute("CREATE TABLE mine (id int)");
      assertThatThrownBy(
              () ->
                  st.execute(
                      "CREATE TRIGGER t AFTER INSERT ON mine"
                          + " FOR EACH STATEMENT EXECUTE FUNCTION dbsnap.changed()"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("permission denied");
    }
    assertThat(tracking.status().get(0).version()).isEqualTo(before + 1);
  }

  @Test
  void folding_the_change_log_keeps_every_version() throws Exception {
    tracking.install(only("items", "other"));
    for (int i = 0; i < 20; i++) {
      execute("INSERT INTO items (id, name) VALUES (" + (100 + i) + ", 'x')");
    }
    execute("INSERT INTO other (id) VALUES (1)");
    long items;
    long other;
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT t.name, t.base + coalesce(sum(c.weight), 0) FROM dbsnap.tracked t"
                    + " LEFT JOIN dbsnap.changes c ON c.tbl = t.tbl GROUP BY t.name, t.base"
                    + " ORDER BY t.name")) {
      rs.next();
      items = rs.getLong(2);
      rs.next();
      other = rs.getLong(2);
    }

    List<TrackedTable> status = tracking.status(); // folds

    assertThat(status)
        .containsExactly(new TrackedTable("items", items), new TrackedTable("other", other));
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM dbsnap.changes")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(2);
    }
  }
}
