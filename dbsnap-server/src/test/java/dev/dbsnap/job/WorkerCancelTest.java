package dev.dbsnap.job;

import static dev.dbsnap.job.JobFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.server.DemoDatabase;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgTestServer;
import dev.dbsnap.testing.S3ProxyServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cancelling a running export on S3: the upload is aborted and nothing is left. */
class WorkerCancelTest {
  @TempDir Path dir;

  @Test
  void cancel_from_another_process_aborts_the_multipart_upload_and_deletes_the_objects()
      throws Exception {
    String control = PgTestServer.newDatabaseUrl();
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 20_000);
    Map<String, String> sources = Map.of("demo", demo.toString());
    S3ProxyServer s3 = S3ProxyServer.shared();
    try (ObjectStore store =
        ObjectStores.open(
            "s3://" + s3.newBucket() + "/dbsnap",
            S3Settings.pathStyle(
                s3.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))) {
      GatedStore gated = new GatedStore(store, 3);
      try (JobService worker = start(config(control, sources, workers(1)), gated, 64 * 1024);
          JobService api = start(config(control, sources, workers(0)), store)) {
        // one big table: its upload is still open when the gate holds it (s3proxy, like S3, refuses
        // to complete an object from parts this small)
        String id = api.submit(null, request("demo", java.util.List.of("orders"))).id();
        gated.awaitGate();
        assertThat(store.pendingUploads("")).isNotEmpty();

        Job requested = api.cancel(id);

        assertThat(requested.state()).isEqualTo(JobState.RUNNING);
        assertThat(requested.cancelRequested()).isTrue();
        await(
            "the worker to see the cancel",
            Duration.ofSeconds(10),
            () -> worker.runningHere(id).map(run -> run.cancelRequested).orElse(true));
        gated.open();
        Job cancelled = awaitState(api, id, JobState.CANCELLED);
        assertThat(cancelled.finishedAt()).isNotNull();
        assertThat(cancelled.cancelRequested()).isFalse();
        assertThat(store.pendingUploads("")).isEmpty();
        assertThat(store.list(api.exportDir(id))).isEmpty();
        assertThat(WorkerLeaseTest.runs(control))
            .extracting(WorkerLeaseTest.Run::outcome)
            .containsExactly("cancelled");
      }
    }
  }

  @Test
  void a_job_cancelled_while_its_owner_is_gone_is_cancelled_by_the_next_claimer() throws Exception {
    String control = PgTestServer.newDatabaseUrl();
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 20_000);
    Map<String, String> sources = Map.of("demo", demo.toString());
    try (TcpProxy proxy = new TcpProxy(PgTestServer.port());
        ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      String throughProxy =
          control.replace(":" + PgTestServer.port() + "/", ":" + proxy.port() + "/");
      GatedStore gated = new GatedStore(store, 3);
      JobService gone = start(config(throughProxy, sources, workers(1)), gated, 64 * 1024);
      String id = gone.submit(null, request("demo", Format.CSV, Compression.GZIP)).id();
      gated.awaitGate();
      proxy.cut();
      try (JobService next = start(config(control, sources, workers(1)), store, 64 * 1024)) {
        assertThat(next.cancel(id).cancelRequested()).isTrue();
        Job cancelled = awaitState(next, id, JobState.CANCELLED);
        assertThat(cancelled.attempts()).isEqualTo(2);
        assertThat(store.pendingUploads("")).isEmpty();
        assertThat(store.list(next.exportDir(id))).isEmpty();
      } finally {
        proxy.restore();
        Thread closing = new Thread(gone::close);
        closing.start();
        gated.kill();
        closing.join(30_000);
      }
    }
  }
}
