package dev.dbsnap.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.ForwardingMultipartUpload;
import dev.dbsnap.storage.ForwardingObjectStore;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgTestServer;
import dev.dbsnap.track.ChangeTracking;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Two caches on one PostgreSQL control database, as two processes of a fleet would run them
 * (separate owners, leases and LISTEN connections); the source is PostgreSQL with tracking.
 */
class SnapshotCacheFleetTest {
  private static final int PART = 16 * 1024;

  @TempDir Path dir;
  String sourceDb;
  Source source;
  PGSimpleDataSource control;
  ObjectStore store;
  final List<SnapshotCache> caches = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    sourceDb = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(sourceDb);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE items (id bigint PRIMARY KEY, note text NOT NULL)");
      st.execute(
          "INSERT INTO items SELECT i, 'row ' || i || ' with enough text to span several parts'"
              + " FROM generate_series(1, 3000) i");
    }
    source = new Source(PgTestServer.jdbcUrl(sourceDb), PgTestServer.USER, null);
    ChangeTracking.of(source).install(TableSelection.ALL);
    control = new PGSimpleDataSource();
    control.setURL(PgTestServer.jdbcUrl(PgTestServer.createDatabase()));
    store = LocalObjectStore.open(dir.resolve("store"));
  }

  @AfterEach
  void closeCaches() {
    caches.forEach(SnapshotCache::close);
  }

  SnapshotCache cache(ObjectStore s, Duration leaseTtl) {
    SnapshotCache cache =
        SnapshotCache.builder()
            .store(s)
            .controlDb(control)
            .partSize(PART)
            .leaseTtl(leaseTtl)
            .build();
    caches.add(cache);
    return cache;
  }

  String read(ObjectStore s, String key) throws Exception {
    try (InputStream in = s.get(key)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  long controlLong(String sql) throws Exception {
    try (Connection c = control.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void a_hundred_concurrent_requests_over_two_processes_give_exactly_one_build() throws Exception {
    SnapshotCache a = cache(store, Duration.ofSeconds(10));
    SnapshotCache b = cache(store, Duration.ofSeconds(10));
    ExecutorService pool = Executors.newFixedThreadPool(32);
    List<CompletableFuture<Snapshot>> answers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      SnapshotCache cache = i % 2 == 0 ? a : b;
      answers.add(
          CompletableFuture.supplyAsync(
              () -> cache.get("pg", source, "items", SnapshotOptions.csv()), pool));
    }
    List<Snapshot> all = answers.stream().map(CompletableFuture::join).toList();
    pool.shutdown();

    assertThat(a.builds("pg", "items")).isEqualTo(1);
    assertThat(controlLong("SELECT count(*) FROM dbsnap_snapshot_builds")).isEqualTo(1);
    assertThat(all.stream().map(Snapshot::key).distinct()).hasSize(1);
    assertThat(all.stream().map(Snapshot::sha256).distinct()).hasSize(1);
    assertThat(all.stream().filter(s -> s.outcome() == Snapshot.Outcome.BUILT)).hasSize(1);
  }

  @Test
  void hits_read_no_row_of_the_source() throws Exception {
    SnapshotCache cache = cache(store, Duration.ofSeconds(10));
    Snapshot built = cache.get("pg", source, "items", SnapshotOptions.csv());
    long before = rowsRead();

    for (int i = 0; i < 20; i++) {
      assertThat(cache.get("pg", source, "items", SnapshotOptions.csv()).outcome())
          .isEqualTo(Snapshot.Outcome.HIT);
    }

    assertThat(rowsRead()).isEqualTo(before);
    assertThat(built.rows()).isEqualTo(3000);
  }

  /** Rows the source's table gave out, by PostgreSQL's own statistics. */
  long rowsRead() throws Exception {
    // statistics of other backends reach the shared counters when they end or go idle
    Thread.sleep(1200);
    try (Connection c = PgTestServer.connect(sourceDb);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)"
                    + " FROM pg_stat_user_tables WHERE relname = 'items'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void every_snapshot_holds_exactly_the_rows_of_the_version_it_names_under_concurrent_writes()
      throws Exception {
    SnapshotCache a = cache(store, Duration.ofSeconds(10));
    SnapshotCache b = cache(store, Duration.ofSeconds(10));
    Map<Long, String> contentsByVersion = new ConcurrentHashMap<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer =
        new Thread(
            () -> {
              try (Connection c = PgTestServer.connect(sourceDb)) {
                c.setAutoCommit(false);
                record(c, contentsByVersion);
                for (int i = 0; writing.get() && i < 400; i++) {
                  try (Statement st = c.createStatement()) {
                    st.execute("INSERT INTO items VALUES (" + (10_000 + i) + ", 'new " + i + "')");
                    st.execute("UPDATE items SET note = 'changed " + i + "' WHERE id = " + (i + 1));
                  }
                  c.commit();
                  record(c, contentsByVersion);
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    writer.start();
    List<Snapshot> seen = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      seen.add((i % 2 == 0 ? a : b).get("pg", source, "items", SnapshotOptions.csv()));
    }
    writing.set(false);
    writer.join();

    assertThat(seen.stream().map(Snapshot::version).distinct().count()).isGreaterThan(1);
    for (Snapshot s : seen) {
      String expected = contentsByVersion.get(s.version());
      assertThat(expected).as("the writer saw version " + s.version()).isNotNull();
      assertThat(read(store, s.key())).as(s.key()).isEqualTo(expected);
    }
  }

  /** After a commit of the only writer, its version and the table's CSV, as a snapshot has it. */
  static void record(Connection c, Map<Long, String> contentsByVersion) throws Exception {
    StringBuilder csv = new StringBuilder("id,note\r\n");
    long version;
    try (Statement st = c.createStatement()) {
      try (ResultSet rs =
          st.executeQuery(
              "SELECT t.base + coalesce((SELECT sum(weight) FROM dbsnap.changes x"
                  + " WHERE x.tbl = t.tbl), 0) FROM dbsnap.tracked t")) {
        rs.next();
        version = rs.getLong(1);
      }
      try (ResultSet rs = st.executeQuery("SELECT id, note FROM items ORDER BY id")) {
        while (rs.next()) {
          csv.append(rs.getLong(1)).append(',').append(rs.getString(2)).append("\r\n");
        }
      }
    }
    c.commit();
    contentsByVersion.put(version, csv.toString());
  }

  @Test
  void when_the_builder_dies_exactly_one_waiter_takes_over_from_its_last_part() throws Exception {
    ObjectStore reference = LocalObjectStore.open(dir.resolve("reference"));
    Snapshot clean =
        cache(reference, Duration.ofSeconds(10)).get("pg", source, "items", SnapshotOptions.csv());
    // the reference used its own index: start the fleet on a fresh control database
    control.setURL(PgTestServer.jdbcUrl(PgTestServer.createDatabase()));

    CountDownLatch threeParts = new CountDownLatch(3);
    CountDownLatch never = new CountDownLatch(1);
    ObjectStore dying =
        new ForwardingObjectStore(store) {
          @Override
          protected MultipartUpload wrap(MultipartUpload upload) {
            return new ForwardingMultipartUpload(upload) {
              @Override
              public String uploadPart(int n, byte[] data, int length) {
                // By part number, not by call: with uploads running concurrently part 4 can call
                // before part 3, which then never lands, and the last checkpoint has two parts.
                if (n > 3) {
                  SnapshotCacheTest.await(never); // the process is gone: nothing more happens
                  throw new IllegalStateException("dead");
                }
                String etag = super.uploadPart(n, data, length);
                threeParts.countDown();
                return etag;
              }

              @Override
              public void complete(List<CompletedPart> list) {
                SnapshotCacheTest.await(never);
                throw new IllegalStateException("dead");
              }
            };
          }
        };
    AtomicInteger waiterParts = new AtomicInteger();
    ObjectStore counting =
        new ForwardingObjectStore(store) {
          @Override
          protected MultipartUpload wrap(MultipartUpload upload) {
            return new ForwardingMultipartUpload(upload) {
              @Override
              public String uploadPart(int n, byte[] data, int length) {
                waiterParts.incrementAndGet();
                return super.uploadPart(n, data, length);
              }
            };
          }
        };
    Duration lease = Duration.ofSeconds(2);
    SnapshotCache builder = cache(dying, lease);
    SnapshotCache waiter = cache(counting, lease);
    CompletableFuture<Snapshot> first =
        builder.request("pg", source, "items", SnapshotOptions.csv());
    assertThat(threeParts.await(30, TimeUnit.SECONDS)).isTrue();
    Thread.sleep(300); // let the third part's checkpoint land
    builder.heartbeats.shutdownNow(); // SIGKILL, as far as the lease can tell
    long killedAt = System.nanoTime();

    Snapshot taken = waiter.get("pg", source, "items", SnapshotOptions.csv());
    long waitedMillis = (System.nanoTime() - killedAt) / 1_000_000;

    assertThat(taken.sha256()).isEqualTo(clean.sha256());
    assertThat(taken.key()).isEqualTo(clean.key());
    assertThat(read(store, taken.key())).isEqualTo(read(reference, clean.key()));
    assertThat(controlLong("SELECT takeovers FROM dbsnap_snapshot_builds")).isEqualTo(1);
    assertThat(controlLong("SELECT runs FROM dbsnap_snapshot_builds")).isEqualTo(2);
    assertThat(waitedMillis).isLessThan(lease.toMillis() + 5_000);
    long totalParts = (clean.bytes() + PART - 1) / PART;
    assertThat(totalParts).isGreaterThan(5);
    assertThat(waiterParts.get()).as("parts the waiter uploaded").isEqualTo(totalParts - 3);
    never.countDown();
    first.handle((s, e) -> null).get(30, TimeUnit.SECONDS);
    assertThat(store.pendingUploads("")).isEmpty();
  }
}
