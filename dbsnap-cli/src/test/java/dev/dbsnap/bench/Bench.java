package dev.dbsnap.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The dbsnap benchmark: times dbsnap dumps against the databases' own tools (psql \copy, pg_dump,
 * sqlite3) on the same table, and measures dbsnap's peak memory on a 10M-row table.
 *
 * <p>Every dbsnap dump runs in its own process so start-up counts: {@code bin/dbsnap dump}, as
 * users run it (on a JDK 25 with its AOT cache when one is installed), or with {@code --plain-java}
 * this JVM's java on the packaged jar ({@link BenchDump} when no jar was built). Runs alternate
 * dbsnap/tool after one untimed warm-up of each; the median of the timed runs is reported. Extra
 * JVM options for the dbsnap runs (say, to record a flight recording) can be given in the
 * environment variable BENCH_JAVA_OPTS.
 *
 * <p>Cases: PostgreSQL csv against {@code psql \copy}, sql against {@code pg_dump}, jsonl (reported
 * against {@code psql \copy}), csv with zstd against the same dump uncompressed; SQLite csv and sql
 * against {@code sqlite3}; and, when {@code dbsnap dump --help} lists {@code --jobs}, four
 * PostgreSQL tables of {@code --rows} rows each dumped with {@code --jobs 2} against {@code pg_dump
 * -Fd -j 2} and against {@code --jobs 1}.
 *
 * <p>Options: {@code --rows N} (default 1,000,000), {@code --runs N} (default 3), {@code --fresh}
 * (rebuild the databases), {@code --big} (also the 10M-row memory and linearity runs), {@code
 * --big-rows N} (default 10,000,000), {@code --only pg|sqlite}, {@code --cases
 * pg-csv,pg-sql,pg-jsonl,pg-csv-zstd,pg-jobs,sqlite-csv,sqlite-sql}, {@code --work DIR} (default
 * target/bench), {@code --plain-java}.
 */
public final class Bench {
  private static final String TABLE = "bench_events";
  private static final String DB = "bench";
  private static final String BIG_DB = "bench_big";
  private static final List<String> JOB_TABLES =
      List.of("bench_q1", "bench_q2", "bench_q3", "bench_q4");

  private final Path work;
  private final Path out;
  private final int runs;
  private final long rows;
  private final long bigRows;
  private final boolean fresh;
  private final boolean big;
  private final String only;
  private final List<String> cases;

  /** Whether dbsnap runs on this JVM's java instead of through {@code bin/dbsnap}. */
  private final boolean plainJava;

