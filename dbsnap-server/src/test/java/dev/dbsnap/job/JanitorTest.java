package dev.dbsnap.job;

import static dev.dbsnap.job.JobFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import dev.dbsnap.http.JobJson;
import dev.dbsnap.server.DemoDatabase;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JanitorTest {
  @TempDir Path dir;

  @Test
  void the_janitor_expires_old_exports_and_aborts_uploads_no_live_job_owns() throws Exception {
    String control = "jdbc:sqlite:" + dir.resolve("control.db");
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 200);
    Map<String, String> sources = Map.of("demo", demo.toString());
    SettableClock clock = new SettableClock(Instant.now());
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      String finished;
      try (JobService worker =
          JobService.start(
              config(control, sources, workers(1)),
              store,
              new PrometheusRegistry(),
              clock,
              JobJson::event)) {
        finished = worker.submit(null, request("demo", Format.CSV, Compression.GZIP)).id();
        awaitState(worker, finished, JobState.SUCCEEDED);
      }
      try (JobService api =
          JobService.start(
              config(control, sources, workers(0)),
              store,
              new PrometheusRegistry(),
              clock,
              JobJson::event)) {
        String queued = api.submit(null, request("demo", List.of("orders"))).id();
        store.startMultipart(api.exportDir(queued) + "orders.csv", 1 << 20);
        store.startMultipart("exports/exp_01aaaaaaaaaaaaaaaaaaaaaaaa/orders.csv", 1 << 20);
        store.startMultipart("exports/stray.csv", 1 << 20);
        store.startMultipart("elsewhere/not-ours.csv", 1 << 20);

        JobService.JanitorReport early = api.runJanitor();
        assertThat(early.expiredJobs()).isEmpty();
        assertThat(early.abortedUploads()).isEmpty();

        clock.advance(
            Duration.ofDays(8)); // past retention.exports (7 days) and orphanUploads (1 day)
        JobService.JanitorReport report = api.runJanitor();

        assertThat(report.expiredJobs()).containsExactly(finished);
        assertThat(report.abortedUploads())
            .containsExactlyInAnyOrder(
                "exports/exp_01aaaaaaaaaaaaaaaaaaaaaaaa/orders.csv", "exports/stray.csv");
        assertThat(api.find(finished).orElseThrow().state()).isEqualTo(JobState.EXPIRED);
        assertThat(store.list(api.exportDir(finished))).isEmpty();
        assertThat(store.pendingUploads(""))
            .extracting(PendingUpload::key)
            .containsExactlyInAnyOrder(
                api.exportDir(queued) + "orders.csv", "elsewhere/not-ours.csv");
        assertThat(api.runJanitor().expiredJobs()).isEmpty();
      }
    }
  }
}
