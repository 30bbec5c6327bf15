package dev.dbsnap.job;

import static dev.dbsnap.job.JobFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.dbsnap.InvalidInputException;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import dev.dbsnap.http.JobJson;
import dev.dbsnap.server.DemoDatabase;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.webhook.WebhookSigner;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Webhook events of finished jobs, delivered to a receiver on 127.0.0.1 that checks signatures. */
class JobWebhookTest {
  private static final String SECRET = WebhookSigner.newSecret();
  @TempDir Path dir;
  private HttpServer receiver;
  private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
  private final List<Integer> answers = new CopyOnWriteArrayList<>();
  private final AtomicInteger calls = new AtomicInteger();

  record Delivery(Map<String, String> headers, byte[] body, boolean signed) {}

  @BeforeEach
  void startReceiver() throws Exception {
    WebhookSigner signer = new WebhookSigner(SECRET);
    receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    receiver.createContext(
        "/hook",
        exchange -> {
          byte[] body;
          try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
          }
          Map<String, String> headers = new HashMap<>();
          exchange
              .getRequestHeaders()
              .forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
          boolean signed =
              signer.verify(
                  headers, body, System.currentTimeMillis() / 1000, Duration.ofMinutes(5));
          deliveries.add(new Delivery(headers, body, signed));
          int n = calls.getAndIncrement();
          int status = n < answers.size() ? answers.get(n) : answers.get(answers.size() - 1);
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  private URI hook() {
    return URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
  }

  private ServerConfig config(Path demo, int workers, List<String> allow, Duration retryFor) {
    ServerConfig.Webhooks webhooks =
        new ServerConfig.Webhooks(
            SECRET, allow, Duration.ofSeconds(5), Duration.ofMillis(100), retryFor);
    return JobFixture.config(
        "jdbc:sqlite:" + dir.resolve("control.db"),
        Map.of("demo", demo.toString()),
        workers(workers),
        webhooks,
        retention());
  }

  private ExportRequest withCallback(URI url) {
    return new ExportRequest("demo", Format.CSV, Compression.GZIP, List.of(), List.of(), 0, url);
  }

  @Test
  void a_signed_event_is_retried_after_two_500s_and_delivered_on_the_200() throws Exception {
    answers.addAll(List.of(500, 500, 200));
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 100);
    PrometheusRegistry registry = new PrometheusRegistry();
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        JobService service =
            JobService.start(
                config(demo, 1, List.of("127.0.0.1"), Duration.ofHours(1)),
                store,
                registry,
                Clock.systemUTC(),
                JobJson::event)) {
      String id = service.submit(null, withCallback(hook())).id();

      await(
          "the webhook to be delivered",
          Duration.ofSeconds(20),
          () -> service.find(id).orElseThrow().webhook().delivered());

      Job job = service.find(id).orElseThrow();
      Job.Webhook webhook = job.webhook();
      assertThat(webhook.eventId()).matches("msg_[0-9a-z]{26}");
      assertThat(webhook.attempts()).extracting(Job.Attempt::status).containsExactly(500, 500, 200);
      assertThat(webhook.attempts()).extracting(Job.Attempt::attempt).containsExactly(1, 2, 3);
      assertThat(webhook.attempts().get(0).error()).isEqualTo("HTTP 500");
      assertThat(webhook.attempts().get(2).error()).isNull();
      assertThat(deliveries)
          .hasSize(3)
          .allSatisfy(
              d -> {
                assertThat(d.signed()).as("signature verifies").isTrue();
                assertThat(d.headers()).containsEntry("webhook-id", webhook.eventId());
              });
      assertThat(deliveries.get(0).body()).isEqualTo(deliveries.get(2).body());
      JsonNode event = JobJson.MAPPER.readTree(deliveries.get(2).body());
      assertThat(event.path("type").asText()).isEqualTo("export.succeeded");
      assertThat(event.path("timestamp").asText()).isEqualTo(job.finishedAt().toString());
      assertThat(event.path("data").path("id").asText()).isEqualTo(id);
      assertThat(event.path("data").path("status").asText()).isEqualTo("succeeded");
      assertThat(event.path("data").path("objects")).hasSize(3);
      assertThat(JobJson.document(job).path("webhook").path("attempts")).hasSize(3);
      assertThat(MetricsText.of(registry))
          .contains("dbsnap_webhook_deliveries_total 1.0")
          .contains("dbsnap_webhook_failures_total 2.0");
    }
  }

