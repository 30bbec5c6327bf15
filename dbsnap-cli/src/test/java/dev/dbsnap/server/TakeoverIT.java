package dev.dbsnap.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgTestServer;
import dev.dbsnap.testing.S3ProxyServer;
import java.io.InputStream;
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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code dbsnap serve} processes (separate JVMs from the packaged jar) share a PostgreSQL
 * control database and an S3 bucket (s3proxy). One is killed with SIGKILL in the middle of a
 * multipart export; the other takes the job over once the lease expires, and the objects equal
 * those of an export that never stopped. Many small jobs over both processes each run once.
 */
class TakeoverIT {
  private static final String TOKEN = "dbs_takeover-test-token";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dir;
  static S3ProxyServer s3;
  static String bucket;

  @BeforeAll
  static void setUp() throws Exception {
    // About 65 MB of SQL: some thirteen 5 MiB parts, several seconds of work to interrupt.
    DemoDatabase.create(dir.resolve("demo.db"), 300_000);
    DemoDatabase.create(dir.resolve("small.db"), 400);
    s3 = S3ProxyServer.shared();
    bucket = s3.newBucket();
  }

  /** A configuration both processes share, with a fresh control database. */
  private static Path config(String controlUrl) throws Exception {
    String yaml =
        """
        http: {host: 127.0.0.1, port: 0}
        control: {url: "%s", user: %s}
        store: {location: "s3://%s/fleet", endpointUrl: "%s", region: us-east-1, pathStyle: true}
        sources:
          demo: {url: "%s"}
          small: {url: "%s"}
        tokens:
          - {name: it, sha256: %s, sources: ["*"]}
        workers: {count: 2, leaseTtl: 3s, heartbeat: 500ms, poll: 100ms, uploadConcurrency: 2}
        """
            .formatted(
                controlUrl,
                PgTestServer.USER,
                bucket,
                s3.endpoint(),
                dir.resolve("demo.db"),
                dir.resolve("small.db"),
                sha256(TOKEN.getBytes(StandardCharsets.UTF_8)));
    Path file = Files.createTempFile(dir, "dbsnap", ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static Map<String, String> env() {
    return Map.of(
        "AWS_ACCESS_KEY_ID",
        S3ProxyServer.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY",
        S3ProxyServer.SECRET_KEY,
        "AWS_REGION",
        S3ProxyServer.REGION);
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void a_job_whose_process_is_killed_is_taken_over_and_finishes_with_identical_bytes()
      throws Exception {
    String controlUrl = PgTestServer.newDatabaseUrl();
    Path config = config(controlUrl);
    try (ServeProcess a = ServeProcess.start(config, env(), dir.resolve("a.log"));
        ServeProcess b = ServeProcess.start(config, env(), dir.resolve("b.log"))) {
      String body = "{\"format\":\"sql\",\"compression\":\"none\",\"partSize\":\"5MiB\"}";
      String id = submit(a.baseUri, "demo", body).path("id").asText();

      // Kill whichever process runs the job once its checkpoint holds two uploaded parts of the
      // object (read from the control database, where every part's checkpoint lands at once).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      Lease lease = lease(controlUrl, id);
      while (lease.parts() < 2) {
        assertThat(lease.state())
            .as("the job finished before it could be interrupted")
            .isIn("queued", "running");
        if (System.nanoTime() > deadline) {
          fail(
              "the job uploaded fewer than two parts in 90 s: "
                  + lease
                  + "\n"
                  + a.output()
                  + b.output());
        }
        Thread.sleep(10);
        lease = lease(controlUrl, id);
      }
      String owner = lease.owner();
      ServeProcess victim = owner.contains(":" + a.pid() + ":") ? a : b;
      ServeProcess survivor = victim == a ? b : a;
      assertThat(owner).as("the lease owner names the process").contains(":" + victim.pid() + ":");
      victim.kill();
      assertThat(lease(controlUrl, id).state())
          .as("still running when its process was killed")
          .isEqualTo("running");
      System.out.println("TakeoverIT: killed " + owner + " after " + lease.parts() + " parts");

      JsonNode done = awaitTerminal(survivor.baseUri, id, 150);
      assertThat(done.path("status").asText())
          .as(done + "\n" + survivor.output())
          .isEqualTo("succeeded");
      List<Run> runs = runs(controlUrl, id);
      assertThat(runs).hasSize(2);
      assertThat(runs.get(1).owner()).contains(":" + survivor.pid() + ":");
      assertThat(done.path("attempts").asInt()).isEqualTo(2);
      assertThat(done.path("consistent").asBoolean())
          .as("continued from the checkpoint, not started again")
          .isFalse();

      String referenceId = submit(survivor.baseUri, "demo", body).path("id").asText();
      JsonNode reference = awaitTerminal(survivor.baseUri, referenceId, 150);
      assertThat(reference.path("status").asText()).isEqualTo("succeeded");
      assertThat(runs(controlUrl, referenceId)).hasSize(1);

      try (ObjectStore store =
          ObjectStores.open(
              "s3://" + bucket + "/fleet",
              S3Settings.pathStyle(
                  s3.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))) {
        Map<String, String> expected = contents(store, referenceId, reference);
        assertThat(expected).hasSize(1);
        assertThat(contents(store, id, done)).isEqualTo(expected);
        assertThat(store.pendingUploads("")).as("no multipart upload is left").isEmpty();
      }
    }
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void many_small_jobs_over_two_processes_each_run_exactly_once() throws Exception {
    String controlUrl = PgTestServer.newDatabaseUrl();
    Path config = config(controlUrl);
    try (ServeProcess a = ServeProcess.start(config, env(), dir.resolve("a2.log"));
        ServeProcess b = ServeProcess.start(config, env(), dir.resolve("b2.log"))) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        URI server = i % 2 == 0 ? a.baseUri : b.baseUri;
        ids.add(submit(server, "small", "{\"format\":\"csv\"}").path("id").asText());
      }
      for (String id : ids) {
        JsonNode done = awaitTerminal(a.baseUri, id, 120);
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(done.path("attempts").asInt()).isEqualTo(1);
      }
      Map<String, Integer> runsByJob = new HashMap<>();
      Set<String> processes = new java.util.HashSet<>();
      for (String id : ids) {
        List<Run> runs = runs(controlUrl, id);
        runsByJob.put(id, runs.size());
        runs.forEach(r -> processes.add(r.owner().contains(":" + a.pid() + ":") ? "a" : "b"));
      }
      assertThat(runsByJob.values()).as("runs per job").containsOnly(1);
      assertThat(processes).as("both processes ran jobs").containsExactlyInAnyOrder("a", "b");
    }
  }

  record Run(String owner, long startedAt) {}

  record Lease(String state, String owner, int parts) {}

  /**
   * The job's state, lease owner and the parts its checkpoint records for the object in progress.
   */
  private static Lease lease(String controlUrl, String jobId) throws Exception {
    try (Connection c = DriverManager.getConnection(controlUrl, PgTestServer.USER, null);
        PreparedStatement st =
            c.prepareStatement(
                "SELECT state, lease_owner, checkpoint_json FROM jobs WHERE id = ?")) {
      st.setString(1, jobId);
      try (ResultSet rs = st.executeQuery()) {
        assertThat(rs.next()).isTrue();
        String checkpoint = rs.getString(3);
        int parts =
            checkpoint == null ? 0 : JSON.readTree(checkpoint).path("current").path("parts").size();
        return new Lease(rs.getString(1), rs.getString(2), parts);
      }
    }
  }

  private static List<Run> runs(String controlUrl, String jobId) throws Exception {
    try (Connection c = DriverManager.getConnection(controlUrl, PgTestServer.USER, null);
        PreparedStatement st =
            c.prepareStatement(
                "SELECT owner, started_at FROM job_runs WHERE job_id = ? ORDER BY started_at, id")) {
      st.setString(1, jobId);
      List<Run> runs = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          runs.add(new Run(rs.getString(1), rs.getLong(2)));
        }
      }
      return runs;
    }
  }

