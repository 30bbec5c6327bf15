package dev.dbsnap.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.ForwardingObjectStore;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.track.ChangeTracking;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** The snapshot cache in one process: SQLite control database, SQLite source, local store. */
class SnapshotCacheTest {
  private static final int PART = 16 * 1024;

  @TempDir Path dir;
  Source source;
  ObjectStore store;
  SQLiteDataSource control;
  final List<SnapshotCache> caches = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    source = Source.parse("jdbc:sqlite:" + dir.resolve("app.db"), null, null);
    try (Connection c = source.connectForWriting();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, note TEXT)");
      st.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, note TEXT)");
      for (String t : List.of("items", "plain")) {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
          for (int i = 1; i <= 3000; i++) {
            ps.setInt(1, i);
            ps.setString(2, "row " + i + " of " + t + ", with enough text to span parts");
            ps.addBatch();
          }
          ps.executeBatch();
        }
      }
      c.commit();
    }
    ChangeTracking.of(source).install(new TableSelection(List.of(), List.of("items"), List.of()));
    store = LocalObjectStore.open(dir.resolve("store"));
    control = new SQLiteDataSource();
    control.setUrl("jdbc:sqlite:" + dir.resolve("control.db"));
  }

  @AfterEach
  void closeCaches() {
    caches.forEach(SnapshotCache::close);
  }

  SnapshotCache cache(ObjectStore s, SnapshotCache.Builder b) {
    SnapshotCache cache = b.store(s).controlDb(control).partSize(PART).build();
    caches.add(cache);
    return cache;
  }

  SnapshotCache cache() {
    return cache(store, SnapshotCache.builder());
  }

  void execute(String sql) throws Exception {
    try (Connection c = source.connectForWriting();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  String read(String key) throws Exception {
    try (InputStream in = store.get(key)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void the_first_request_builds_and_the_next_is_a_hit_with_the_same_object() throws Exception {
    SnapshotCache cache = cache();

    Snapshot built = cache.get("app", source, "items", SnapshotOptions.csv());
    Snapshot hit = cache.get("app", source, "items", SnapshotOptions.csv());

    assertThat(built.outcome()).isEqualTo(Snapshot.Outcome.BUILT);
    assertThat(hit.outcome()).isEqualTo(Snapshot.Outcome.HIT);
    assertThat(hit.key()).isEqualTo(built.key());
    assertThat(built.key())
        .matches("snapshots/app/main\\.items/v" + built.version() + "-[0-9a-f]{12}\\.csv");
    assertThat(built.rows()).isEqualTo(3000);
    assertThat(built.bytes()).isGreaterThan(3L * PART);
    assertThat(store.head(built.key()).orElseThrow().size()).isEqualTo(built.bytes());
    assertThat(cache.builds("app", "items")).isEqualTo(1);
  }

  @Test
  void a_committed_change_gives_a_new_version_whose_object_holds_it() throws Exception {
    SnapshotCache cache = cache();
    Snapshot first = cache.get("app", source, "items", SnapshotOptions.csv());

    execute("INSERT INTO items VALUES (5000, 'the new row')");
    Snapshot second = cache.get("app", source, "items", SnapshotOptions.csv());

    assertThat(second.outcome()).isEqualTo(Snapshot.Outcome.BUILT);
    assertThat(second.version()).isGreaterThan(first.version());
    assertThat(second.key()).isNotEqualTo(first.key());
    assertThat(read(second.key())).contains("the new row");
    assertThat(read(first.key())).doesNotContain("the new row");
  }

  @Test
  void concurrent_requests_for_a_cold_snapshot_share_one_build() throws Exception {
    SnapshotCache cache = cache();
    List<CompletableFuture<Snapshot>> answers = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      answers.add(
          CompletableFuture.supplyAsync(
              () -> cache.get("app", source, "items", SnapshotOptions.csv())));
    }
    List<Snapshot> all = answers.stream().map(CompletableFuture::join).toList();

    assertThat(cache.builds("app", "items")).isEqualTo(1);
    assertThat(all.stream().map(Snapshot::key).collect(Collectors.toSet())).hasSize(1);
    assertThat(all.stream().map(Snapshot::sha256).collect(Collectors.toSet())).hasSize(1);
    assertThat(all.stream().filter(s -> s.outcome() == Snapshot.Outcome.BUILT)).hasSize(1);
  }

  @Test
  void an_untracked_table_is_built_anew_unless_an_older_file_is_accepted() throws Exception {
    SnapshotCache cache = cache();

    Snapshot first = cache.get("app", source, "plain", SnapshotOptions.csv());
    Snapshot again = cache.get("app", source, "plain", SnapshotOptions.csv());
    Snapshot accepted =
        cache.get("app", source, "plain", SnapshotOptions.csv().withMaxAge(Duration.ofMinutes(5)));

    assertThat(first.version()).isNull();
    assertThat(first.key()).contains("/main.plain/u");
    assertThat(again.outcome()).isEqualTo(Snapshot.Outcome.BUILT);
    assertThat(accepted.outcome()).isEqualTo(Snapshot.Outcome.HIT);
    assertThat(cache.builds("app", "plain")).isEqualTo(2);
  }

  @Test
  void a_failed_build_fails_every_caller_that_joined_it_and_is_not_cached() throws Exception {
    AtomicBoolean broken = new AtomicBoolean(true);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ObjectStore failing =
        new ForwardingObjectStore(store) {
          @Override
          protected MultipartUpload wrap(MultipartUpload upload) {
            return new dev.dbsnap.storage.ForwardingMultipartUpload(upload) {
              @Override
              public String uploadPart(int n, byte[] data, int length) {
                if (broken.get()) {
                  started.countDown();
                  await(release);
                  throw new DbsnapException(ErrorCode.UPLOAD_FAILED, "the store said no");
                }
                return super.uploadPart(n, data, length);
              }
            };
          }
        };
    SnapshotCache cache = cache(failing, SnapshotCache.builder());
    List<CompletableFuture<Snapshot>> callers = new ArrayList<>();
    callers.add(cache.request("app", source, "items", SnapshotOptions.csv()));
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
    for (int i = 0; i < 5; i++) {
      callers.add(cache.request("app", source, "items", SnapshotOptions.csv()));
    }
    release.countDown();

    for (CompletableFuture<Snapshot> f : callers) {
      assertThatThrownBy(f::join).hasRootCauseMessage("the store said no");
    }
    assertThat(store.pendingUploads("")).isEmpty();
    broken.set(false);
    Snapshot retried = cache.get("app", source, "items", SnapshotOptions.csv());
    assertThat(retried.outcome()).isEqualTo(Snapshot.Outcome.BUILT);
    assertThat(cache.builds("app", "items")).isEqualTo(2);
  }

  static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void a_caller_that_stops_waiting_does_not_cancel_the_build() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    ObjectStore slow =
        new ForwardingObjectStore(store) {
          @Override
          protected MultipartUpload wrap(MultipartUpload upload) {
            return new dev.dbsnap.storage.ForwardingMultipartUpload(upload) {
              @Override
              public void complete(List<CompletedPart> parts) {
                await(release);
                super.complete(parts);
              }
            };
          }
        };
    SnapshotCache cache = cache(slow, SnapshotCache.builder());

    assertThatThrownBy(
            () -> cache.get("app", source, "items", SnapshotOptions.csv(), Duration.ofMillis(300)))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.SNAPSHOT_NOT_READY));
    CompletableFuture<Snapshot> impatient =
        cache.request("app", source, "items", SnapshotOptions.csv());
    impatient.cancel(true);
    release.countDown();

    Snapshot s = cache.get("app", source, "items", SnapshotOptions.csv());
    assertThat(s.outcome()).isIn(Snapshot.Outcome.JOINED, Snapshot.Outcome.HIT);
    assertThat(cache.builds("app", "items")).isEqualTo(1);
  }

  @Test
  void a_purge_during_a_build_keeps_its_object_from_ever_being_served() throws Exception {
    CountDownLatch completing = new CountDownLatch(1);
    CountDownLatch purged = new CountDownLatch(1);
    AtomicBoolean gate = new AtomicBoolean(false);
    ObjectStore gated =
        new ForwardingObjectStore(store) {
          @Override
          protected MultipartUpload wrap(MultipartUpload upload) {
            return new dev.dbsnap.storage.ForwardingMultipartUpload(upload) {
              @Override
              public void complete(List<CompletedPart> parts) {
                if (gate.getAndSet(false)) {
                  completing.countDown();
                  await(purged);
                }
                super.complete(parts);
              }
            };
          }
        };
    SnapshotCache cache = cache(gated, SnapshotCache.builder());
    Snapshot before = cache.get("app", source, "plain", SnapshotOptions.csv());
    gate.set(true);
    CompletableFuture<Snapshot> during =
        cache.request("app", source, "plain", SnapshotOptions.csv());
    assertThat(completing.await(30, TimeUnit.SECONDS)).isTrue();

    assertThat(cache.purge("app", "plain")).isEqualTo(1);
    purged.countDown();
    Snapshot after = during.get(30, TimeUnit.SECONDS);

    assertThat(after.key()).isNotEqualTo(before.key());
    assertThat(store.head(before.key())).isEmpty();
    Set<String> keys =
        store.list("snapshots/").stream().map(o -> o.key()).collect(Collectors.toSet());
    assertThat(keys).containsExactly(after.key());
    assertThat(cache.list("app")).extracting(Snapshot::key).containsExactly(after.key());
  }

  @Test
  void a_snapshot_past_the_byte_limit_is_stopped_removed_and_named() throws Exception {
    SnapshotCache cache = cache(store, SnapshotCache.builder().maxBytes(3 * PART));

    assertThatThrownBy(() -> cache.get("app", source, "items", SnapshotOptions.csv()))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.SNAPSHOT_TOO_LARGE))
        .hasMessageContaining(Long.toString(3 * PART));
    assertThat(store.list("snapshots/")).isEmpty();
    assertThat(store.pendingUploads("snapshots/")).isEmpty();
  }

  @Test
  void a_snapshot_past_the_byte_limit_within_its_first_part_is_refused_too() throws Exception {
    SnapshotCache cache =
        SnapshotCache.builder().store(store).controlDb(control).maxBytes(100).build();
    caches.add(cache); // default 8 MiB parts: the whole table fits in its first part

    assertThatThrownBy(() -> cache.get("app", source, "items", SnapshotOptions.csv()))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.SNAPSHOT_TOO_LARGE))
        .hasMessageContaining("100 bytes");
    assertThat(store.list("snapshots/")).isEmpty();
    assertThat(cache.list("app")).isEmpty();
  }

  @Test
  void the_least_recently_used_snapshots_of_a_source_are_evicted_past_its_total() throws Exception {
    SnapshotCache cache = cache(store, SnapshotCache.builder().maxTotalBytes(300_000));
    Snapshot items = cache.get("app", source, "items", SnapshotOptions.csv());
    Snapshot plain = cache.get("app", source, "plain", SnapshotOptions.csv());
    assertThat(items.bytes() + plain.bytes()).isGreaterThan(300_000);

    assertThat(store.head(items.key())).isEmpty();
    assertThat(store.head(plain.key())).isPresent();
    assertThat(cache.list("app")).extracting(Snapshot::key).containsExactly(plain.key());
  }

  /** A clock the test moves. */
  static final class MovableClock extends java.time.Clock {
    private volatile java.time.Instant now = java.time.Instant.now();

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public java.time.Instant instant() {
      return now;
    }
  }

  @Test
  void the_reaper_removes_old_versions_after_the_grace_period_and_orphans() throws Exception {
    MovableClock clock = new MovableClock();
    SnapshotCache cache =
        cache(store, SnapshotCache.builder().clock(clock).grace(Duration.ofMinutes(15)));
    Snapshot v1 = cache.get("app", source, "items", SnapshotOptions.csv());
    execute("INSERT INTO items VALUES (5000, 'next version')");
    clock.advance(Duration.ofSeconds(1));
    Snapshot v2 = cache.get("app", source, "items", SnapshotOptions.csv());
    store.put("snapshots/app/main.items/v1-000000000000.csv", "nobody's".getBytes());
    MultipartUpload stray =
        store.startMultipart("snapshots/app/main.items/v2-000000000000.csv", 1024);
    stray.uploadPart(1, new byte[10], 10);

    assertThat(cache.reap()).isZero(); // within the grace period: a URL may still be out there
    assertThat(store.head(v1.key())).isPresent();

    clock.advance(Duration.ofMinutes(16));
    assertThat(cache.reap()).isEqualTo(3);

    assertThat(store.list("snapshots/")).extracting(o -> o.key()).containsExactly(v2.key());
    assertThat(store.pendingUploads("snapshots/")).isEmpty();
    assertThat(cache.list("app")).extracting(Snapshot::key).containsExactly(v2.key());
  }
}
