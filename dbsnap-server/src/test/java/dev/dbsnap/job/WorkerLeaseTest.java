package dev.dbsnap.job;

import static dev.dbsnap.job.JobFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.server.DemoDatabase;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgTestServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases across services sharing a PostgreSQL control database. */
class WorkerLeaseTest {
  private static final int SMALL_PARTS = 64 * 1024;
  @TempDir Path dir;

  @Test
  void forty_jobs_on_two_services_each_run_exactly_once_and_no_runs_overlap() throws Exception {
    String control = PgTestServer.newDatabaseUrl();
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 60);
    ServerConfig config = config(control, Map.of("demo", demo.toString()), workers(3));
    List<String> ids = new ArrayList<>();
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        JobService a = start(config, store);
        JobService b = start(config, store)) {
      for (int i = 0; i < 40; i++) {
        ids.add(
            (i % 2 == 0 ? a : b)
                .submit(null, request("demo", Format.JSONL, Compression.GZIP))
                .id());
      }
      await(
          "every job to succeed",
          Duration.ofSeconds(60),
          () ->
              ids.stream().allMatch(id -> a.find(id).orElseThrow().state() == JobState.SUCCEEDED));
    }

    List<Run> runs = runs(control);
    Map<String, List<Run>> byJob = new HashMap<>();
    Map<String, List<Run>> byOwner = new HashMap<>();
    for (Run r : runs) {
      byJob.computeIfAbsent(r.job, k -> new ArrayList<>()).add(r);
      byOwner.computeIfAbsent(r.owner, k -> new ArrayList<>()).add(r);
    }
    assertThat(byJob.keySet()).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(byJob.values())
        .allSatisfy(
            list -> {
              assertThat(list).hasSize(1);
              assertThat(list.get(0).outcome).isEqualTo("succeeded");
            });
    assertThat(byOwner.keySet().stream().map(o -> o.substring(0, o.lastIndexOf(':'))).distinct())
        .as("both services ran jobs")
        .hasSize(2);
    for (List<Run> list : byOwner.values()) {
      for (int i = 1; i < list.size(); i++) {
        assertThat(list.get(i).started)
            .as("a worker runs one job at a time")
            .isGreaterThanOrEqualTo(list.get(i - 1).ended);
      }
    }
  }

  @Test
  void a_job_whose_owner_stops_answering_is_taken_over_and_its_objects_are_identical()
      throws Exception {
    String control = PgTestServer.newDatabaseUrl();
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 20_000);
    Map<String, String> sources = Map.of("demo", demo.toString());
    try (TcpProxy proxy = new TcpProxy(PgTestServer.port());
        ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      String throughProxy =
          control.replace(":" + PgTestServer.port() + "/", ":" + proxy.port() + "/");
      GatedStore gated = new GatedStore(store, 4);
      JobService a = start(config(throughProxy, sources, workers(1)), gated, SMALL_PARTS);
      String id = a.submit(null, request("demo", Format.CSV, Compression.GZIP)).id();
      gated.awaitGate();
      await(
          "a checkpoint in the control database",
          Duration.ofSeconds(10),
          () -> checkpoint(control, id) != null);

      proxy.cut(); // the owner can no longer renew its lease: to everyone else it is dead
      try (JobService b = start(config(control, sources, workers(2)), store, SMALL_PARTS)) {
        Job taken = awaitState(b, id, JobState.SUCCEEDED);
        assertThat(taken.attempts()).isEqualTo(2);
        assertThat(taken.manifest().resumed()).as("resumed from the checkpoint").isTrue();

        String reference = b.submit(null, request("demo", Format.CSV, Compression.GZIP)).id();
        Job uninterrupted = awaitState(b, reference, JobState.SUCCEEDED);
        assertThat(uninterrupted.manifest().resumed()).isFalse();
        assertThat(taken.manifest().objects()).isEqualTo(uninterrupted.manifest().objects());
        for (Manifest.ObjectEntry o : taken.manifest().objects()) {
          assertThat(sha256(store, b.exportDir(id) + o.key())).isEqualTo(o.sha256());
        }
        assertThat(store.pendingUploads("")).isEmpty();

        // The old owner comes back: everything it tries is refused by its lost lease.
        proxy.restore();
        Thread closing = new Thread(a::close);
        closing.start();
        gated.kill();
        closing.join(30_000);
        assertThat(b.find(id).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(runs(control).stream().filter(r -> r.job.equals(id)).map(r -> r.outcome))
            .containsExactlyInAnyOrder("lease_lost", "succeeded");
      }
    }
  }

  @Test
  void closing_a_service_hands_its_running_job_to_another_which_resumes_it() throws Exception {
    String control = PgTestServer.newDatabaseUrl();
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 20_000);
    Map<String, String> sources = Map.of("demo", demo.toString());
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      GatedStore gated = new GatedStore(store, 4);
      JobService a = start(config(control, sources, workers(1)), gated, SMALL_PARTS);
      String id = a.submit(null, request("demo", Format.SQL, Compression.ZSTD)).id();
      gated.awaitGate();
      await(
          "a checkpoint in the control database",
          Duration.ofSeconds(10),
          () -> checkpoint(control, id) != null);

      Thread closing = new Thread(a::close);
      closing.start();
      // close() has flagged the run once it waits for the workers; only then may the export move on
      await(
          "close to wait for its workers",
          Duration.ofSeconds(10),
          () -> closing.getState() == Thread.State.TIMED_WAITING);
      gated.open();
      closing.join(30_000);
      assertThat(state(control, id)).isEqualTo("queued");
      assertThat(checkpoint(control, id)).isNotNull();

      try (JobService b = start(config(control, sources, workers(1)), store, SMALL_PARTS)) {
        Job resumed = awaitState(b, id, JobState.SUCCEEDED);
        assertThat(resumed.manifest().resumed()).isTrue();
        String reference = b.submit(null, request("demo", Format.SQL, Compression.ZSTD)).id();
        Job uninterrupted = awaitState(b, reference, JobState.SUCCEEDED);
        assertThat(resumed.manifest().objects()).isEqualTo(uninterrupted.manifest().objects());
      }
    }
  }

  record Run(String job, String owner, long started, long ended, String outcome) {}

  static List<Run> runs(String control) throws SQLException {
    List<Run> runs = new ArrayList<>();
    try (Connection c = connect(control);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT job_id, owner, started_at, ended_at, outcome FROM job_runs ORDER BY owner, started_at");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        runs.add(
            new Run(
                rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getString(5)));
      }
    }
    return runs;
  }

  static String checkpoint(String control, String id) {
    return column(control, id, "checkpoint_json");
  }

  static String state(String control, String id) {
    return column(control, id, "state");
  }

  private static String column(String control, String id, String column) {
    try (Connection c = connect(control);
        PreparedStatement ps = c.prepareStatement("SELECT " + column + " FROM jobs WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