  @Test
  void two_processes_on_one_control_database_send_each_event_once() throws Exception {
    answers.add(200);
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 10);
    String control = dev.dbsnap.testing.PgTestServer.newDatabaseUrl();
    ServerConfig.Webhooks webhooks =
        new ServerConfig.Webhooks(
            SECRET,
            List.of("127.0.0.1"),
            Duration.ofSeconds(5),
            Duration.ofMillis(100),
            Duration.ofHours(1));
    ServerConfig config =
        JobFixture.config(
            control, Map.of("demo", demo.toString()), workers(2), webhooks, retention());
    List<String> ids = new ArrayList<>();
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        JobService a = start(config, store);
        JobService b = start(config, store)) {
      for (int i = 0; i < 12; i++) {
        ids.add((i % 2 == 0 ? a : b).submit(null, withCallback(hook())).id());
      }
      await(
          "every webhook to be delivered",
          Duration.ofSeconds(30),
          () -> ids.stream().allMatch(id -> a.find(id).orElseThrow().webhook().delivered()));
    }
    assertThat(deliveries).hasSize(12);
    assertThat(deliveries.stream().map(d -> d.headers().get("webhook-id")).distinct()).hasSize(12);
  }

  @Test
  void a_cancelled_job_sends_export_cancelled_even_without_workers() throws Exception {
    answers.add(204);
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 10);
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        JobService service =
            start(config(demo, 0, List.of("127.0.0.0/8"), Duration.ofHours(1)), store)) {
      String id = service.submit(null, withCallback(hook())).id();
      assertThat(service.find(id).orElseThrow().webhook().eventId()).isNull();

      service.cancel(id);
      await(
          "the webhook to be delivered",
          Duration.ofSeconds(20),
          () -> service.find(id).orElseThrow().webhook().delivered());

      assertThat(JobJson.MAPPER.readTree(deliveries.get(0).body()).path("type").asText())
          .isEqualTo("export.cancelled");
    }
  }

  @Test
  void a_failing_receiver_is_given_up_on_after_retry_for() throws Exception {
    answers.add(503);
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 10);
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        JobService service =
            start(config(demo, 0, List.of("127.0.0.1"), Duration.ofMillis(500)), store)) {
      String id = service.submit(null, withCallback(hook())).id();
      service.cancel(id);

      await(
          "the dispatcher to give up",
          Duration.ofSeconds(20),
          () ->
              "null".equals(String.valueOf(webhookNextAt(id)))
                  && !service.find(id).orElseThrow().webhook().attempts().isEmpty());

      Job job = service.find(id).orElseThrow();
      assertThat(job.webhook().delivered()).isFalse();
      assertThat(job.webhook().attempts())
          .hasSizeGreaterThanOrEqualTo(2)
          .allSatisfy(a -> assertThat(a.status()).isEqualTo(503));
      List<Long> times = new ArrayList<>();
      job.webhook().attempts().forEach(a -> times.add(a.at().toEpochMilli()));
      assertThat(times.get(times.size() - 1) - times.get(0)).isLessThanOrEqualTo(500);
    }
  }

  private Object webhookNextAt(String id) {
    try (var c = connect("jdbc:sqlite:" + dir.resolve("control.db"));
        var ps = c.prepareStatement("SELECT webhook_next_at FROM jobs WHERE id = ?")) {
      ps.setString(1, id);
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getObject(1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void a_callback_to_the_loopback_address_is_refused_unless_allow_listed() throws Exception {
    Path demo = dir.resolve("demo.db");
    DemoDatabase.create(demo, 10);
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        JobService service = start(config(demo, 0, List.of(), Duration.ofHours(1)), store)) {
      for (String url :
          new String[] {
            hook().toString(),
            "http://169.254.169.254/latest/meta-data",
            "http://10.1.2.3/hook",
            "ftp://example.com/x"
          }) {
        assertThatThrownBy(() -> service.submit(null, withCallback(URI.create(url))))
            .as(url)
            .isInstanceOfSatisfying(
                InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("callbackUrl"));
      }
    }
  }
}