  private EmbeddedPostgres pg;
  private final List<Result> results = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  private Bench(Map<String, String> opts) {
    this.work = Path.of(opts.getOrDefault("work", "target/bench")).toAbsolutePath();
    this.out = work.resolve("out");
    this.runs = Integer.parseInt(opts.getOrDefault("runs", "3"));
    this.rows = Long.parseLong(opts.getOrDefault("rows", "1000000").replace("_", ""));
    this.bigRows = Long.parseLong(opts.getOrDefault("big-rows", "10000000").replace("_", ""));
    this.fresh = opts.containsKey("fresh");
    this.big = opts.containsKey("big");
    this.only = opts.getOrDefault("only", "");
    this.plainJava = opts.containsKey("plain-java");
    this.cases = opts.containsKey("cases") ? List.of(opts.get("cases").split(",")) : null;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new java.util.HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        usage("unexpected argument " + a);
      }
      String name = a.substring(2);
      switch (name) {
        case "fresh", "big", "plain-java" -> opts.put(name, "true");
        case "rows", "runs", "big-rows", "only", "cases", "work" -> {
          if (i + 1 >= args.length) {
            usage(a + " needs a value");
          }
          opts.put(name, args[++i]);
        }
        default -> usage("unknown option " + a);
      }
    }
    new Bench(opts).run();
  }

  private static void usage(String problem) {
    System.err.println(problem);
    System.err.println(
        "usage: bench/run [--rows N] [--runs N] [--fresh] [--big] [--big-rows N] [--only pg|sqlite] [--cases pg-csv,...] [--work DIR] [--plain-java]");
    System.exit(2);
  }

  // ---------------------------------------------------------------- run

  private void run() throws Exception {
    if (fresh) {
      deleteTree(work);
    }
    Files.createDirectories(out);
    log("load average " + loadAverage());
    log(
        "work dir "
            + work
            + ", "
            + rows
            + " rows, "
            + runs
            + " timed runs per case"
            + (big ? ", big run with " + bigRows + " rows" : ""));
    startPostgres();
    try {
      ensurePgTable(DB, rows);
      Path sqlite = work.resolve("bench-" + rows + ".sqlite");
      boolean doPg = !only.equals("sqlite");
      boolean doSqlite = !only.equals("pg");
      if (doSqlite) {
        ensureSqlite(sqlite, rows);
      }
      String pgUrl = pg.getJdbcUrl("postgres", DB);
      if (doPg) {
        Step psqlCopy = psqlCopy(DB, "psql.csv");
        Step pgCsv = dbsnap(pgUrl, "csv", "pg-csv");
        compare("PG csv", 1.0, pgCsv, "psql \\copy CSV HEADER", psqlCopy);
        compare(
            "PG sql",
            0.8,
            dbsnap(pgUrl, "sql", "pg-sql"),
            "pg_dump --data-only --rows-per-insert=100",
            tool(
                "pg_dump.sql",
                pgEnv(DB),
                "pg_dump",
                "--data-only",
                "--rows-per-insert=100",
                "-t",
                TABLE));
        compare(
            "PG jsonl",
            Double.NaN,
            dbsnap(pgUrl, "jsonl", "pg-jsonl"),
            "psql \\copy CSV HEADER",
            psqlCopy);
        compare(
            "PG csv zstd",
            1.3,
            dbsnap(pgUrl, "csv", "pg-csv-zstd", List.of("--tables", TABLE, "-c", "zstd")),
            "dbsnap csv, no compression",
            pgCsv);
        jobsCases(pgUrl);
      }
      if (doSqlite) {
        compare(
            "SQLite csv",
            1.0,
            dbsnap(sqlite.toString(), "csv", "sqlite-csv"),
            "sqlite3 -csv -header",
            tool(
                "sqlite3.csv",
                Map.of(),
                "sqlite3",
                "-csv",
                "-header",
                sqlite.toString(),
                "select * from " + TABLE));
        compare(
            "SQLite sql",
            0.8,
            dbsnap(sqlite.toString(), "sql", "sqlite-sql"),
            "sqlite3 .dump",
            tool("sqlite3.sql", Map.of(), "sqlite3", sqlite.toString(), ".dump"));
      }
      printTable();
      System.out.println(
          "load average at the end (other processes skew the figures): " + loadAverage());
      if (big) {
        bigRun();
      }
      for (String n : notes) {
        System.out.println(n);
      }
    } finally {
      pg.close();
    }
  }

  /**
   * The 10M-row csv dump from PostgreSQL: peak RSS at default settings, with -Xmx64m, and
   * linearity.
   */
  private void bigRun() throws Exception {
    ensurePgTable(BIG_DB, bigRows);
    String url = pg.getJdbcUrl("postgres", BIG_DB);
    Step small = dbsnap(pg.getJdbcUrl("postgres", DB), "csv", "pg-csv");
    Step bigDefault = dbsnap(url, "csv", "pg-csv-big");
    Step bigSmallHeap = dbsnap(url, "csv", "pg-csv-big-64m", "-Xmx64m");
    Step bigCopy = psqlCopy(BIG_DB, "psql-big.csv");
    log("big: warm-up");
    bigDefault.run();
    log("big: default heap, alternating with psql \\copy");
    List<Run> dbsnapRuns = new ArrayList<>();
    List<Run> copyRuns = new ArrayList<>();
    alternate("big", bigDefault, dbsnapRuns, bigCopy, copyRuns, Math.max(1, runs));
    Run d = dbsnapRuns.get(dbsnapRuns.size() - 1);
    double bigMedian = median(dbsnapRuns);
    double copyMedian = median(copyRuns);
    log("big: -Xmx64m");
    Run s = bigSmallHeap.run();
    Result pgCsv = results.stream().filter(r -> r.name.equals("PG csv")).findFirst().orElse(null);
    double reference;
    if (pgCsv != null) {
      reference = pgCsv.dbsnap.median();
    } else {
      small.run();
      reference = median(List.of(small.run(), small.run(), small.run()));
    }
    double scale = (double) bigRows / rows;
    double limit = 1.1 * scale * reference;
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "Memory: dbsnap dump --format csv --compression none of PostgreSQL %s (%,d rows, %,d bytes out)%n",
        TABLE,
        bigRows,
        d.bytes);
    long peak = dbsnapRuns.stream().mapToLong(Run::rssKib).max().orElse(0);
    System.out.printf(
        Locale.ROOT,
        "  default heap: %7.2f s (median of %d), peak RSS %7.1f MiB  (target <= 300 MiB)  %s%n",
        bigMedian,
        dbsnapRuns.size(),
        peak / 1024.0,
        peak / 1024.0 <= 300 ? "PASS" : "MISS");
    System.out.printf(
        Locale.ROOT,
        "  vs psql \\copy CSV HEADER: %7.2f s, ratio %.2fx  (target <= 0.95x)  %s%n",
        copyMedian,
        bigMedian / copyMedian,
        bigMedian / copyMedian <= 0.95 ? "PASS" : "MISS");
    System.out.printf(
        Locale.ROOT,
        "  -Xmx64m:      %7.2f s, peak RSS %7.1f MiB  exit %d  (must succeed)  %s%n",
        s.seconds,
        s.rssKib / 1024.0,
        s.exit,
        s.exit == 0 ? "PASS" : "MISS");
    System.out.printf(
        Locale.ROOT,
        "  linearity: %,d rows %.2f s vs %,d rows %.2f s = %.2fx for %.1fx the rows (target <= %.1fx)  %s%n",
        bigRows,
        bigMedian,
        rows,
        reference,
        bigMedian / reference,
        scale,
        1.1 * scale,
        bigMedian <= limit ? "PASS" : "MISS");
  }

  // ---------------------------------------------------------------- timing

  /** Something to time: a process whose output lands in a file or directory. */
  private interface Step {
    Run run() throws Exception;
  }

  private record Run(double seconds, long rssKib, long bytes, int exit) {}

  private record Series(List<Run> runs) {
    double median() {
      return Bench.median(runs);
    }

    long bytes() {
      return runs.get(runs.size() - 1).bytes;
    }

    long maxRssKib() {
      return runs.stream().mapToLong(Run::rssKib).max().orElse(0);
    }
  }

  /**
   * One case's figures.
   *
   * @param target the ratio to reach, or NaN for a case that is only reported
   * @param versus what dbsnap is compared with
   */
  private record Result(String name, double target, Series dbsnap, String versus, Series tool) {
    double ratio() {
      return dbsnap.median() / tool.median();
    }
  }

  static double medianOf(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static double median(List<Run> runs) {
    double[] s = runs.stream().mapToDouble(Run::seconds).sorted().toArray();
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private boolean selected(String name) {
    return cases == null || cases.contains(name.toLowerCase(Locale.ROOT).replace(' ', '-'));
  }

  private void compare(String name, double target, Step dbsnap, String versus, Step tool)
      throws Exception {
    if (!selected(name)) {
      return;
    }
    log(name + ": warm-up");
    dbsnap.run();
    tool.run();
    List<Run> a = new ArrayList<>();
    List<Run> b = new ArrayList<>();
    alternate(name, dbsnap, a, tool, b, runs);
    results.add(new Result(name, target, new Series(a), versus, new Series(b)));
  }

  /** {@code n} runs of dbsnap and the tool in turn, into {@code a} and {@code b}. */
  private static void alternate(
      String name, Step dbsnap, List<Run> a, Step tool, List<Run> b, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      a.add(dbsnap.run());
      b.add(tool.run());
      log(
          String.format(
              Locale.ROOT,
              "%s run %d: dbsnap %.2f s, tool %.2f s",
              name,
              i + 1,
              a.get(i).seconds,
              b.get(i).seconds));
    }
  }

  /** {@code psql \copy} of the benchmark table of {@code db} as CSV with a header. */
  private Step psqlCopy(String db, String file) {
    return tool(
        file, pgEnv(db), "psql", "-X", "-q", "-c", "\\copy " + TABLE + " TO STDOUT CSV HEADER");
  }

  /**
   * Four tables of {@code --rows} rows each (copies of the main table): {@code --jobs 2} against
   * {@code pg_dump -Fd -j 2} and against {@code --jobs 1}; skipped with a note while {@code dbsnap
   * dump} has no {@code --jobs}.
   */
  private void jobsCases(String pgUrl) throws Exception {
    if (!selected("PG jobs")) {
      return;
    }
    if (!dumpHasJobs()) {
      String note =
          "PG jobs: skipped, 'dbsnap dump --help' does not list --jobs (parallel export is not in"
              + " this build)";
      log(note);
      notes.add(note);
      return;
    }
    ensureJobTables(rows);
    String tables = String.join(",", JOB_TABLES);
    Step two = dbsnap(pgUrl, "csv", "pg-jobs-2", List.of("--tables", tables, "--jobs", "2"));
    Step one = dbsnap(pgUrl, "csv", "pg-jobs-1", List.of("--tables", tables, "--jobs", "1"));
    List<String> pgDump =
        new ArrayList<>(List.of("pg_dump", "-Fd", "-j", "2", "-Z0", "--data-only"));
    for (String t : JOB_TABLES) {
      pgDump.addAll(List.of("-t", t));
    }
    compare(
        "PG jobs", 1.0, two, "pg_dump -Fd -j 2 -Z0 --data-only", toolDir("pg_dump.dir", pgDump));
    compare("PG jobs 2/1", 0.75, two, "dbsnap --jobs 1", one);
  }

  private boolean dumpHasJobs() throws Exception {
    List<String> cmd = new ArrayList<>(javaCommand(List.of()));
    cmd.addAll(List.of("-jar", jar().toString(), "dump", "--help"));
    if (!Files.isRegularFile(jar())) {
      return false;
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String help = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return help.contains("--jobs");
  }

  /** The launcher users run, which the timed runs go through unless {@code --plain-java}. */
  private static final Path LAUNCHER = Path.of("bin/dbsnap").toAbsolutePath();

  private static Path jar() {
    return Path.of(System.getProperty("dbsnap.jar", "dbsnap-cli/target/dbsnap.jar"));
  }

  /** The java command for a dbsnap run: this JVM's java, the given options, BENCH_JAVA_OPTS. */
  private static List<String> javaCommand(List<String> jvmOptions) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    String extra = System.getenv("BENCH_JAVA_OPTS");
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(Arrays.asList(extra.trim().split("\\s+")));
    }
    return cmd;
  }

  /** A dbsnap dump of {@value #TABLE} in a fresh JVM, through /usr/bin/time for its peak RSS. */
  private Step dbsnap(String source, String format, String exportId, String... jvmOptions) {
    return dbsnap(source, format, exportId, List.of("--tables", TABLE), jvmOptions);
  }

  /** A dbsnap dump with more options ({@code --tables} among them) in a fresh JVM. */
  private Step dbsnap(
      String source,
      String format,
      String exportId,
      List<String> dumpOptions,
      String... jvmOptions) {
    return () -> {
      Path dir = out.resolve("dbsnap");
      deleteTree(dir.resolve(exportId));
      List<String> options =
          jvmOptions.length > 0
              ? Arrays.asList(jvmOptions)
              : List.of("-Xmx256m", "-XX:+UseSerialGC"); // the launcher's defaults
      Map<String, String> env = new java.util.HashMap<>();
      List<String> cmd;
      Path jar = jar();
      if (!plainJava && Files.isRegularFile(jar) && Files.isExecutable(LAUNCHER)) {
        // As users run it: bin/dbsnap picks the JDK (a newer one with its AOT cache when
        // installed) and takes the JVM options from DBSNAP_JAVA_OPTS.
        List<String> java = javaCommand(options);
        env.put("DBSNAP_JAVA_OPTS", String.join(" ", java.subList(1, java.size())));
        cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
      } else {
        cmd = javaCommand(options);
        if (Files.isRegularFile(jar)) {
          cmd.addAll(List.of("-jar", jar.toString()));
        }
      }
      if (Files.isRegularFile(jar)) {
        cmd.addAll(
            List.of(
                "dump",
                "--source",
                source,
                "--to",
                dir.toString(),
                "--format",
                format,
                "--export-id",
                exportId,
                "-q"));
        cmd.addAll(dumpOptions);
      } else {
        cmd.addAll(
            List.of(
                "--add-opens",
                "java.base/sun.security.provider=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                BenchDump.class.getName(),
                source,
                dir.toString(),
                format,
                "none",
                exportId,
                TABLE));
      }
      Run r =
          timed(
              cmd,
              env,
              out.resolve("dbsnap-" + exportId + ".log").toFile(),
              out.resolve("dbsnap-" + exportId + ".err").toFile());
      return new Run(r.seconds, r.rssKib, size(dir.resolve(exportId)), r.exit);
    };
  }

  /** A database tool writing its output into the directory {@code name} (created by the tool). */
  private Step toolDir(String name, List<String> command) {
    return () -> {
      Path target = out.resolve(name);
      deleteTree(target);
      List<String> cmd = new ArrayList<>(command);
      cmd.addAll(List.of("-f", target.toString()));
      Run r =
          timed(
              cmd,
              pgEnv(DB),
              out.resolve(name + ".log").toFile(),
              out.resolve(name + ".err").toFile());
      return new Run(r.seconds, r.rssKib, size(target), r.exit);
    };
  }

  /** A database tool writing its output to {@code file} in the output directory. */
  private Step tool(String file, Map<String, String> env, String... command) {
    return () -> {
      Path target = out.resolve(file);
      Run r =
          timed(Arrays.asList(command), env, target.toFile(), out.resolve(file + ".err").toFile());
      return new Run(r.seconds, r.rssKib, Files.size(target), r.exit);
    };
  }

  private Run timed(List<String> command, Map<String, String> env, File stdout, File stderr)
      throws Exception {
    Path rss = out.resolve("rss.txt");
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/time", "-f", "%M", "-o", rss.toString()));
    cmd.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(stdout).redirectError(stderr);
    pb.environment().putAll(env);
    long start = System.nanoTime();
    Process p = pb.start();
    int exit = p.waitFor();
    double seconds = (System.nanoTime() - start) / 1e9;
    if (exit != 0) {
      String err = Files.readString(stderr.toPath());
      throw new IllegalStateException(
          String.join(" ", command)
              + " exited "
              + exit
              + ":\n"
              + err.substring(0, Math.min(err.length(), 4000)));
    }
    long kib =
        Long.parseLong(
            Files.readAllLines(rss).stream()
                .filter(l -> l.matches("\\d+"))
                .findFirst()
                .orElse("0"));
    return new Run(seconds, kib, 0, exit);
  }

  private void printTable() {
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "dbsnap vs native tools, %,d rows of %s, median of %d runs (JVM start-up included)%n",
        rows,
        TABLE,
        runs);
    String head =
        String.format(
            Locale.ROOT,
            "%-12s %10s %10s %7s %7s %-5s %14s %14s %10s %10s  %s",
            "case",
            "dbsnap s",
            "tool s",
            "ratio",
            "target",
            "",
            "dbsnap bytes",
            "tool bytes",
            "dbsnap RSS",
            "tool RSS",
            "against");
    System.out.println(head);
    System.out.println("-".repeat(head.length()));
    for (Result r : results) {
      System.out.printf(
          Locale.ROOT,
          "%-12s %10.2f %10.2f %6.2fx %7s %-5s %,14d %,14d %6.0f MiB %6.0f MiB  %s%n",
          r.name,
          r.dbsnap.median(),
          r.tool.median(),
          r.ratio(),
          Double.isNaN(r.target) ? "-" : String.format(Locale.ROOT, "%.1fx", r.target),
          Double.isNaN(r.target) ? "" : r.ratio() <= r.target ? "PASS" : "MISS",
          r.dbsnap.bytes(),
          r.tool.bytes(),
          r.dbsnap.maxRssKib() / 1024.0,
          r.tool.maxRssKib() / 1024.0,
          r.versus);
    }
    System.out.println(
        "dbsnap: --compression none unless named, 8 MiB parts, concurrency 4; each case alternates"
            + " dbsnap and what it is against, after one warm-up of each. PG jobs: four tables of "
            + rows
            + " rows.");
  }

  // ---------------------------------------------------------------- data

  private void startPostgres() throws IOException {
    Path data = work.resolve("pgdata");
    Files.createDirectories(data);
    Files.deleteIfExists(
        data.resolve("postmaster.pid")); // left behind if a previous run was killed
    log("starting PostgreSQL in " + data);
    pg =
        EmbeddedPostgres.builder()
            .setDataDirectory(data)
            .setCleanDataDirectory(false)
            .setServerConfig("fsync", "off")
            .setServerConfig("synchronous_commit", "off")
            .setServerConfig("full_page_writes", "off")
            .setServerConfig("shared_buffers", "256MB")
            .setServerConfig("max_wal_size", "4GB")
            .setServerConfig("autovacuum", "off")
            .start();
  }

  private Map<String, String> pgEnv(String db) {
    return Map.of(
        "PGHOST",
        "localhost",
        "PGPORT",
        String.valueOf(pg.getPort()),
        "PGUSER",
        "postgres",
        "PGDATABASE",
        db);
  }

  /**
   * Creates {@code db} with {@value #TABLE} holding {@code n} rows, unless it already holds them.
   */
  private void ensurePgTable(String db, long n) throws SQLException {
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      try (ResultSet rs =
          st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + db + "'")) {
        if (!rs.next()) {
          st.execute(
              "CREATE DATABASE "
                  + db
                  + " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
        }
      }
    }
    try (Connection c = DriverManager.getConnection(pg.getJdbcUrl("postgres", db));
        Statement st = c.createStatement()) {
      if (count(st, "SELECT count(*) FROM pg_class WHERE relname = '" + TABLE + "'") == 1
          && count(st, "SELECT count(*) FROM " + TABLE) == n) {
        log("PostgreSQL " + db + "." + TABLE + " already holds " + n + " rows");
        return;
      }
      log("filling PostgreSQL " + db + "." + TABLE + " with " + n + " rows");
      long start = System.nanoTime();
      c.setAutoCommit(false);
      st.execute("SET maintenance_work_mem = '512MB'");
      st.execute("DROP TABLE IF EXISTS " + TABLE);
      st.execute(
          "CREATE TABLE "
              + TABLE
              + " (id bigint NOT NULL, user_id integer NOT NULL, kind text NOT NULL,"
              + " amount numeric(12,2), score double precision, active boolean NOT NULL, created_at timestamptz NOT NULL,"
              + " note text, payload jsonb, digest bytea)");
      st.execute(
          "INSERT INTO "
              + TABLE
              + " SELECT g,"
              + " (g * 7919) % 100000,"
              + " (ARRAY['click','view','purchase','signup','logout'])[1 + g % 5],"
              + " CASE WHEN g % 10 = 3 THEN NULL ELSE ((g * 104729) % 10000000) / 100.0 END,"
              + " CASE WHEN g % 20 = 7 THEN NULL ELSE (g % 100003) / 7.0 END,"
              + " g % 3 <> 0,"
              + " timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' + (g % 1000) * interval '1 millisecond',"
              + " CASE g % 4 WHEN 0 THEN NULL"
              + "   WHEN 1 THEN 'plain note ' || g"
              + "   WHEN 2 THEN 'she said \"hello, world\" to user ' || (g % 1000)"
              + "   ELSE E'first line, with a comma\\nsecond line with ''apostrophes'' and \"quotes\" #' || g END,"
              + " jsonb_build_object('id', g, 'tags', jsonb_build_array('t' || (g % 10), 'x'), 'ok', g % 2 = 0,"
              + "   'ratio', (g % 1000) / 1000.0, 'name', 'user \"' || (g % 100) || '\"'),"
              + " decode(md5(g::text), 'hex')"
              + " FROM generate_series(1::bigint, "
              + n
              + ") g");
      st.execute("ALTER TABLE " + TABLE + " ADD PRIMARY KEY (id)");
      c.commit();
      c.setAutoCommit(true);
      st.execute("VACUUM ANALYZE " + TABLE);
      log(String.format(Locale.ROOT, "filled in %.1f s", (System.nanoTime() - start) / 1e9));
    }
  }

  /** Creates {@link #JOB_TABLES} in {@value #DB}, each a quarter of {@value #TABLE}. */
  private void ensureJobTables(long n) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.getJdbcUrl("postgres", DB));
        Statement st = c.createStatement()) {
      for (int i = 0; i < JOB_TABLES.size(); i++) {
        String t = JOB_TABLES.get(i);
        if (count(st, "SELECT count(*) FROM pg_class WHERE relname = '" + t + "'") == 1
            && count(st, "SELECT count(*) FROM " + t) == n) {
          continue;
        }
        log("filling PostgreSQL " + DB + "." + t + " with " + n + " rows");
        st.execute("DROP TABLE IF EXISTS " + t);
        st.execute("CREATE TABLE " + t + " AS SELECT * FROM " + TABLE + " WHERE id <= " + n);
        st.execute("ALTER TABLE " + t + " ADD PRIMARY KEY (id)");
        st.execute("VACUUM ANALYZE " + t);
      }
    }
  }

  /**
   * Builds the SQLite copy of the PostgreSQL table (same values), unless {@code file} already holds
   * it.
   */
  private void ensureSqlite(Path file, long n) throws SQLException, IOException {
    if (Files.exists(file)) {
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
          Statement st = c.createStatement()) {
        if (count(st, "SELECT count(*) FROM " + TABLE) == n) {
          log("SQLite " + file.getFileName() + " already holds " + n + " rows");
          return;
        }
      } catch (SQLException e) {
        // rebuild below
      }
    }
    log("filling SQLite " + file.getFileName() + " with " + n + " rows");
    long start = System.nanoTime();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try (Connection from = DriverManager.getConnection(pg.getJdbcUrl("postgres", DB));
        Connection to = DriverManager.getConnection("jdbc:sqlite:" + tmp)) {
      try (Statement st = to.createStatement()) {
        st.execute("PRAGMA journal_mode = OFF");
        st.execute("PRAGMA synchronous = OFF");
        st.execute(
            "CREATE TABLE "
                + TABLE
                + " (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, kind TEXT NOT NULL,"
                + " amount REAL, score REAL, active INTEGER NOT NULL, created_at TEXT NOT NULL, note TEXT, payload TEXT,"
                + " digest BLOB)");
      }
      from.setAutoCommit(false);
      to.setAutoCommit(false);
      try (Statement read = from.createStatement();
          PreparedStatement ins =
              to.prepareStatement("INSERT INTO " + TABLE + " VALUES (?,?,?,?,?,?,?,?,?,?)")) {
        read.setFetchSize(10_000);
        try (ResultSet rs =
            read.executeQuery(
                "SELECT id, user_id, kind, amount::float8, score, active::int,"
                    + " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), note, payload::text, digest"
                    + " FROM "
                    + TABLE
                    + " ORDER BY id")) {
          int batch = 0;
          while (rs.next()) {
            for (int i = 1; i <= 10; i++) {
              ins.setObject(i, rs.getObject(i));
            }
            ins.addBatch();
            if (++batch == 10_000) {
              ins.executeBatch();
              batch = 0;
            }
          }
          ins.executeBatch();
        }
      }
      to.commit();
      from.rollback();
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    log(String.format(Locale.ROOT, "filled in %.1f s", (System.nanoTime() - start) / 1e9));
  }

  private static long count(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // ---------------------------------------------------------------- files

  private static long size(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .sum();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim()
          + " on "
          + Runtime.getRuntime().availableProcessors()
          + " cores";
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static void log(String message) {
    System.err.println("[bench] " + message);
  }
}
