package dev.dbsnap.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WebhookSenderTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final byte[] BODY =
      "{\"type\":\"export.succeeded\",\"data\":{\"id\":\"exp_1\"}}"
          .getBytes(StandardCharsets.UTF_8);

  private final WebhookSigner signer = new WebhookSigner(WebhookSigner.newSecret());
  private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private final Map<URI, HttpServer> servers = new HashMap<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable closeable : cleanup) {
      closeable.close();
    }
  }

  @Test
  void a_signed_event_is_retried_after_a_500_and_delivered_on_a_200() throws Exception {
    ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    AtomicInteger answered = new AtomicInteger();
    URI url =
        receiver(
            "/hooks/dbsnap",
            exchange -> {
              received.add(Received.of(exchange));
              answer(exchange, answered.getAndIncrement() == 0 ? 500 : 200, "ok");
            });
    WebhookSender sender = sender(List.of("127.0.0.1"), Duration.ofSeconds(10));

    DeliveryResult first = sender.send(url, "msg_event1", BODY);
    DeliveryResult second = sender.send(url, "msg_event1", BODY);

    assertThat(first).isEqualTo(new DeliveryResult(500, null));
    assertThat(first.delivered()).isFalse();
    assertThat(second).isEqualTo(new DeliveryResult(200, null));
    assertThat(second.delivered()).isTrue();
    assertThat(received)
        .hasSize(2)
        .allSatisfy(
            request -> {
              assertThat(request.method()).isEqualTo("POST");
              assertThat(request.body()).isEqualTo(BODY);
              assertThat(request.header("content-type")).isEqualTo("application/json");
              assertThat(request.header("user-agent")).isEqualTo("dbsnap-webhooks/1");
              assertThat(request.header("webhook-id")).isEqualTo("msg_event1");
              assertThat(request.header("webhook-timestamp"))
                  .isEqualTo(Long.toString(NOW.getEpochSecond()));
              // Header names as the receiver got them ("Webhook-id"), as a receiver library would
              // see them.
              assertThat(
                      signer.verify(
                          request.headers(),
                          request.body(),
                          NOW.getEpochSecond(),
                          Duration.ofMinutes(5)))
                  .isTrue();
            });
  }

  @Test
  void a_redirect_is_a_failed_attempt_and_is_not_followed() throws Exception {
    AtomicInteger landed = new AtomicInteger();
    URI url =
        receiver(
            "/hook",
            exchange -> {
              exchange.getResponseHeaders().add("Location", "/landing");
              answer(exchange, 302, "");
            });
    handle(
        url,
        "/landing",
        exchange -> {
          landed.incrementAndGet();
          answer(exchange, 200, "ok");
        });
    WebhookSender sender = sender(List.of("127.0.0.1"), Duration.ofSeconds(10));

    DeliveryResult result = sender.send(url, "msg_redirect", BODY);

    assertThat(result.status()).isEqualTo(302);
    assertThat(result.delivered()).isFalse();
    assertThat(result.error()).isEqualTo("redirect not followed");
    assertThat(landed).hasValue(0);
  }

  @Test
  void a_receiver_that_never_answers_times_out() throws Exception {
    // The kernel accepts the connection into the backlog; nothing ever reads or answers.
    ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    cleanup.add(silent);
    URI url = URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/hook");
    WebhookSender sender = sender(List.of("127.0.0.1"), Duration.ofMillis(300));

    DeliveryResult result = sender.send(url, "msg_silent", BODY);

    assertThat(result.status()).isZero();
    assertThat(result.error()).contains("timed out after 300 ms");
    assertThat(result.delivered()).isFalse();
  }

  @Test
  void a_large_answer_is_read_only_in_part() throws Exception {
    byte[] large = new byte[1 << 20];
    URI url =
        receiver(
            "/hook",
            exchange -> {
              exchange.getRequestBody().readAllBytes();
              exchange.sendResponseHeaders(200, large.length);
              try (var out = exchange.getResponseBody()) {
                out.write(large);
              } catch (IOException expected) {
                // The sender stops reading after a few KiB and drops the connection.
              }
            });
    WebhookSender sender = sender(List.of("127.0.0.1"), Duration.ofSeconds(10));

    assertThat(sender.send(url, "msg_large", BODY)).isEqualTo(new DeliveryResult(200, null));
  }

  @Test
  void a_loopback_url_that_is_not_allowed_is_refused_without_a_request() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    URI url =
        receiver(
            "/hook",
            exchange -> {
              requests.incrementAndGet();
              answer(exchange, 200, "ok");
            });
    WebhookSender sender = sender(List.of(), Duration.ofSeconds(10));

    DeliveryResult result = sender.send(url, "msg_refused", BODY);

    assertThat(result.status()).isZero();
    assertThat(result.error())
        .isEqualTo(
            "refused: callbackUrl host 127.0.0.1 is a loopback address; allow it with webhooks.allowHosts");
    assertThat(requests).hasValue(0);
  }

  @Test
  void a_closed_port_is_a_failed_attempt_not_an_exception() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    WebhookSender sender = sender(List.of("127.0.0.1"), Duration.ofSeconds(10));

    DeliveryResult result =
        sender.send(URI.create("http://127.0.0.1:" + port + "/"), "msg_closed", BODY);

    assertThat(result.status()).isZero();
    assertThat(result.error()).startsWith("connection failed");
  }

  @Test
  void a_closed_sender_sends_nothing() {
    WebhookSender sender = sender(List.of("127.0.0.1"), Duration.ofSeconds(1));
    sender.close();

    assertThat(sender.send(URI.create("http://127.0.0.1:9/"), "msg_late", BODY))
        .isEqualTo(new DeliveryResult(0, "sender is closed"));
  }

  private WebhookSender sender(List<String> allowHosts, Duration timeout) {
    WebhookSender sender = new WebhookSender(signer, new CallbackGuard(allowHosts), timeout, clock);
    cleanup.add(sender);
    return sender;
  }

  /** Starts a receiver on 127.0.0.1 answering {@code path}; returns its URL. */
  private URI receiver(String path, Handler handler) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.start();
    cleanup.add(new Holder(server));
    URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    servers.put(url, server);
    handle(url, path, handler);
    return url;
  }

  /** Adds {@code path} to the receiver started for {@code url}. */
  private void handle(URI url, String path, Handler handler) {
    servers
        .get(url)
        .createContext(
            path,
            exchange -> {
              try {
                handler.handle(exchange);
              } finally {
                exchange.close();
              }
            });
  }

  private static void answer(HttpExchange exchange, int status, String text) throws IOException {
    exchange.getRequestBody().readAllBytes();
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
  }

  private interface Handler {
    void handle(HttpExchange exchange) throws IOException;
  }

  private record Holder(HttpServer server) implements AutoCloseable {
    @Override
    public void close() {
      server.stop(0);
    }
  }

  private record Received(String method, Map<String, String> headers, byte[] body) {
    static Received of(HttpExchange exchange) throws IOException {
      Map<String, String> headers = new HashMap<>();
      exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, values.get(0)));
      return new Received(
          exchange.getRequestMethod(), headers, exchange.getRequestBody().readAllBytes());
    }

    String header(String name) {
      return headers.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(Map.Entry::getValue)
          .findFirst()
          .orElse(null);
    }
  }
}
