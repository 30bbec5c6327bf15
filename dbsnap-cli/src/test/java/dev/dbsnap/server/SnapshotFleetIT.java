package dev.dbsnap.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.snapshot.Snapshot;
import dev.dbsnap.snapshot.SnapshotCache;
import dev.dbsnap.snapshot.SnapshotOptions;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgTestServer;
import dev.dbsnap.testing.S3ProxyServer;
import dev.dbsnap.track.ChangeTracking;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/**
 * Two {@code dbsnap serve} processes (separate JVMs from the packaged jar) share a PostgreSQL
 * control database and an S3 bucket, and serve snapshots of a tracked SQLite source: concurrent
 * cold requests over both give one build, and a builder killed with SIGKILL is taken over once.
 */
class SnapshotFleetIT {
  private static final String TOKEN = "dbs_snapshot-fleet-token";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration LEASE = Duration.ofSeconds(3);

  @TempDir static Path dir;
  static S3ProxyServer s3;
  static String bucket;

  @BeforeAll
  static void setUp() throws Exception {
    // orders holds some 360,000 rows: a CSV snapshot of several 5 MiB parts
    DemoDatabase.create(dir.resolve("demo.db"), 600_000);
    ChangeTracking.of(Source.parse(dir.resolve("demo.db").toString(), null, null))
        .install(TableSelection.ALL);
    s3 = S3ProxyServer.shared();
    bucket = s3.newBucket();
  }