  private static JsonNode submit(URI server, String source, String body) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(server.resolve("/v1/sources/" + source + "/exports"))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return JSON.readTree(r.body());
  }

  private static JsonNode get(URI server, String id) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(server.resolve("/v1/exports/" + id))
                .header("Authorization", "Bearer " + TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static JsonNode awaitTerminal(URI server, String id, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    JsonNode status = get(server, id);
    while (Set.of("queued", "running").contains(status.path("status").asText())) {
      if (System.nanoTime() > deadline) {
        fail("job " + id + " did not finish in " + seconds + " s: " + status);
      }
      Thread.sleep(100);
      status = get(server, id);
    }
    return status;
  }

  /** SHA-256 of every object the status document lists, read back from the store, by key. */
  private static Map<String, String> contents(ObjectStore store, String id, JsonNode status)
      throws Exception {
    Map<String, String> result = new TreeMap<>();
    for (JsonNode o : status.path("objects")) {
      String key = o.path("key").asText();
      try (InputStream in = store.get("exports/" + id + "/" + key)) {
        String actual = sha256(in.readAllBytes());
        assertThat(actual)
            .as("sha256 of " + key + " as the manifest says")
            .isEqualTo(o.path("sha256").asText());
        result.put(key, actual);
      }
    }
    return result;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
