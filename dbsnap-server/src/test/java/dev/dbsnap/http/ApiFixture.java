package dev.dbsnap.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.job.JobService;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.server.DemoDatabase;
import dev.dbsnap.server.ServerSnapshots;
import dev.dbsnap.storage.ObjectStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A real server for API tests: a JobService on an SQLite control database, an object store, the
 * demo database as source {@code demo} and a smaller one as {@code other}, and two tokens: {@link
 * #ADMIN} for every source and {@link #OTHER} for {@code other} only.
 */
final class ApiFixture implements AutoCloseable {
  static final String ADMIN = "admin-token-0123456789";
  static final String OTHER = "other-token-9876543210";
  static final int MAX_BODY = 4096;

  final ServerConfig config;
  final ObjectStore store;
  final JobService jobs;
  final ServerSnapshots snapshots;
  final ApiServer server;
  final URI base;
  final HttpClient http =
      HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private ApiFixture(
      ServerConfig config,
      ObjectStore store,
      JobService jobs,
      ServerSnapshots snapshots,
      ApiServer server,
      int port) {
    this.config = config;
    this.store = store;
    this.jobs = jobs;
    this.snapshots = snapshots;
    this.server = server;
    this.base = URI.create("http://127.0.0.1:" + port);
  }

  /** A server with {@code workers} workers on a local store in {@code dir}. */
  static ApiFixture start(Path dir, int workers) throws Exception {
    return start(dir, workers, dir.resolve("store").toString(), S3Settings.DEFAULTS);
  }

  static ApiFixture start(Path dir, int workers, String storeLocation, S3Settings s3)
      throws Exception {
    return start(dir, workers, storeLocation, s3, Clock.systemUTC());
  }

  static ApiFixture start(Path dir, int workers, String storeLocation, S3Settings s3, Clock clock)
      throws Exception {
    return start(
        dir, workers, storeLocation, s3, clock, ServerConfig.Snapshots.DEFAULTS, store -> store);
  }

  /**
   * A server whose snapshot cache has {@code snapshots} settings and writes through {@code
   * snapshotStore} (the store wrapped, to slow a build down, say).
   */
  static ApiFixture start(
      Path dir,
      int workers,
      String storeLocation,
      S3Settings s3,
      Clock clock,
      ServerConfig.Snapshots snapshotSettings,
      UnaryOperator<ObjectStore> snapshotStore)
      throws Exception {
    Path demo = dir.resolve("demo.db");
    Path other = dir.resolve("other.db");
    DemoDatabase.create(demo, 2000);
    DemoDatabase.create(other, 200);
    byte[] secret = new byte[32];
    ServerConfig config =
        new ServerConfig(
            new ServerConfig.Http("127.0.0.1", 0, MAX_BODY),
            new ServerConfig.Control("jdbc:sqlite:" + dir.resolve("control.db"), null, null, 2),
            new ServerConfig.Store(storeLocation, s3, Duration.ofMinutes(5)),
            Map.of(
                "demo",
                new ServerConfig.SourceConfig("demo", demo.toString(), null, null),
                "other",
                new ServerConfig.SourceConfig("other", other.toString(), null, null)),
            List.of(
                new ServerConfig.TokenConfig("admin", Tokens.sha256Hex(ADMIN), Set.of("*")),
                new ServerConfig.TokenConfig(
                    "other-only", Tokens.sha256Hex(OTHER), Set.of("other"))),
            new ServerConfig.Workers(
                workers,
                Duration.ofSeconds(10),
                Duration.ofSeconds(1),
                Duration.ofMillis(50),
                3,
                Duration.ofMillis(100),
                Duration.ZERO,
                1),
            new ServerConfig.Webhooks(
                "whsec_" + Base64.getEncoder().encodeToString(secret),
                List.of(),
                Duration.ofSeconds(2),
                Duration.ofMillis(100),
                Duration.ofMinutes(1)),
            new ServerConfig.Retention(Duration.ofDays(1), Duration.ofDays(1), Duration.ofHours(1)),
            snapshotSettings);
    ObjectStore store = ObjectStores.open(storeLocation, s3);
    PrometheusRegistry registry = new PrometheusRegistry();
    JobService jobs = JobService.start(config, store, registry, clock, JobJson::event);
    ServerSnapshots snapshots =
        ServerSnapshots.start(
            config, snapshotStore.apply(store), jobs.controlDataSource(), registry, clock);
    ApiServer server = new ApiServer(config, jobs, snapshots.cache(), store, registry, clock);
    int port = server.start();
    return new ApiFixture(config, store, jobs, snapshots, server, port);
  }

  @Override
  public void close() {
    server.stop();
    snapshots.close();
    jobs.close();
    store.close();
  }

  HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
    return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<byte[]> get(String path, String token, String... headers) throws Exception {
    HttpRequest.Builder b = request(path, token).GET();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b.build());
  }

  HttpResponse<byte[]> post(String path, String token, String json, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        request(path, token)
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .header("Content-Type", "application/json");
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b.build());
  }

  HttpResponse<byte[]> delete(String path, String token) throws Exception {
    return send(request(path, token).DELETE().build());
  }

  static JsonNode json(HttpResponse<byte[]> response) throws IOException {
    return JobJson.MAPPER.readTree(response.body());
  }

  /** Starts an export of {@code source} and returns its status document. */
  JsonNode start(String source, String body) throws Exception {
    HttpResponse<byte[]> r = post("/v1/sources/" + source + "/exports", ADMIN, body);
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(202);
    return json(r);
  }

  /** Polls a job until it reaches a terminal state, for at most 30 s. */
  JsonNode awaitFinished(String id) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      JsonNode doc = json(get("/v1/exports/" + id, ADMIN));
      String status = doc.path("status").asText();
      if (!status.equals("queued") && !status.equals("running")) {
        return doc;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("export " + id + " is still " + status + " after 30 s: " + doc);
      }
      Thread.sleep(50);
    }
  }

  /** Asserts a problem document with this status and, when not null, this field. */
  static JsonNode assertProblem(HttpResponse<byte[]> r, int status, String field)
      throws IOException {
    assertThat(r.statusCode())
        .as("status of %s: %s", r.request().uri(), new String(r.body()))
        .isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    JsonNode p = json(r);
    assertThat(p.path("status").asInt()).isEqualTo(status);
    assertThat(p.path("type").asText()).startsWith("https://dbsnap.dev/problems/");
    assertThat(p.path("title").asText()).isNotEmpty();
    assertThat(p.path("detail").asText()).isNotEmpty();
    if (field != null) {
      assertThat(p.path("field").asText()).as(p.toString()).isEqualTo(field);
    }
    return p;
  }

  static String sha256(byte[] data) {
    try {
      return java.util.HexFormat.of()
          .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] read(Path p) throws IOException {
    return Files.readAllBytes(p);
  }
}