  private static Path config(String controlUrl, String prefix) throws Exception {
    String yaml =
        """
        http: {host: 127.0.0.1, port: 0}
        control: {url: "%s", user: %s}
        store: {location: "s3://%s/%s", endpointUrl: "%s", region: us-east-1, pathStyle: true}
        sources:
          demo: {url: "%s"}
        tokens:
          - {name: it, sha256: %s, sources: ["*"]}
        snapshots: {leaseTtl: 3s, partSize: 5MiB}
        """
            .formatted(
                controlUrl,
                PgTestServer.USER,
                bucket,
                prefix,
                s3.endpoint(),
                dir.resolve("demo.db"),
                sha256(TOKEN.getBytes(StandardCharsets.UTF_8)));
    Path file = Files.createTempFile(dir, "dbsnap", ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static Map<String, String> env() {
    return Map.of(
        "AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY,
        "AWS_REGION", S3ProxyServer.REGION);
  }

  private static HttpResponse<String> snapshot(URI server, String table, String wait)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(
                server.resolve("/v1/sources/demo/tables/" + table + "/snapshot?wait=" + wait))
            .header("Authorization", "Bearer " + TOKEN)
            .timeout(Duration.ofMinutes(3))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static long control(String controlUrl, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(controlUrl, PgTestServer.USER, null);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getLong(1) : -1;
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void a_hundred_concurrent_cold_requests_over_two_processes_give_exactly_one_build()
      throws Exception {
    String controlUrl = PgTestServer.newDatabaseUrl();
    Path config = config(controlUrl, "coalesce");
    ExecutorService clients = Executors.newFixedThreadPool(50);
    try (ServeProcess a = ServeProcess.start(config, env(), dir.resolve("c-a.log"));
        ServeProcess b = ServeProcess.start(config, env(), dir.resolve("c-b.log"))) {
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        URI server = i % 2 == 0 ? a.baseUri : b.baseUri;
        answers.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return snapshot(server, "customers", "120s");
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                clients));
      }
      List<JsonNode> docs = new ArrayList<>();
      for (CompletableFuture<HttpResponse<String>> f : answers) {
        HttpResponse<String> r = f.get(180, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        docs.add(JSON.readTree(r.body()));
      }

      assertThat(docs.stream().map(d -> d.path("key").asText()).distinct()).hasSize(1);
      assertThat(docs.stream().map(d -> d.path("sha256").asText()).distinct()).hasSize(1);
      assertThat(docs.stream().filter(d -> d.path("outcome").asText().equals("built"))).hasSize(1);
      assertThat(control(controlUrl, "SELECT sum(runs) FROM dbsnap_snapshot_builds")).isEqualTo(1);
      assertThat(builds(a.baseUri) + builds(b.baseUri)).as("builds in the metrics").isEqualTo(1);
    } finally {
      clients.shutdownNow();
    }
  }

  /** dbsnap_snapshot_builds_total as a process's metrics report it. */
  private static long builds(URI server) throws Exception {
    String text =
        HTTP.send(
                HttpRequest.newBuilder(server.resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher m =
        Pattern.compile("(?m)^dbsnap_snapshot_builds_total(?:\\{[^}]*})? ([0-9.eE+]+)$")
            .matcher(text);
    assertThat(m.find()).as(text).isTrue();
    return (long) Double.parseDouble(m.group(1));
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void a_builder_killed_mid_build_is_taken_over_once_from_its_last_part() throws Exception {
    String controlUrl = PgTestServer.newDatabaseUrl();
    Path config = config(controlUrl, "takeover");
    try (ServeProcess a = ServeProcess.start(config, env(), dir.resolve("t-a.log"));
        ServeProcess b = ServeProcess.start(config, env(), dir.resolve("t-b.log"))) {
      HttpResponse<String> started = snapshot(a.baseUri, "orders", "0s");
      assertThat(started.statusCode()).as(started.body()).isEqualTo(202);

      // kill the builder (a) once its checkpoint holds two uploaded parts
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (parts(controlUrl) < 2) {
        if (System.nanoTime() > deadline) {
          fail("the build uploaded fewer than two parts in 120 s:\n" + a.output() + b.output());
        }
        Thread.sleep(10);
      }
      String owner = owner(controlUrl);
      assertThat(owner).as("the lease owner names the process").contains("-" + a.pid() + "-");
      a.kill();
      long killed = System.nanoTime();

      HttpResponse<String> answer = snapshot(b.baseUri, "orders", "120s");
      long waitedMillis = (System.nanoTime() - killed) / 1_000_000;
      assertThat(answer.statusCode()).as(answer.body() + b.output()).isEqualTo(200);
      JsonNode doc = JSON.readTree(answer.body());
      assertThat(waitedMillis).isLessThan(LEASE.toMillis() + 15_000);
      assertThat(control(controlUrl, "SELECT takeovers FROM dbsnap_snapshot_builds")).isEqualTo(1);
      assertThat(doc.path("bytes").asLong()).isGreaterThan(3L * 5 * 1024 * 1024);

      // the same snapshot built in one go by the library, into a local store
      try (ObjectStore local = LocalObjectStore.open(dir.resolve("reference"))) {
        SQLiteDataSource index = new SQLiteDataSource();
        index.setUrl("jdbc:sqlite:" + dir.resolve("reference.db"));
        try (SnapshotCache cache = SnapshotCache.builder().store(local).controlDb(index).build()) {
          Snapshot clean =
              cache.get(
                  "demo",
                  Source.parse(dir.resolve("demo.db").toString(), null, null),
                  "orders",
                  SnapshotOptions.csv());
          assertThat(doc.path("sha256").asText()).isEqualTo(clean.sha256());
          assertThat(doc.path("version").asLong()).isEqualTo(clean.version());
        }
      }
      try (ObjectStore store =
          ObjectStores.open(
              "s3://" + bucket + "/takeover",
              S3Settings.pathStyle(
                  s3.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))) {
        assertThat(store.head(doc.path("key").asText())).isPresent();
        assertThat(store.pendingUploads("")).as("no multipart upload is left").isEmpty();
      }
    }
  }

  private static int parts(String controlUrl) throws Exception {
    try (Connection c = DriverManager.getConnection(controlUrl, PgTestServer.USER, null);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT checkpoint FROM dbsnap_snapshot_builds WHERE state = 'building'")) {
      if (!rs.next() || rs.getString(1) == null) {
        return 0;
      }
      return JSON.readTree(rs.getString(1)).path("current").path("parts").size();
    } catch (java.sql.SQLException e) {
      return 0; // the tables appear when the first process starts
    }
  }

  private static String owner(String controlUrl) throws Exception {
    try (Connection c = DriverManager.getConnection(controlUrl, PgTestServer.USER, null);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT owner FROM dbsnap_snapshot_builds")) {
      rs.next();
      return rs.getString(1);
    }
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
