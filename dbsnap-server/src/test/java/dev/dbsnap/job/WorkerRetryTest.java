package dev.dbsnap.job;

import static dev.dbsnap.job.JobFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.http.JobJson;
import dev.dbsnap.server.DemoDatabase;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgTestServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which failures are retried: a source file that is missing when the job runs is, a refused
 * password or a dropped table is not.
 */
class WorkerRetryTest {
  @TempDir Path dir;

  @Test
  void a_source_that_stays_unavailable_is_retried_with_backoff_then_fails_with_an_actionable_error()
      throws Exception {
    String control = "jdbc:sqlite:" + dir.resolve("control.db");
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 100);
    Map<String, String> sources = Map.of("demo", demo.toString());
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      String id;
      try (JobService api = start(config(control, sources, workers(0)), store)) {
        id = api.submit(null, request("demo", List.of())).id();
      }
      Files.move(demo, dir.resolve("moved.db"));
      try (JobService service = start(config(control, sources, workers(1)), store)) {
        Job failed = awaitState(service, id, JobState.FAILED);

        assertThat(failed.attempts()).isEqualTo(3);
        assertThat(failed.error().code()).isEqualTo("source_unavailable");
        assertThat(failed.error().message())
            .contains(demo.toString())
            .contains("does not exist")
            .endsWith("(gave up after 3 attempts in a row without progress)");
        List<WorkerLeaseTest.Run> runs = WorkerLeaseTest.runs(control);
        assertThat(runs)
            .extracting(WorkerLeaseTest.Run::outcome)
            .containsExactly("retry", "retry", "failed");
        runs =
            runs.stream()
                .sorted(java.util.Comparator.comparingLong(WorkerLeaseTest.Run::started))
                .toList();
        // retryBackoff is 200 ms, doubled after each failure
        assertThat(runs.get(1).started() - runs.get(0).ended()).isGreaterThanOrEqualTo(200);
        assertThat(runs.get(2).started() - runs.get(1).ended()).isGreaterThanOrEqualTo(400);
      }
    }
  }

  @Test
  void a_retried_job_keeps_its_error_visible_until_it_succeeds() throws Exception {
    String control = "jdbc:sqlite:" + dir.resolve("control.db");
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 100);
    Map<String, String> sources = Map.of("demo", demo.toString());
    ServerConfig.Workers slowRetry =
        new ServerConfig.Workers(
            1,
            Duration.ofSeconds(30),
            Duration.ofMillis(300),
            Duration.ofMillis(50),
            3,
            Duration.ofMinutes(1),
            Duration.ZERO,
            2);
    PrometheusRegistry registry = new PrometheusRegistry();
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      String id;
      try (JobService api = start(config(control, sources, workers(0)), store)) {
        id = api.submit(null, request("demo", List.of())).id();
      }
      Files.move(demo, dir.resolve("moved.db"));
      SettableClock clock =
          new SettableClock(Instant.now()); // after the submission, so the job is due
      try (JobService service =
          JobService.start(
              config(control, sources, slowRetry), store, registry, clock, JobJson::event)) {
        await(
            "the first attempt to fail",
            Duration.ofSeconds(10),
            () ->
                service.find(id).orElseThrow().attempts() == 1
                    && service.find(id).orElseThrow().state() == JobState.QUEUED);
        Job waiting = service.find(id).orElseThrow();
        assertThat(waiting.error().code()).isEqualTo("source_unavailable");

        Files.move(dir.resolve("moved.db"), demo);
        clock.advance(Duration.ofMinutes(1));
        Job done = awaitState(service, id, JobState.SUCCEEDED);

        assertThat(done.attempts()).isEqualTo(2);
        assertThat(done.error()).isNull();
        assertThat(MetricsText.of(registry)).contains("dbsnap_jobs_retried_total 1.0");
      }
    }
  }

  @Test
  void a_table_gone_before_the_run_fails_the_job_at_once_without_retries() throws Exception {
    String control = "jdbc:sqlite:" + dir.resolve("control.db");
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 100);
    Map<String, String> sources = Map.of("demo", demo.toString());
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      String id;
      try (JobService api = start(config(control, sources, workers(0)), store)) {
        id = api.submit(null, request("demo", List.of("events"))).id();
      }
      try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + demo)) {
        c.createStatement().execute("DROP TABLE events");
      }
      try (JobService service = start(config(control, sources, workers(1)), store)) {
        Job failed = awaitState(service, id, JobState.FAILED);

        assertThat(failed.attempts()).isEqualTo(1);
        assertThat(failed.error().code()).isEqualTo("unknown_table");
        assertThat(failed.error().message()).contains("events");
        assertThat(store.list(service.exportDir(id))).isEmpty();
      }
    }
  }

  @Test
  void a_source_that_refuses_the_password_fails_the_job_on_its_first_attempt() throws Exception {
    String role = "dbsnap_job_pw";
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE events (id int PRIMARY KEY, name text)");
      st.execute("INSERT INTO events SELECT g, 'e' || g FROM generate_series(1, 100) g");
    }
    PgTestServer.createPasswordRole(role, "before-rotation");
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
    }
    String control = "jdbc:sqlite:" + dir.resolve("control.db");
    String url = "jdbc:postgresql://127.0.0.1:" + PgTestServer.port() + "/" + db;
    ServerConfig.SourceConfig warehouse =
        new ServerConfig.SourceConfig("warehouse", url, role, "before-rotation");
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      String id;
      try (JobService api =
          start(withSources(config(control, Map.of(), workers(0)), warehouse), store)) {
        id = api.submit(null, request("warehouse", List.of())).id();
      }
      // the password is rotated after the job was queued; the server still has the old one
      PgTestServer.createPasswordRole(role, "after-rotation");
      try (JobService service =
          start(withSources(config(control, Map.of(), workers(1)), warehouse), store)) {
        Job failed = awaitState(service, id, JobState.FAILED);

        assertThat(failed.attempts()).isEqualTo(1);
        assertThat(failed.error().code()).isEqualTo("source_authentication_failed");
        assertThat(failed.error().message())
            .contains("password authentication failed for user \"" + role + "\"")
            .contains(url)
            .doesNotContain("rotation")
            .doesNotContain("gave up");
        assertThat(WorkerLeaseTest.runs(control))
            .extracting(WorkerLeaseTest.Run::outcome)
            .containsExactly("failed");
        assertThat(store.list(service.exportDir(id))).isEmpty();

        DbsnapException refused =
            catchThrowableOfType(
                DbsnapException.class, () -> service.submit(null, request("warehouse", List.of())));
        assertThat(refused.code()).isEqualTo(ErrorCode.SOURCE_AUTHENTICATION_FAILED);
        assertThat(refused.isTransient()).isFalse();
      }
    }
  }

  @Test
  void a_checkpoint_that_cannot_be_resumed_restarts_the_export_from_scratch() throws Exception {
    String control = "jdbc:sqlite:" + dir.resolve("control.db");
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 100);
    Map<String, String> sources = Map.of("demo", demo.toString());
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      String garbled;
      String foreign;
      try (JobService api = start(config(control, sources, workers(0)), store)) {
        garbled = api.submit(null, request("demo", List.of())).id();
        foreign = api.submit(null, request("demo", List.of("orders"))).id();
      }
      try (var c = connect(control);
          var ps = c.prepareStatement("UPDATE jobs SET checkpoint_json = ? WHERE id = ?")) {
        ps.setString(1, "not a checkpoint");
        ps.setString(2, garbled);
        ps.executeUpdate();
        ps.setString(1, "{\"exportId\":\"" + foreign + "\",\"fingerprint\":\"0\",\"finished\":[]}");
        ps.setString(2, foreign);
        ps.executeUpdate();
      }
      try (JobService service = start(config(control, sources, workers(1)), store)) {
        for (String id : List.of(garbled, foreign)) {
          Job done = awaitState(service, id, JobState.SUCCEEDED);
          assertThat(done.attempts()).isEqualTo(1);
          assertThat(done.manifest().resumed()).isFalse();
        }
      }
    }
  }
}
