package dev.dbsnap.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.ForwardingMultipartUpload;
import dev.dbsnap.storage.ForwardingObjectStore;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgClients;
import dev.dbsnap.testing.PgFixture;
import dev.dbsnap.testing.PgTestServer;
import dev.dbsnap.testing.SqliteSamples;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exports with several jobs (objects written at once, each by its own connection in one shared
 * snapshot), on SQLite files and the embedded PostgreSQL: the same objects as one job, one snapshot
 * under a concurrent writer, resume after a crash with several objects in flight, and part buffers
 * bounded by jobs × (concurrency + 1).
 */
class ParallelExportTest {
  @TempDir static Path dir;
  static Source sqlite;
  static Source sqliteRollback;
  static Source postgres;
  static String pgDatabase;

  /** Tables whose balances move between each other; their sum is always {@link #TOTAL}. */
  static final int ACCOUNTS = 3000;

  static final long TOTAL = 3L * ACCOUNTS * 100;

  @BeforeAll
  static void createDatabases() throws Exception {
    Path db = SqliteSamples.create(dir.resolve("src.db"), 20_000);
    SqliteSamples.addEdgeTable(db);
    addAccounts(db, "WAL");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      // Two tables that compress little, so that several objects span many parts in any format.
      for (String t : List.of("noise1", "noise2")) {
        st.execute("CREATE TABLE " + t + " (id INTEGER PRIMARY KEY, body TEXT)");
        st.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)"
                + " INSERT INTO "
                + t
                + " SELECT i, hex(randomblob(48)) FROM n");
      }
    }
    sqlite = Source.parse(db.toString(), null, null);
    Path rollback = dir.resolve("rollback.db");
    addAccounts(rollback, "DELETE");
    sqliteRollback = Source.parse(rollback.toString(), null, null);

    pgDatabase = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(pgDatabase);
        Statement st = c.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(PgFixture.resource("pg-edge.sql"));
      for (String t : List.of("acct_a", "acct_b", "acct_c")) {
        st.execute(
            "CREATE TABLE public."
                + t
                + " (id integer PRIMARY KEY, pad text, bal bigint);"
                + " INSERT INTO public."
                + t
                + " SELECT i, lpad(i::text, 40, '0'), 100 FROM generate_series(1, "
                + ACCOUNTS
                + ") i");
      }
      st.execute(
          "CREATE TABLE public.big (k integer PRIMARY KEY, body text);"
              + " INSERT INTO public.big SELECT i, repeat(md5(i::text), 1 + i % 4)"
              + " FROM generate_series(1, 20000) i;"
              + " CREATE TABLE public.big2 (k integer PRIMARY KEY, body text);"
              + " INSERT INTO public.big2 SELECT i, repeat(md5(i::text || 'x'), 1 + i % 4)"
              + " FROM generate_series(1, 20000) i");
    }
    postgres = Source.parse(PgTestServer.jdbcUrl(pgDatabase), null, null);
  }

  /** Adds the account tables to an SQLite file in the given journal mode. */
  static void addAccounts(Path db, String journalMode) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      st.execute("PRAGMA journal_mode = " + journalMode);
      c.setAutoCommit(false);
      for (String t : List.of("acct_a", "acct_b", "acct_c")) {
        st.execute("CREATE TABLE " + t + " (id INTEGER PRIMARY KEY, pad TEXT, bal INTEGER)");
        st.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                + ACCOUNTS
                + ") INSERT INTO "
                + t
                + " SELECT i, printf('%040d', i), 100 FROM n");
      }
      c.commit();
    }
  }

  static Source source(String kind) {
    return switch (kind) {
      case "sqlite" -> sqlite;
      case "sqlite-rollback-journal" -> sqliteRollback;
      default -> postgres;
    };
  }

  static ExportOptions options(Format format, Compression compression) {
    // Small parts and frames: every table spans several parts, with boundaries inside rows.
    return ExportOptions.defaults(format, compression).withSmallParts(16 * 1024, 6 * 1024);
  }

  static Manifest export(
      Source source, ObjectStore store, ExportOptions options, ExportListener listener) {
    return new Exporter(
            source, store, "exports", "x1", options, listener, Clock.systemUTC(), () -> false)
        .run(null);
  }

  /** Every object of the export but its manifest and checkpoint, by name. */
  static Map<String, byte[]> objects(ObjectStore store) throws Exception {
    Map<String, byte[]> out = new TreeMap<>();
    for (ObjectInfo o : store.list("exports/x1/")) {
      String name = o.key().substring("exports/x1/".length());
      if (name.equals(Manifest.FILE) || name.equals(Exporter.CHECKPOINT_FILE)) {
        continue;
      }
      try (InputStream in = store.get(o.key())) {
        out.put(name, in.readAllBytes());
      }
    }
    return out;
  }

  static List<Arguments> sourcesFormatsAndJobs() {
    List<Arguments> args = new ArrayList<>();
    for (String kind : List.of("sqlite", "postgres")) {
      for (Format f : List.of(Format.CSV, Format.JSONL, Format.JSON)) {
        args.add(Arguments.of(kind, f, Compression.NONE, 2));
        args.add(Arguments.of(kind, f, Compression.GZIP, 3));
      }
    }
    return args;
  }

  @ParameterizedTest(name = "{0} {1} {2}: {3} jobs")
  @MethodSource("sourcesFormatsAndJobs")
  void several_jobs_give_the_objects_and_manifest_order_of_one_job(
      String kind, Format format, Compression compression, int jobs, @TempDir Path out)
      throws Exception {
    ExportOptions one = options(format, compression);
    ObjectStore reference = LocalObjectStore.open(out.resolve("reference"));
    Manifest expected = export(source(kind), reference, one, ExportListener.NONE);

    ObjectStore target = LocalObjectStore.open(out.resolve("target"));
    Manifest actual = export(source(kind), target, one.withJobs(jobs), ExportListener.NONE);

    Map<String, byte[]> want = objects(reference);
    Map<String, byte[]> got = objects(target);
    assertThat(want).hasSizeGreaterThanOrEqualTo(5);
    assertThat(got.keySet()).isEqualTo(want.keySet());
    for (String name : want.keySet()) {
      assertThat(got.get(name)).as(name).isEqualTo(want.get(name));
    }
    assertThat(actual.objects()).isEqualTo(expected.objects());
    assertThat(actual.tables()).isEqualTo(expected.tables());
    assertThat(actual.consistent()).isTrue();
    assertThat(target.pendingUploads("exports/")).isEmpty();
  }

  @Test
  void a_job_count_outside_the_range_is_refused_naming_it() {
    assertThatThrownBy(() -> options(Format.CSV, Compression.NONE).withJobs(17))
        .isInstanceOf(DbsnapException.class)
        .hasMessageContaining("outside 1..16")
        .satisfies(
            e -> assertThat(((DbsnapException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  /**
   * The sql format with several jobs: pre-data, one script per table, post-data, which run in order
   * are the one script of a single job (PostgreSQL's table scripts add the two settings their
   * literals need), and restore with the databases' own clients and with restore.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kinds")
  void several_jobs_split_the_sql_script_into_parts_that_restore_in_order(
      String kind, @TempDir Path out) throws Exception {
    Source source = source(kind);
    ObjectStore reference = LocalObjectStore.open(out.resolve("reference"));
    export(source, reference, options(Format.SQL, Compression.NONE), ExportListener.NONE);
    byte[] whole = objects(reference).get("dump.sql");

    ObjectStore target = LocalObjectStore.open(out.resolve("target"));
    Manifest split =
        export(
            source, target, options(Format.SQL, Compression.NONE).withJobs(2), ExportListener.NONE);
    Map<String, byte[]> parts = objects(target);
    List<String> order = split.objects().stream().map(Manifest.ObjectEntry::key).toList();
    assertThat(order.get(0)).isEqualTo("pre-data.sql");
    assertThat(order.get(order.size() - 1)).isEqualTo("post-data.sql");
    assertThat(order).hasSize(split.tables().size() + 2);
    assertThat(parts.keySet()).containsExactlyInAnyOrderElementsOf(order);
    String settings =
        kind.equals("postgres")
            ? "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n"
            : "";
    java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
    for (String name : order) {
      String text = new String(parts.get(name), StandardCharsets.UTF_8);
      if (!name.equals("pre-data.sql") && !name.equals("post-data.sql")) {
        assertThat(text).startsWith(settings);
        text = text.substring(settings.length());
      }
      joined.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    }
    assertThat(new String(joined.toByteArray(), StandardCharsets.UTF_8))
        .isEqualTo(new String(whole, StandardCharsets.UTF_8));

    List<Path> files = new ArrayList<>();
    Files.createDirectories(out.resolve("scripts"));
    for (String name : order) {
      files.add(Files.write(out.resolve("scripts").resolve(name), parts.get(name)));
    }
    if (kind.equals("postgres")) {
      String restored = PgTestServer.createDatabase();
      PgClients.psql(restored, files.get(0), files.subList(1, files.size()).toArray(new Path[0]));
      assertThat(PgClients.dataDump(restored)).isEqualTo(PgClients.dataDump(pgDatabase));
      String viaRestore = PgTestServer.createDatabase();
      new dev.dbsnap.restore.Restorer(
              target,
              "exports/x1/",
              Source.parse(PgTestServer.jdbcUrl(viaRestore), null, null),
              n -> {})
          .run();
      assertThat(PgClients.dataDump(viaRestore)).isEqualTo(PgClients.dataDump(pgDatabase));
    } else {
      Path restored = out.resolve("restored.db");
      Process p =
          new ProcessBuilder("sqlite3", restored.toString())
              .redirectInput(ProcessBuilder.Redirect.PIPE)
              .redirectErrorStream(true)
              .start();
      try (var stdin = p.getOutputStream()) {
        for (Path f : files) {
          stdin.write(Files.readAllBytes(f));
        }
      }
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor()).as(output).isZero();
      assertThat(output).isEmpty();
      Path viaRestore = out.resolve("via-restore.db");
      new dev.dbsnap.restore.Restorer(
              target, "exports/x1/", Source.parse("jdbc:sqlite:" + viaRestore, null, null), n -> {})
          .run();
      for (Path db : List.of(restored, viaRestore)) {
        assertThat(sqliteRows(db)).isEqualTo(sqliteRows(dir.resolve("src.db")));
      }
    }
  }

  /** Every row of every table of an SQLite file, with storage classes, in key order. */
  static String sqliteRows(Path db) throws SQLException {
    StringBuilder sb = new StringBuilder();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (var rs =
          st.executeQuery(
              "SELECT name FROM sqlite_master WHERE type = 'table'"
                  + " AND name NOT LIKE 'sqlite_%' ORDER BY name")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String t : tables) {
        sb.append("== ").append(t).append('\n');
        List<String> rows = new ArrayList<>();
        try (var rs = st.executeQuery("SELECT * FROM \"" + t.replace("\"", "\"\"") + "\"")) {
          int n = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            StringBuilder row = new StringBuilder();
            for (int i = 1; i <= n; i++) {
              Object v = rs.getObject(i);
              row.append(v instanceof byte[] b ? java.util.HexFormat.of().formatHex(b) : v)
                  .append(v == null ? "" : "/" + v.getClass().getSimpleName())
                  .append('|');
            }
            rows.add(row.toString());
          }
        }
        Collections.sort(rows);
        rows.forEach(r -> sb.append(r).append('\n'));
      }
    }
    return sb.toString();
  }

  /** Moves balance between the account tables, one committed transaction at a time. */
  static final class Mover implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger commits = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;

    Mover(ConnectionFactory connections) {
      thread =
          new Thread(
              () -> {
                Random random = new Random(7);
                try (Connection c = connections.open()) {
                  c.setAutoCommit(false);
                  String[] tables = {"acct_a", "acct_b", "acct_c"};
                  while (!stop.get()) {
                    String from = tables[random.nextInt(3)];
                    String to = tables[random.nextInt(3)];
                    int amount = 1 + random.nextInt(50);
                    try (Statement st = c.createStatement()) {
                      // Touch rows across the key range, so that every table is changed both
                      // ahead of and behind a reader's position.
                      st.executeUpdate(
                          "UPDATE "
                              + from
                              + " SET bal = bal - "
                              + amount
                              + " WHERE id = "
                              + (1 + random.nextInt(ACCOUNTS)));
                      st.executeUpdate(
                          "UPDATE "
                              + to
                              + " SET bal = bal + "
                              + amount
                              + " WHERE id = "
                              + (1 + random.nextInt(ACCOUNTS)));
                      c.commit();
                      commits.incrementAndGet();
                    } catch (SQLException e) {
                      c.rollback(); // SQLite: busy while the export holds writers off
                    }
                  }
                } catch (Throwable t) {
                  failure.set(t);
                }
              },
              "mover");
      thread.setDaemon(true);
      thread.start();
    }

    void awaitCommits(int n) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (commits.get() < n && System.nanoTime() < deadline && failure.get() == null) {
        Thread.sleep(5);
      }
      assertThat(failure.get()).isNull();
      assertThat(commits.get()).isGreaterThanOrEqualTo(n);
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(30_000);
      assertThat(failure.get()).isNull();
    }
  }

  interface ConnectionFactory {
    Connection open() throws SQLException;
  }

  /** The sum of the last column of a CSV object with a header row. */
  static long balanceSum(byte[] csv) {
    String[] lines = new String(csv, StandardCharsets.UTF_8).split("\r?\n");
    long sum = 0;
    for (int i = 1; i < lines.length; i++) {
      if (!lines[i].isEmpty()) {
        sum += Long.parseLong(lines[i].substring(lines[i].lastIndexOf(',') + 1).trim());
      }
    }
    return sum;
  }

  static List<String> kindsAndJournals() {
    return List.of("sqlite", "sqlite-rollback-journal", "postgres");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kindsAndJournals")
  void every_table_comes_from_one_snapshot_while_a_writer_moves_balances(
      String kind, @TempDir Path out) throws Exception {
    ConnectionFactory writer =
        kind.equals("sqlite")
            ? () -> {
              Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("src.db"));
              try (Statement st = c.createStatement()) {
                st.execute("PRAGMA busy_timeout = 10000");
              }
              return c;
            }
            : () -> PgTestServer.connect(pgDatabase);
    // One row a frame and a slow store: the readers take their time, so the writer commits
    // between and during their reads.
    ExportOptions options =
        ExportOptions.defaults(Format.CSV, Compression.NONE)
            .withSelection(
                new dev.dbsnap.source.TableSelection(
                    List.of(), List.of("acct_a", "acct_b", "acct_c"), List.of()))
            .withSmallParts(4 * 1024, 2 * 1024)
            .withConcurrency(1)
            .withJobs(3);
    for (int round = 0; round < 3; round++) {
      ObjectStore store = new SlowStore(LocalObjectStore.open(out.resolve("r" + round)), 2);
      Manifest manifest;
      try (Mover mover = new Mover(writer)) {
        mover.awaitCommits(20);
        manifest = export(source(kind), store, options, ExportListener.NONE);
        mover.awaitCommits(40 * (round + 1));
      }
      Map<String, byte[]> objects = objects(store);
      assertThat(objects).hasSize(3);
      long sum = 0;
      for (byte[] csv : objects.values()) {
        sum += balanceSum(csv);
      }
      assertThat(sum).as("round %d: the balances of one snapshot add up", round).isEqualTo(TOTAL);
      assertThat(manifest.consistent()).isTrue();
    }
  }

  static List<String> kinds() {
    return List.of("sqlite", "postgres");
  }

  /** A store whose part uploads take a while. */
  static final class SlowStore extends ForwardingObjectStore {
    private final long millis;

    SlowStore(ObjectStore real, long millis) {
      super(real);
      this.millis = millis;
    }

    @Override
    protected MultipartUpload wrap(MultipartUpload upload) {
      return new ForwardingMultipartUpload(upload) {
        @Override
        public String uploadPart(int partNumber, byte[] data, int length) {
          try {
            Thread.sleep(millis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbsnapException(ErrorCode.CANCELLED, "interrupted");
          }
          return delegate.uploadPart(partNumber, data, length);
        }
      };
    }
  }

  static List<Arguments> crashes() {
    List<Arguments> args = new ArrayList<>();
    for (String kind : kinds()) {
      args.add(Arguments.of(kind, Format.CSV, Compression.NONE, 7));
      args.add(Arguments.of(kind, Format.JSONL, Compression.GZIP, 11));
      args.add(Arguments.of(kind, Format.JSON, Compression.ZSTD, 16));
      args.add(Arguments.of(kind, Format.SQL, Compression.GZIP, 9));
    }
    return args;
  }

  /**
   * A store that dies at the first part upload after {@code partsBeforeCrash} parts at which at
   * least two multipart uploads are open (have sent a part and are not being completed): from then
   * on nothing reaches the real store. Every open upload's start was checkpointed before its first
   * part, and none of them completes after the decision, so the last checkpoint has them all in
   * flight.
   */
  static final class InFlightCrashStore extends ForwardingObjectStore {
    private final Object lock = new Object();
    private final Set<String> open = new java.util.HashSet<>();
    private final int partsBeforeCrash;
    private int parts;
    private boolean dead;

    InFlightCrashStore(ObjectStore real, int partsBeforeCrash) {
      super(real);
      this.partsBeforeCrash = partsBeforeCrash;
    }

    boolean crashed() {
      synchronized (lock) {
        return dead;
      }
    }

    private void alive() {
      synchronized (lock) {
        if (dead) {
          throw new CrashingStore.Crash();
        }
      }
    }

    @Override
    public void put(String key, byte[] data) {
      alive();
      super.put(key, data);
    }

    @Override
    public MultipartUpload startMultipart(String key, int partSize) {
      alive();
      return super.startMultipart(key, partSize);
    }

    @Override
    public MultipartUpload resumeMultipart(String key, String uploadId) {
      alive();
      return super.resumeMultipart(key, uploadId);
    }

    @Override
    public void delete(String key) {
      alive();
      super.delete(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
      alive();
      return super.list(prefix);
    }

    @Override
    public List<dev.dbsnap.storage.PendingUpload> pendingUploads(String prefix) {
      alive();
      return super.pendingUploads(prefix);
    }

    @Override
    protected MultipartUpload wrap(MultipartUpload upload) {
      return new ForwardingMultipartUpload(upload) {
        @Override
        public String uploadPart(int partNumber, byte[] data, int length) {
          synchronized (lock) {
            if (dead) {
              throw new CrashingStore.Crash();
            }
            open.add(delegate.uploadId());
            if (parts >= partsBeforeCrash && open.size() >= 2) {
              dead = true;
              throw new CrashingStore.Crash();
            }
            parts++;
          }
          return delegate.uploadPart(partNumber, data, length);
        }

        @Override
        public void complete(List<dev.dbsnap.storage.CompletedPart> done) {
          synchronized (lock) {
            if (dead) {
              throw new CrashingStore.Crash();
            }
            open.remove(delegate.uploadId());
          }
          delegate.complete(done);
        }

        @Override
        public void abort() {
          alive();
          delegate.abort();
        }
      };
    }
  }

  @ParameterizedTest(name = "{0} {1} {2}: crash after {3} parts")
  @MethodSource("crashes")
  void resume_after_a_crash_with_several_objects_in_flight_gives_identical_bytes(
      String kind, Format format, Compression compression, int partsBeforeCrash, @TempDir Path out)
      throws Exception {
    ExportOptions options = options(format, compression);
    ObjectStore reference = LocalObjectStore.open(out.resolve("reference"));
    // the sql format is split into scripts by more than one job
    export(
        source(kind),
        reference,
        format == Format.SQL ? options.withJobs(2) : options,
        ExportListener.NONE);

    ObjectStore target = LocalObjectStore.open(out.resolve("target"));
    InFlightCrashStore crashing = new InFlightCrashStore(target, partsBeforeCrash);
    List<String> saved = Collections.synchronizedList(new ArrayList<>());
    ExportListener keep =
        new ExportListener() {
          @Override
          public void checkpoint(Checkpoint checkpoint) {
            saved.add(checkpoint.toJson());
          }
        };
    // One upload at a time per object, three objects at once: parts land across uploads.
    assertThatThrownBy(
            () -> export(source(kind), crashing, options.withJobs(3).withConcurrency(1), keep))
        .isInstanceOf(RuntimeException.class);
    assertThat(crashing.crashed()).isTrue();

    Checkpoint checkpoint = Checkpoint.fromJson(saved.get(saved.size() - 1));
    assertThat(checkpoint.inProgress())
        .as("the last checkpoint has several objects in flight")
        .hasSizeGreaterThanOrEqualTo(2);
    assertThat(checkpoint.current()).isNull();
    assertThat(checkpoint.inFlight()).isEqualTo(checkpoint.inProgress());

    CrashingStore watched = new CrashingStore(target, Integer.MAX_VALUE);
    Manifest resumed =
        new Exporter(
                source(kind),
                watched,
                "exports",
                "x1",
                options.withJobs(2),
                ExportListener.NONE,
                Clock.systemUTC(),
                () -> false)
            .run(checkpoint);
    for (Checkpoint.Current c : checkpoint.inProgress()) {
      if (!c.parts().isEmpty()) {
        assertThat(watched.started).as("%s continues its upload", c.key()).doesNotContain(c.key());
      }
    }
    for (Checkpoint.FinishedObject f : checkpoint.finished()) {
      assertThat(watched.started).as("%s is kept", f.key()).doesNotContain(f.key());
    }
    Map<String, byte[]> want = objects(reference);
    Map<String, byte[]> got = objects(target);
    assertThat(got.keySet()).isEqualTo(want.keySet());
    for (String name : want.keySet()) {
      assertThat(got.get(name)).as(name).isEqualTo(want.get(name));
    }
    assertThat(resumed.resumed()).isTrue();
    assertThat(target.pendingUploads("exports/")).as("no upload is left open").isEmpty();
  }

  /**
   * A store that dies right after it completed the first multipart upload that follows {@code
   * partsFirst} uploaded parts: the object is whole, but no checkpoint says so.
   */
  static final class DiesAfterCompleteStore extends ForwardingObjectStore {
    final AtomicBoolean dead = new AtomicBoolean();
    final AtomicInteger parts = new AtomicInteger();
    final int partsFirst;
    volatile String completedKey;

    DiesAfterCompleteStore(ObjectStore real, int partsFirst) {
      super(real);
      this.partsFirst = partsFirst;
    }

    private void alive() {
      if (dead.get()) {
        throw new CrashingStore.Crash();
      }
    }

    @Override
    public void put(String key, byte[] data) {
      alive();
      super.put(key, data);
    }

    @Override
    public MultipartUpload startMultipart(String key, int partSize) {
      alive();
      return super.startMultipart(key, partSize);
    }

    @Override
    public void delete(String key) {
      alive();
      super.delete(key);
    }

    @Override
    public List<dev.dbsnap.storage.PendingUpload> pendingUploads(String prefix) {
      alive();
      return super.pendingUploads(prefix);
    }

    @Override
    protected MultipartUpload wrap(MultipartUpload upload) {
      return new ForwardingMultipartUpload(upload) {
        @Override
        public String uploadPart(int partNumber, byte[] data, int length) {
          alive();
          parts.incrementAndGet();
          return delegate.uploadPart(partNumber, data, length);
        }

        @Override
        public void complete(List<dev.dbsnap.storage.CompletedPart> done) {
          alive();
          delegate.complete(done);
          if (done.size() > 1 && parts.get() >= partsFirst && dead.compareAndSet(false, true)) {
            completedKey = delegate.key();
            throw new CrashingStore.Crash();
          }
        }

        @Override
        public void abort() {
          alive();
          delegate.abort();
        }
      };
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kinds")
  void an_object_completed_just_before_a_crash_is_kept_and_the_others_continue(
      String kind, @TempDir Path out) throws Exception {
    ExportOptions options = options(Format.CSV, Compression.GZIP);
    ObjectStore reference = LocalObjectStore.open(out.resolve("reference"));
    export(source(kind), reference, options, ExportListener.NONE);

    ObjectStore target = LocalObjectStore.open(out.resolve("target"));
    DiesAfterCompleteStore dying = new DiesAfterCompleteStore(target, 4);
    List<String> saved = Collections.synchronizedList(new ArrayList<>());
    ExportListener keep =
        new ExportListener() {
          @Override
          public void checkpoint(Checkpoint checkpoint) {
            saved.add(checkpoint.toJson());
          }
        };
    assertThatThrownBy(
            () -> export(source(kind), dying, options.withJobs(3).withConcurrency(1), keep))
        .isInstanceOf(RuntimeException.class);
    assertThat(dying.completedKey).isNotNull();
    Checkpoint checkpoint = Checkpoint.fromJson(saved.get(saved.size() - 1));
    Checkpoint.Current completing =
        checkpoint.inProgress().stream()
            .filter(c -> c.key().equals(dying.completedKey))
            .findFirst()
            .orElseThrow();
    assertThat(completing.completing()).isNotNull();

    CrashingStore watched = new CrashingStore(target, Integer.MAX_VALUE);
    new Exporter(
            source(kind),
            watched,
            "exports",
            "x1",
            options.withJobs(3),
            ExportListener.NONE,
            Clock.systemUTC(),
            () -> false)
        .run(checkpoint);
    assertThat(watched.started).doesNotContain(dying.completedKey);
    Map<String, byte[]> want = objects(reference);
    Map<String, byte[]> got = objects(target);
    assertThat(got.keySet()).isEqualTo(want.keySet());
    for (String name : want.keySet()) {
      assertThat(got.get(name)).as(name).isEqualTo(want.get(name));
    }
    assertThat(target.pendingUploads("exports/")).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kinds")
  void a_cancel_with_several_objects_in_flight_leaves_nothing(String kind, @TempDir Path out) {
    ObjectStore store = new SlowStore(LocalObjectStore.open(out), 2);
    AtomicBoolean cancel = new AtomicBoolean();
    ExportListener watch =
        new ExportListener() {
          @Override
          public void checkpoint(Checkpoint checkpoint) {
            if (checkpoint.inProgress().stream().filter(c -> !c.parts().isEmpty()).count() >= 2) {
              cancel.set(true);
            }
          }
        };
    assertThatThrownBy(
            () ->
                new Exporter(
                        source(kind),
                        store,
                        "exports",
                        "x1",
                        options(Format.CSV, Compression.NONE).withConcurrency(1).withJobs(3),
                        watch,
                        Clock.systemUTC(),
                        cancel::get)
                    .run(null))
        .isInstanceOf(DbsnapException.class)
        .satisfies(e -> assertThat(((DbsnapException) e).code()).isEqualTo(ErrorCode.CANCELLED));
    assertThat(cancel.get()).isTrue();
    assertThat(store.list("exports/")).isEmpty();
    assertThat(store.pendingUploads("exports/")).isEmpty();
  }

  @Test
  void a_checkpoint_with_several_objects_in_flight_reads_back_and_one_is_written_as_current() {
    Checkpoint.RestartPoint start = new Checkpoint.RestartPoint(0, null, Map.of(), 0, 0);
    Checkpoint.Current a = new Checkpoint.Current(0, "x/a.csv", "u1", List.of(), 0, "s", start);
    Checkpoint.Current b = new Checkpoint.Current(2, "x/c.csv", "u2", List.of(), 0, "s", start);
    Checkpoint two = new Checkpoint("x", "f", null, List.of(), null, Map.of(), List.of(a, b));
    Checkpoint back = Checkpoint.fromJson(two.toJson());
    assertThat(back).isEqualTo(two);
    assertThat(back.inProgress()).containsExactly(a, b);

    Checkpoint one = new Checkpoint("x", "f", null, List.of(), null, Map.of(), List.of(a));
    assertThat(one.toJson()).contains("\"current\"").doesNotContain("inFlight");
    assertThat(one).isEqualTo(new Checkpoint("x", "f", null, List.of(), a, Map.of()));
    assertThat(Checkpoint.fromJson(one.toJson()).inProgress()).containsExactly(a);
  }

  /**
   * A store whose part uploads wait until released, counting the uploads under way and the part
   * buffers each upload is handed.
   */
  static final class GatedStore extends ForwardingObjectStore {
    final CountDownLatch open = new CountDownLatch(1);
    final AtomicInteger uploading = new AtomicInteger();
    final AtomicInteger maxUploading = new AtomicInteger();
    final Map<String, Set<byte[]>> buffers = new ConcurrentHashMap<>();

    GatedStore(ObjectStore real) {
      super(real);
    }

    @Override
    protected MultipartUpload wrap(MultipartUpload upload) {
      return new ForwardingMultipartUpload(upload) {
        @Override
        public String uploadPart(int partNumber, byte[] data, int length) {
          buffers
              .computeIfAbsent(
                  delegate.uploadId(),
                  k ->
                      Collections.synchronizedSet(
                          Collections.newSetFromMap(new IdentityHashMap<>())))
              .add(data);
          maxUploading.accumulateAndGet(uploading.incrementAndGet(), Math::max);
          try {
            open.await();
            return delegate.uploadPart(partNumber, data, length);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DbsnapException(ErrorCode.CANCELLED, "interrupted");
          } finally {
            uploading.decrementAndGet();
          }
        }
      };
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kinds")
  void part_buffers_stay_within_jobs_times_concurrency_plus_one(String kind, @TempDir Path out)
      throws Exception {
    int jobs = 3;
    int concurrency = 2;
    GatedStore store = new GatedStore(LocalObjectStore.open(out));
    // Three tables of many parts each, so that every job keeps its uploads full.
    ExportOptions options =
        options(Format.JSONL, Compression.NONE)
            .withSelection(
                new dev.dbsnap.source.TableSelection(
                    List.of(), List.of("acct_a", "acct_b", "acct_c"), List.of()))
            .withConcurrency(concurrency)
            .withJobs(jobs);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread export =
        new Thread(
            () -> {
              try {
                export(source(kind), store, options, ExportListener.NONE);
              } catch (Throwable t) {
                failed.set(t);
              }
            });
    export.start();
    // Uploads are held: each job fills its parts until every upload slot of its writer is taken
    // and the reader blocks on the next buffer (backpressure).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (store.uploading.get() < jobs * concurrency && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(store.uploading.get()).isEqualTo(jobs * concurrency);
    Thread.sleep(500);
    assertThat(store.maxUploading.get())
        .as("no job uploads more than its concurrency while blocked")
        .isEqualTo(jobs * concurrency);
    store.open.countDown();
    export.join(120_000);
    assertThat(failed.get()).isNull();
    assertThat(store.maxUploading.get()).isLessThanOrEqualTo(jobs * concurrency);
    for (var e : store.buffers.entrySet()) {
      assertThat(e.getValue().size())
          .as("part buffers of upload %s", e.getKey())
          .isLessThanOrEqualTo(concurrency + 1);
    }
    assertThat(store.buffers).hasSize(jobs);
  }
}
