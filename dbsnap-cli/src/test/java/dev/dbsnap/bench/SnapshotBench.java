package dev.dbsnap.bench;

import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import dev.dbsnap.snapshot.Snapshot;
import dev.dbsnap.snapshot.SnapshotCache;
import dev.dbsnap.snapshot.SnapshotOptions;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgTestServer;
import dev.dbsnap.track.ChangeTracking;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The snapshot cache benchmark, on the library as the server embeds it: embedded PostgreSQL as
 * source (a tracked table of {@code --rows} rows) and as control database, a local store, two
 * caches standing for two processes of a fleet.
 *
 * <ul>
 *   <li>one cold build, alone;
 *   <li>100 concurrent cold requests split over the two caches, against that (target ≤ 1.1×);
 *   <li>how long after the builder's commit the other cache's LISTEN connection hears it (target
 *       p99 ≤ 100 ms);
 *   <li>a warm hit's latency while 4 builds run (target p99 ≤ 5 ms): what a server spends on a hit
 *       before HTTP.
 * </ul>
 *
 * Options: {@code --rows N} (default 300,000), {@code --runs N} (default 3), {@code --pooled
 * true|false} (the source through a pool of 10 connections, as a server holds it, or a new
 * connection per request; default true), {@code --probe-pool N} (hits' probes of the version and
 * shape through a pool of their own of N connections, as {@code dbsnap serve} holds them; 0 probes
 * through the build source; default 2), {@code --work DIR}.
 */
public final class SnapshotBench {
  private final int rows;
  private final int runs;
  private final Path work;
  private final boolean pooledSource;
  private final int probePool;
  private Source source;
  private Source probes;

  private SnapshotBench(Map<String, String> opts) {
    this.rows = Integer.parseInt(opts.getOrDefault("rows", "300000").replace("_", ""));
    this.runs = Integer.parseInt(opts.getOrDefault("runs", "3"));
    this.work = Path.of(opts.getOrDefault("work", "target/bench-snapshots")).toAbsolutePath();
    this.pooledSource = Boolean.parseBoolean(opts.getOrDefault("pooled", "true"));
    this.probePool = Integer.parseInt(opts.getOrDefault("probe-pool", "2"));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    new SnapshotBench(opts).run();
    System.exit(0);
  }

  private void run() throws Exception {
    log("filling a %,d-row table in embedded PostgreSQL", rows);
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE events (id bigint PRIMARY KEY, user_id int, kind text, amount numeric(12,2),"
              + " note text)");
      st.execute(
          "INSERT INTO events SELECT i, i % 1000, 'kind' || (i % 7), i * 0.01,"
              + " 'note ' || md5(i::text) FROM generate_series(1, "
              + rows
              + ") i");
      st.execute("CREATE TABLE small (id bigint PRIMARY KEY, name text)");
      st.execute("INSERT INTO small SELECT i, 'name ' || i FROM generate_series(1, 100) i");
      st.execute("VACUUM ANALYZE");
    }
    Source direct = new Source(PgTestServer.jdbcUrl(db), PgTestServer.USER, null);
    ChangeTracking.of(direct).install(TableSelection.ALL);
    // What a server does with a source it asks often: a pool (dbsnap's own, 10 connections).
    com.zaxxer.hikari.HikariConfig pool = new com.zaxxer.hikari.HikariConfig();
    pool.setJdbcUrl(PgTestServer.jdbcUrl(db));
    pool.setMaximumPoolSize(10);
    com.zaxxer.hikari.HikariDataSource pooled = new com.zaxxer.hikari.HikariDataSource(pool);
    source = pooledSource ? Source.of(pooled) : direct;
    log("source connections: %s", pooledSource ? "a pool of 10" : "a new connection per request");
    probes = source;
    if (probePool > 0) {
      com.zaxxer.hikari.HikariConfig probeConfig = new com.zaxxer.hikari.HikariConfig();
      probeConfig.setJdbcUrl(PgTestServer.jdbcUrl(db));
      probeConfig.setMaximumPoolSize(probePool);
      probes =
          new Source(source.url(), null, null, new com.zaxxer.hikari.HikariDataSource(probeConfig));
    }
    log("probes: %s", probePool > 0 ? "a pool of " + probePool : "through the source");
    deleteTree(work);
    ObjectStore store = LocalObjectStore.open(work.resolve("store"));
    // the control database through a pool too, as dbsnap serve holds it (HikariCP)
    com.zaxxer.hikari.HikariConfig controlPool = new com.zaxxer.hikari.HikariConfig();
    controlPool.setJdbcUrl(PgTestServer.jdbcUrl(PgTestServer.createDatabase()));
    controlPool.setMaximumPoolSize(12);
    com.zaxxer.hikari.HikariDataSource control =
        new com.zaxxer.hikari.HikariDataSource(controlPool);
    ConcurrentLinkedQueue<Long> wakeups = new ConcurrentLinkedQueue<>();
    SnapshotCache.Events events =
        new SnapshotCache.Events() {
          @Override
          public void wokeUp(long millis) {
            wakeups.add(millis);
          }
        };
    ExecutorService clients = Executors.newFixedThreadPool(100);
    try (SnapshotCache a = cache(store, control, events);
        SnapshotCache b = cache(store, control, events)) {
      get(a, "small", SnapshotOptions.csv()); // warm-up
      List<Double> single = new ArrayList<>();
      List<Double> crowd = new ArrayList<>();
      for (int r = 0; r <= runs; r++) {
        a.purge("bench", "events");
        long t0 = System.nanoTime();
        Snapshot s = get(a, "events", SnapshotOptions.csv());
        double one = seconds(t0);
        a.purge("bench", "events");
        long t1 = System.nanoTime();
        List<CompletableFuture<Snapshot>> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          SnapshotCache cache = i % 2 == 0 ? a : b;
          all.add(
              CompletableFuture.supplyAsync(
                  () -> get(cache, "events", SnapshotOptions.csv()), clients));
        }
        all.forEach(CompletableFuture::join);
        double hundred = seconds(t1);
        long builds =
            all.stream()
                .map(CompletableFuture::join)
                .filter(x -> x.outcome() == Snapshot.Outcome.BUILT)
                .count();
        log(
            "run %d: one build %.2f s (%,d bytes); 100 requests over two caches %.2f s, %d built",
            r, one, s.bytes(), hundred, builds);
        if (r > 0) { // the first is a warm-up
          single.add(one);
          crowd.add(hundred);
        }
      }

