package dev.dbsnap.job;

import static dev.dbsnap.job.JobFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.http.JobJson;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgTestServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The retry budget counts attempts in a row without progress, not attempts: a PostgreSQL source
 * whose sessions are terminated after every uploaded part (a failover, an impatient DBA) still
 * exports, byte for byte, while a job that stops advancing is given up on, and so is one that runs
 * past {@code workers.maxRunTime}.
 */
class RetryBudgetTest {
  /** Small parts, so that a table of a few MB needs many of them. */
  private static final int SMALL_PARTS = 32 * 1024;

  /**
   * About 10 MB of rows. They stream (COPY), and a killed session is noticed only once the rows
   * already on their way are read: on loopback the server's socket buffer alone holds a megabyte or
   * more, so the table must be several times that for every attempt to be cut short.
   */
  private static final int ROWS = 150_000;

  @TempDir Path dir;

  @Test
  void a_job_whose_source_connection_is_killed_after_every_part_succeeds_with_identical_bytes()
      throws Exception {
    String db = sourceDatabase();
    Map<String, String> sources = Map.of("pg", PgTestServer.jdbcUrl(db));
    String control = "jdbc:sqlite:" + dir.resolve("control.db");
    ServerConfig.Workers workers = workers(1);
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        SourceKiller killer = new SourceKiller(db)) {
      AfterPartStore killing = new AfterPartStore(store, killer);
      Job killed;
      try (JobService service = start(config(control, sources, workers), killing, SMALL_PARTS)) {
        String id = service.submit(null, request("pg", Format.CSV, Compression.GZIP)).id();
        killed = awaitState(service, id, JobState.SUCCEEDED, Duration.ofSeconds(120));
      }
      assertThat(killing.hookFailure()).isNull();
      assertThat(killing.parts()).isGreaterThanOrEqualTo(8);
      assertThat(killer.terminated()).isGreaterThan(workers.maxAttempts());
      assertThat(killed.attempts())
          .as("every attempt advanced, so none spent the budget of %d", workers.maxAttempts())
          .isGreaterThan(workers.maxAttempts());
      assertThat(killed.manifest().resumed()).isTrue();
      assertThat(outcomes(control, killed.id()))
          .hasSize(killed.attempts())
          .endsWith("succeeded")
          .containsOnly("retry", "succeeded");

      try (JobService service = start(config(control, sources, workers), store, SMALL_PARTS)) {
        String reference = service.submit(null, request("pg", Format.CSV, Compression.GZIP)).id();
        Job uninterrupted = awaitState(service, reference, JobState.SUCCEEDED);
        assertThat(uninterrupted.attempts()).isEqualTo(1);
        assertThat(killed.manifest().objects()).isEqualTo(uninterrupted.manifest().objects());
        for (Manifest.ObjectEntry o : killed.manifest().objects()) {
          assertThat(o.bytes()).isGreaterThan(8L * SMALL_PARTS);
          assertThat(bytes(store, service.exportDir(killed.id()) + o.key()))
              .as(o.key())
              .isEqualTo(bytes(store, service.exportDir(reference) + o.key()));
        }
      }
    }
  }

  @Test
  void a_job_that_stops_advancing_fails_after_max_attempts_in_a_row_without_progress()
      throws Exception {
    String db = sourceDatabase();
    Map<String, String> sources = Map.of("pg", PgTestServer.jdbcUrl(db));
    String control = "jdbc:sqlite:" + dir.resolve("control.db");
    ServerConfig.Workers workers = workers(1);
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        SourceKiller killer = new SourceKiller(db)) {
      // Parts 1 to 4 get through, each followed by a lost source connection; then the object store
      // refuses every part, so no later attempt makes progress.
      AfterPartStore failing = new AfterPartStore(store, killer, 4);
      try (JobService service = start(config(control, sources, workers), failing, SMALL_PARTS)) {
        String id = service.submit(null, request("pg", Format.CSV, Compression.GZIP)).id();
        Job failed = awaitState(service, id, JobState.FAILED, Duration.ofSeconds(60));

        assertThat(failing.hookFailure()).isNull();
        assertThat(failed.attempts()).isGreaterThan(workers.maxAttempts());
        assertThat(failed.error().code()).isEqualTo("upload_failed");
        assertThat(failed.error().message())
            .contains("simulated object store outage")
            .endsWith(
                "(gave up after 3 attempts in a row without progress, "
                    + failed.attempts()
                    + " attempts in all)");
        List<WorkerLeaseTest.Run> runs =
            WorkerLeaseTest.runs(control).stream()
                .filter(r -> r.job().equals(id))
                .sorted(Comparator.comparingLong(WorkerLeaseTest.Run::started))
                .toList();
        assertThat(runs).hasSize(failed.attempts());
        assertThat(runs.get(runs.size() - 1).outcome()).isEqualTo("failed");
        // retryBackoff is 200 ms: the second attempt in a row without progress waits twice that
        WorkerLeaseTest.Run secondStalled = runs.get(runs.size() - 2);
        assertThat(runs.get(runs.size() - 1).started() - secondStalled.ended())
            .isGreaterThanOrEqualTo(400);
        assertThat(store.list(service.exportDir(id))).isEmpty();
      }
    }
  }

  @Test
  void a_job_that_keeps_advancing_and_failing_is_failed_once_it_ran_longer_than_max_run_time()
      throws Exception {
    String db = sourceDatabase();
    Map<String, String> sources = Map.of("pg", PgTestServer.jdbcUrl(db));
    String control = "jdbc:sqlite:" + dir.resolve("control.db");
    // Every retry waits a minute of the test's clock, however many attempts came before: each
    // advanced, so the backoff never doubles.
    ServerConfig.Workers capped =
        new ServerConfig.Workers(
            1,
            Duration.ofSeconds(30),
            Duration.ofMillis(300),
            Duration.ofMillis(50),
            3,
            Duration.ofMinutes(1),
            Duration.ofHours(1),
            2);
    SettableClock clock = new SettableClock(Instant.now());
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        SourceKiller killer = new SourceKiller(db);
        JobService service =
            JobService.start(
                config(control, sources, capped),
                new AfterPartStore(store, killer),
                new PrometheusRegistry(),
                clock,
                JobJson::event,
                new Tuning(SMALL_PARTS))) {
      String id = service.submit(null, request("pg", Format.CSV, Compression.GZIP)).id();
      String before = null;
      for (int attempt = 1; attempt <= 3; attempt++) {
        int failedAttempt = attempt;
        await(
            "attempt " + attempt + " to fail and be retried",
            Duration.ofSeconds(30),
            () -> {
              Job j = service.find(id).orElseThrow();
              return j.state() == JobState.QUEUED && j.attempts() == failedAttempt;
            });
        String checkpoint = WorkerLeaseTest.checkpoint(control, id);
        assertThat(checkpoint).as("attempt %d advanced", attempt).isNotNull().isNotEqualTo(before);
        assertThat(stalledAttempts(control, id)).isZero();
        before = checkpoint;
        clock.advance(Duration.ofMinutes(1));
      }

      clock.advance(Duration.ofHours(1));
      Job failed = awaitState(service, id, JobState.FAILED);

      assertThat(failed.attempts()).isEqualTo(4);
      assertThat(failed.error().message())
          .endsWith("(gave up: the job first started more than workers.maxRunTime 1h ago)");
      assertThat(store.list(service.exportDir(id))).isEmpty();
    }
  }

  /** A new database with one table of {@link #ROWS} rows that compress about two to one. */
  private static String sourceDatabase() throws SQLException {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE events (id bigint PRIMARY KEY, a text NOT NULL, b text NOT NULL)");
      st.execute(
          "INSERT INTO events SELECT g, md5(g::text), md5((g * 7)::text)"
              + " FROM generate_series(1, "
              + ROWS
              + ") g");
    }
    return db;
  }

  private static List<String> outcomes(String control, String id) throws SQLException {
    return WorkerLeaseTest.runs(control).stream()
        .filter(r -> r.job().equals(id))
        .sorted(Comparator.comparingLong(WorkerLeaseTest.Run::started))
        .map(WorkerLeaseTest.Run::outcome)
        .toList();
  }

  private static int stalledAttempts(String control, String id) throws SQLException {
    try (Connection c = connect(control);
        PreparedStatement ps =
            c.prepareStatement("SELECT stalled_attempts FROM jobs WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static byte[] bytes(ObjectStore store, String key) throws IOException {
    try (InputStream in = store.get(key)) {
      return in.readAllBytes();
    }
  }

  /**
   * Terminates every client session on one database, from an administrator's session on another
   * database of the same server: the job's source connections die, the control database (SQLite
   * here) and the administrator's own session do not.
   */
  private static final class SourceKiller implements AfterPartStore.Hook, AutoCloseable {
    private final String db;
    private final Connection admin;
    private int terminated;

    SourceKiller(String db) throws SQLException {
      this.db = db;
      this.admin = PgTestServer.connect("postgres");
    }

    @Override
    public synchronized void uploaded(int parts) throws SQLException {
      try (PreparedStatement ps =
          admin.prepareStatement(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?"
                  + " AND pid <> pg_backend_pid() AND backend_type = 'client backend'")) {
        ps.setString(1, db);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if (rs.getBoolean(1)) {
              terminated++;
            }
          }
        }
      }
    }

    synchronized int terminated() {
      return terminated;
    }

    @Override
    public void close() throws SQLException {
      admin.close();
    }
  }
}
