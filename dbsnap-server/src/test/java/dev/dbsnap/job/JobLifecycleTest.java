package dev.dbsnap.job;

import static dev.dbsnap.job.JobFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.export.Compression;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.http.JobJson;
import dev.dbsnap.server.DemoDatabase;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgTestServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobLifecycleTest {
  @TempDir Path dir;

  @Test
  void a_job_runs_to_succeeded_on_a_sqlite_control_database() throws Exception {
    runsToSucceeded("jdbc:sqlite:" + dir.resolve("control.db"));
  }

  @Test
  void a_job_runs_to_succeeded_on_a_postgresql_control_database() throws Exception {
    runsToSucceeded(PgTestServer.newDatabaseUrl());
  }

  private void runsToSucceeded(String controlUrl) throws Exception {
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 3000);
    PrometheusRegistry registry = new PrometheusRegistry();
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        JobService service =
            JobService.start(
                config(controlUrl, Map.of("demo", demo.toString()), workers(2)),
                store,
                registry,
                Clock.systemUTC(),
                JobJson::event,
                new Tuning(64 * 1024))) {
      Job queued = service.submit(null, request("demo", Format.JSONL, Compression.NONE));
      assertThat(queued.id()).matches("exp_[0-9a-hjkmnp-tv-z]{26}");
      assertThat(queued.state()).isIn(JobState.QUEUED, JobState.RUNNING);

      Job done = awaitState(service, queued.id(), JobState.SUCCEEDED);

      Manifest manifest = done.manifest();
      assertThat(manifest.exportId()).isEqualTo(queued.id());
      assertThat(manifest.tables())
          .extracting(Manifest.TableEntry::name)
          .containsExactlyInAnyOrder("customers", "orders", "events");
      for (Manifest.ObjectEntry o : manifest.objects()) {
        assertThat(sha256(store, service.exportDir(done.id()) + o.key())).isEqualTo(o.sha256());
      }
      assertThat(store.head(service.exportDir(done.id()) + Manifest.FILE)).isPresent();
      assertThat(done.attempts()).isEqualTo(1);
      assertThat(done.startedAt()).isNotNull();
      assertThat(done.finishedAt()).isNotNull();
      assertThat(done.progress().rows()).isEqualTo(3000);
      assertThat(done.progress().tablesDone()).isEqualTo(3);
      assertThat(done.error()).isNull();
      assertThat(service.controlDbReachable()).isTrue();
      String metrics = MetricsText.of(registry);
      assertThat(metrics)
          .contains("dbsnap_jobs{state=\"succeeded\"} 1.0")
          .contains("dbsnap_jobs{state=\"queued\"} 0.0")
          .contains("dbsnap_rows_exported_total 3000.0")
          .contains(
              "dbsnap_bytes_exported_total "
                  + manifest.objects().stream().mapToLong(Manifest.ObjectEntry::bytes).sum()
                  + ".0")
          .containsPattern("dbsnap_part_upload_seconds_count [1-9]");
      try (Connection c = connect(controlUrl);
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT outcome, ended_at FROM job_runs WHERE job_id = '" + done.id() + "'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("succeeded");
        assertThat(rs.next()).isFalse();
      }
    }
  }
}