      // hits of a warm snapshot while four builds of other shapes run
      List<Long> hits = Collections.synchronizedList(new ArrayList<>());
      for (int i = 0; i < 300; i++) {
        get(a, "small", SnapshotOptions.csv()); // warm the hit path
      }
      List<Long> idleHits = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        long t = System.nanoTime();
        get(a, "small", SnapshotOptions.csv());
        idleHits.add(System.nanoTime() - t);
      }
      AtomicBoolean building = new AtomicBoolean(true);
      List<CompletableFuture<Snapshot>> builds = new ArrayList<>();
      for (Format f : List.of(Format.JSONL, Format.JSON, Format.SQL, Format.CSV)) {
        Compression c = f == Format.CSV ? Compression.GZIP : Compression.NONE;
        builds.add(
            CompletableFuture.supplyAsync(
                () -> get(b, "events", new SnapshotOptions(f, c, null)), clients));
      }
      CompletableFuture.allOf(builds.toArray(CompletableFuture[]::new))
          .whenComplete((x, e) -> building.set(false));
      while (building.get()) {
        long t = System.nanoTime();
        Snapshot hit = get(a, "small", SnapshotOptions.csv());
        hits.add(System.nanoTime() - t);
        if (hit.outcome() != Snapshot.Outcome.HIT) {
          throw new IllegalStateException("expected a hit, got " + hit.outcome());
        }
      }
      builds.forEach(CompletableFuture::join);

      double oneMedian = median(single);
      double crowdMedian = median(crowd);
      List<Long> hitNanos = new ArrayList<>(hits);
      List<Long> wake = new ArrayList<>(wakeups);
      System.out.println();
      System.out.printf(
          Locale.ROOT,
          "snapshot cache, %,d-row table, median of %d runs (load average %s)%n",
          rows,
          runs,
          loadAverage());
      System.out.printf(Locale.ROOT, "%-44s %14s %12s%n", "figure", "measured", "target");
      row(
          "100 cold requests / one build",
          String.format(
              Locale.ROOT,
              "%.2fx (%.2f / %.2f s)",
              crowdMedian / oneMedian,
              crowdMedian,
              oneMedian),
          "<= 1.1x",
          crowdMedian / oneMedian <= 1.1);
      row(
          "wake-up after the builder's commit, p50/p99",
          String.format(
              Locale.ROOT,
              "%d / %d ms (n=%d)",
              percentile(wake, 50),
              percentile(wake, 99),
              wake.size()),
          "p99 <= 100 ms",
          percentile(wake, 99) <= 100);
      row(
          "warm hit, nothing else running, p50/p99",
          String.format(
              Locale.ROOT,
              "%.2f / %.2f ms (n=%d)",
              percentile(idleHits, 50) / 1e6,
              percentile(idleHits, 99) / 1e6,
              idleHits.size()),
          "-",
          true);
      row(
          "warm hit while 4 builds run, p50/p99",
          String.format(
              Locale.ROOT,
              "%.2f / %.2f ms (n=%d)",
              percentile(hitNanos, 50) / 1e6,
              percentile(hitNanos, 99) / 1e6,
              hitNanos.size()),
          "p99 <= 5 ms",
          percentile(hitNanos, 99) <= 5_000_000);
    } finally {
      clients.shutdownNow();
    }
  }

  /** A request as the server makes it: probes through the probe pool, builds from the source. */
  private Snapshot get(SnapshotCache cache, String table, SnapshotOptions options) {
    return cache.request("bench", source, probes, table, options).join();
  }

  private static SnapshotCache cache(
      ObjectStore store, javax.sql.DataSource control, SnapshotCache.Events events) {
    return SnapshotCache.builder().store(store).controlDb(control).events(events).build();
  }

  private static void row(String name, String measured, String target, boolean met) {
    System.out.printf(
        Locale.ROOT, "%-44s %24s %14s %s%n", name, measured, target, met ? "MET" : "MISS");
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static long percentile(List<Long> values, int p) {
    if (values.isEmpty()) {
      return -1;
    }
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static void log(String format, Object... args) {
    System.out.println("[bench] " + String.format(Locale.ROOT, format, args));
  }

  private static void deleteTree(Path dir) throws Exception {
    if (Files.exists(dir)) {
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
