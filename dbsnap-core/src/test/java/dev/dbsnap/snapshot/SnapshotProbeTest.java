package dev.dbsnap.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.testing.PgTestServer;
import dev.dbsnap.track.ChangeTracking;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;
import org.sqlite.SQLiteDataSource;

/**
 * A hit's probe of the source: one statement that reads the version and the column shape, on
 * PostgreSQL and SQLite sources.
 */
class SnapshotProbeTest {
  @TempDir Path dir;
  final List<SnapshotCache> caches = new ArrayList<>();

  @AfterEach
  void closeCaches() {
    caches.forEach(SnapshotCache::close);
  }

  // ---- PostgreSQL

  String pgDatabase(boolean tracked) throws Exception {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE items (id bigint PRIMARY KEY, note text NOT NULL)");
      st.execute("INSERT INTO items SELECT i, 'row ' || i FROM generate_series(1, 100) i");
    }
    if (tracked) {
      ChangeTracking.of(pgSource(db)).install(TableSelection.ALL);
    }
    return db;
  }

  static Source pgSource(String db) {
    return new Source(PgTestServer.jdbcUrl(db), PgTestServer.USER, null);
  }

  static CountingDataSource pgCounting(String db) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(PgTestServer.jdbcUrl(db));
    ds.setUser(PgTestServer.USER);
    return new CountingDataSource(ds);
  }

  static void pgRun(String db, String sql) throws Exception {
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  SnapshotCache cache(javax.sql.DataSource control) {
    return cache(control, java.time.Clock.systemUTC());
  }

  SnapshotCache cache(javax.sql.DataSource control, java.time.Clock clock) {
    SnapshotCache cache =
        SnapshotCache.builder()
            .store(LocalObjectStore.open(dir.resolve("store")))
            .controlDb(control)
            .clock(clock)
            .build();
    caches.add(cache);
    return cache;
  }

  static TableSchema introspect(Source source, String table) throws Exception {
    try (Connection c = source.connect()) {
      source.dialect().beginSnapshot(c);
      TableSchema t =
          source
              .dialect()
              .introspect(c, new TableSelection(List.of(), List.of(table), List.of()))
              .tables()
              .get(0);
      c.rollback();
      return t;
    }
  }

  static Prober.Look look(Prober prober, Source source, TableSchema t) throws Exception {
    try (Connection c = source.connect()) {
      return prober.look(c, source, t);
    }
  }

  @Test
  void a_hit_on_a_postgres_source_sends_one_statement() throws Exception {
    String db = pgDatabase(true);
    CountingDataSource counting = pgCounting(db);
    Source source = Source.of(counting);
    SnapshotCache cache = cache(pgCounting(PgTestServer.createDatabase()));
    assertThat(cache.get("app", source, "items", SnapshotOptions.csv()).outcome())
        .isEqualTo(Snapshot.Outcome.BUILT);

    counting.reset();
    Snapshot hit = cache.get("app", source, "items", SnapshotOptions.csv());

    assertThat(hit.outcome()).isEqualTo(Snapshot.Outcome.HIT);
    assertThat(counting.sent).hasSize(1);
    assertThat(counting.sent.get(0)).contains("set_config", "dbsnap.tracked", "format_type");
  }

  @Test
  void a_build_folds_the_change_log_that_every_probe_sums() throws Exception {
    String db = pgDatabase(true);
    Source source = pgSource(db);
    SnapshotCache cache = cache(pgCounting(PgTestServer.createDatabase()));
    for (int i = 0; i < 40; i++) {
      pgRun(db, "UPDATE items SET note = 'changed " + i + "' WHERE id = " + (i + 1));
    }
    assertThat(logRows(db)).isEqualTo(40);

    Snapshot built = cache.get("app", source, "items", SnapshotOptions.csv());

    assertThat(built.outcome()).isEqualTo(Snapshot.Outcome.BUILT);
    assertThat(logRows(db)).isEqualTo(1);
    assertThat(cache.get("app", source, "items", SnapshotOptions.csv()))
        .satisfies(s -> assertThat(s.outcome()).isEqualTo(Snapshot.Outcome.HIT))
        .satisfies(s -> assertThat(s.version()).isEqualTo(built.version()));
    // at most once per FOLD_EVERY: the next build leaves the log as it is
    pgRun(db, "UPDATE items SET note = 'again' WHERE id = 1");
    pgRun(db, "UPDATE items SET note = 'and again' WHERE id = 2");
    assertThat(cache.get("app", source, "items", SnapshotOptions.csv()).outcome())
        .isEqualTo(Snapshot.Outcome.BUILT);
    assertThat(logRows(db)).isEqualTo(3);
  }

  static long logRows(String db) throws Exception {
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM dbsnap.changes")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void concurrent_requests_share_probes_yet_each_sees_what_was_committed_before_it()
      throws Exception {
    String db = pgDatabase(true);
    CountingDataSource counting = pgCounting(db);
    Source source = Source.of(counting);
    SnapshotCache cache = cache(pgCounting(PgTestServer.createDatabase()));
    Snapshot built = cache.get("app", source, "items", SnapshotOptions.csv());

    counting.reset();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(32);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<Snapshot>> hits = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        hits.add(
            pool.submit(
                () -> {
                  go.await();
                  return cache.get("app", source, "items", SnapshotOptions.csv());
                }));
      }
      go.countDown();
      for (java.util.concurrent.Future<Snapshot> hit : hits) {
        assertThat(hit.get().outcome()).isEqualTo(Snapshot.Outcome.HIT);
        assertThat(hit.get().key()).isEqualTo(built.key());
      }
      // 64 requests, far fewer probes: the ones that came while a probe was out shared the next
      assertThat(counting.sent).hasSizeLessThan(64).isNotEmpty();

      // Others keep asking all along; still, a request made after a commit sees that commit.
      java.util.concurrent.atomic.AtomicBoolean asking =
          new java.util.concurrent.atomic.AtomicBoolean(true);
      List<java.util.concurrent.Future<?>> askers = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        askers.add(
            pool.submit(
                () -> {
                  while (asking.get()) {
                    cache.get("app", source, "items", SnapshotOptions.csv());
                  }
                  return null;
                }));
      }
      long version = built.version();
      for (int i = 0; i < 5; i++) {
        pgRun(db, "INSERT INTO items VALUES (" + (1000 + i) + ", 'new')");
        Snapshot after = cache.get("app", source, "items", SnapshotOptions.csv());
        assertThat(after.version()).as("request %d after its commit", i).isGreaterThan(version);
        version = after.version();
      }
      asking.set(false);
      for (java.util.concurrent.Future<?> asker : askers) {
        asker.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void the_postgres_probe_reads_the_version_after_each_change() throws Exception {
    String db = pgDatabase(true);
    Source source = pgSource(db);
    TableSchema t = introspect(source, "items");
    Prober prober = new Prober();

    Prober.Look before = look(prober, source, t);
    pgRun(db, "INSERT INTO items VALUES (101, 'new')");
    Prober.Look after = look(prober, source, t);

    assertThat(before.version()).isNotNull();
    assertThat(after.version()).isGreaterThan(before.version());
    try (Connection c = source.connect()) {
      c.setAutoCommit(false);
      assertThat(after.version())
          .isEqualTo(ChangeTracking.version(c, source.kind(), t).getAsLong());
    }
    assertThat(after.columns()).isEqualTo(Prober.columns(t)).hasSize(2);
  }

  @Test
  void adding_a_column_to_a_postgres_table_gives_a_new_shape() throws Exception {
    String db = pgDatabase(true);
    Source source = pgSource(db);
    SnapshotCache cache = cache(pgCounting(PgTestServer.createDatabase()));
    Snapshot first = cache.get("app", source, "items", SnapshotOptions.csv());
    TableSchema t = introspect(source, "items");

    pgRun(db, "ALTER TABLE items ADD COLUMN amount numeric(12,2)");
    Prober.Look look = look(new Prober(), source, t);
    Snapshot second = cache.get("app", source, "items", SnapshotOptions.csv());

    assertThat(look.columns())
        .containsExactly("id:bigint", "note:text", "amount:numeric(12,2)")
        .isNotEqualTo(Prober.columns(t));
    assertThat(second.outcome()).isEqualTo(Snapshot.Outcome.BUILT);
    assertThat(second.version()).isEqualTo(first.version()); // no row changed
    assertThat(second.shape()).isNotEqualTo(first.shape());
    assertThat(second.key()).isNotEqualTo(first.key());
  }

  @Test
  void tracking_installed_after_a_probe_gives_the_table_a_version() throws Exception {
    String db = pgDatabase(false);
    Source source = pgSource(db);
    TableSchema t = introspect(source, "items");
    Prober prober = new Prober();

    Prober.Look untracked = look(prober, source, t);
    Prober.Look again = look(prober, source, t);
    ChangeTracking.of(source).install(TableSelection.ALL);
    Prober.Look tracked = look(prober, source, t);

    assertThat(untracked.version()).isNull();
    assertThat(again.version()).isNull();
    assertThat(untracked.columns()).isEqualTo(Prober.columns(t));
    assertThat(tracked.version()).isNotNull();
  }

  @Test
  void a_dropped_postgres_table_probes_as_gone() throws Exception {
    String db = pgDatabase(true);
    Source source = pgSource(db);
    TableSchema t = introspect(source, "items");
    pgRun(db, "DROP TABLE items");

    assertThat(look(new Prober(), source, t).columns()).isEmpty();
  }

  // ---- SQLite

  Source sqliteSource(boolean tracked) throws Exception {
    Source source = Source.parse("jdbc:sqlite:" + dir.resolve("app.db"), null, null);
    try (Connection c = source.connectForWriting();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, note TEXT)");
      st.execute("INSERT INTO items VALUES (1, 'one'), (2, 'two')");
    }
    if (tracked) {
      ChangeTracking.of(source).install(TableSelection.ALL);
    }
    return source;
  }

  static void sqliteRun(Source source, String sql) throws Exception {
    try (Connection c = source.connectForWriting();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  SQLiteDataSource sqliteControl() {
    SQLiteDataSource control = new SQLiteDataSource();
    control.setUrl("jdbc:sqlite:" + dir.resolve("control.db"));
    return control;
  }

  @Test
  void a_hit_on_a_sqlite_source_sends_one_statement() throws Exception {
    Source file = sqliteSource(true);
    SQLiteDataSource ds = new SQLiteDataSource();
    ds.setUrl(file.url());
    CountingDataSource counting = new CountingDataSource(ds);
    Source source = Source.of(counting);
    SnapshotCache cache = cache(sqliteControl());
    assertThat(cache.get("app", source, "items", SnapshotOptions.csv()).outcome())
        .isEqualTo(Snapshot.Outcome.BUILT);

    counting.reset();
    Snapshot hit = cache.get("app", source, "items", SnapshotOptions.csv());

    assertThat(hit.outcome()).isEqualTo(Snapshot.Outcome.HIT);
    assertThat(counting.sent).hasSize(1);
    assertThat(counting.sent.get(0)).contains("dbsnap_versions", "pragma_table_xinfo");
  }

  @Test
  void the_sqlite_probe_reads_the_version_and_a_new_column() throws Exception {
    Source source = sqliteSource(true);
    TableSchema t = introspect(source, "items");
    Prober prober = new Prober();

    Prober.Look before = look(prober, source, t);
    sqliteRun(source, "UPDATE items SET note = 'changed' WHERE id = 1");
    Prober.Look after = look(prober, source, t);
    sqliteRun(source, "ALTER TABLE items ADD COLUMN amount REAL");
    Prober.Look altered = look(prober, source, t);

    assertThat(before.columns()).isEqualTo(Prober.columns(t));
    assertThat(after.version()).isGreaterThan(before.version());
    assertThat(altered.columns()).containsExactly("id:INTEGER", "note:TEXT", "amount:REAL");
  }

  @Test
  void an_untracked_sqlite_table_has_no_version_until_tracking_is_installed() throws Exception {
    Source source = sqliteSource(false);
    TableSchema t = introspect(source, "items");
    Prober prober = new Prober();

    Prober.Look untracked = look(prober, source, t);
    ChangeTracking.of(source).install(TableSelection.ALL);
    Prober.Look tracked = look(prober, source, t);

    assertThat(untracked.version()).isNull();
    assertThat(untracked.columns()).isEqualTo(Prober.columns(t));
    assertThat(tracked.version()).isNotNull();
  }

  // ---- the index

  /** Moves the clock to 100 ms into the next second, so that a test has 900 ms in one second. */
  static void nextSecond(SnapshotCacheTest.MovableClock clock) {
    clock.advance(Duration.ofMillis(1100 - clock.instant().toEpochMilli() % 1000));
  }

  static long controlLong(javax.sql.DataSource control, String sql) throws Exception {
    try (Connection c = control.getConnection();
        Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void a_hit_reads_and_marks_a_postgres_index_in_one_statement_writing_once_a_second()
      throws Exception {
    Source source = pgSource(pgDatabase(true));
    CountingDataSource control = pgCounting(PgTestServer.createDatabase());
    SnapshotCacheTest.MovableClock clock = new SnapshotCacheTest.MovableClock();
    SnapshotCache cache = cache(control, clock);
    Snapshot built = cache.get("app", source, "items", SnapshotOptions.csv());
    String xmin = "SELECT xmin::text::bigint FROM dbsnap_snapshots";

    nextSecond(clock);
    control.reset();
    Snapshot hit = cache.get("app", source, "items", SnapshotOptions.csv());
    List<String> firstHit = List.copyOf(control.sent);
    Instant marked = cache.lastUsed(built);
    long written = controlLong(control, xmin);
    clock.advance(Duration.ofMillis(500));
    control.reset();
    cache.get("app", source, "items", SnapshotOptions.csv());
    List<String> secondHit = List.copyOf(control.sent);

    assertThat(hit.outcome()).isEqualTo(Snapshot.Outcome.HIT);
    assertThat(hit.key()).isEqualTo(built.key());
    assertThat(firstHit).hasSize(1);
    assertThat(secondHit).hasSize(1);
    assertThat(marked).isEqualTo(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    assertThat(controlLong(control, xmin)).isEqualTo(written); // not rewritten in the same second
    nextSecond(clock);
    cache.get("app", source, "items", SnapshotOptions.csv());
    assertThat(cache.lastUsed(built)).isEqualTo(clock.instant().truncatedTo(ChronoUnit.SECONDS));
  }

  @Test
  void a_hit_on_a_sqlite_index_updates_only_when_the_second_changes() throws Exception {
    Source source = sqliteSource(true);
    CountingDataSource control = new CountingDataSource(sqliteControl());
    SnapshotCacheTest.MovableClock clock = new SnapshotCacheTest.MovableClock();
    SnapshotCache cache = cache(control, clock);
    Snapshot built = cache.get("app", source, "items", SnapshotOptions.csv());

    nextSecond(clock);
    control.reset();
    assertThat(cache.get("app", source, "items", SnapshotOptions.csv()).outcome())
        .isEqualTo(Snapshot.Outcome.HIT);
    List<String> firstHit = List.copyOf(control.sent);
    clock.advance(Duration.ofMillis(500));
    control.reset();
    cache.get("app", source, "items", SnapshotOptions.csv());
    List<String> secondHit = List.copyOf(control.sent);

    assertThat(firstHit).hasSize(2);
    assertThat(firstHit.get(1)).startsWith("UPDATE");
    assertThat(secondHit).hasSize(1);
    assertThat(secondHit.get(0)).startsWith("SELECT");
    assertThat(cache.lastUsed(built)).isEqualTo(clock.instant().truncatedTo(ChronoUnit.SECONDS));
  }
}
