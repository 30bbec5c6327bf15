package dev.dbsnap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.ByteSize;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.cli.CliTest.Result;
import dev.dbsnap.config.ConfigLoader;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.http.JobJson;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.server.DbsnapServer;
import dev.dbsnap.server.DemoDatabase;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.S3ProxyServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dbsnap export} against a real {@code dbsnap serve} (in this JVM) whose exports go to S3
 * (s3proxy): start and wait, status, list, download through the presigned redirect, a zip of all
 * objects, and cancel.
 */
class ExportAgainstServerTest {
  private static final String TOKEN = "dbs_end-to-end-token";
  private static final Pattern ID = Pattern.compile("exp_[0-9a-z]{26}");

  @TempDir static Path dir;
  static DbsnapServer server;
  static String bucket;

  @BeforeAll
  static void start() throws Exception {
    DemoDatabase.create(dir.resolve("demo.db"), 3000);
    S3ProxyServer s3 = S3ProxyServer.shared();
    bucket = s3.newBucket();
    Path config = dir.resolve("dbsnap.yaml");
    Files.writeString(
        config,
        """
        http: {host: 127.0.0.1, port: 0}
        control: {url: "jdbc:sqlite:%s"}
        store: {location: "s3://%s/e2e", endpointUrl: "%s", region: us-east-1, pathStyle: true}
        sources:
          demo: {url: "%s"}
        tokens:
          - {name: e2e, sha256: %s, sources: [demo]}
        workers: {count: 2, poll: 50ms}
        """
            .formatted(
                dir.resolve("control.db"),
                bucket,
                s3.endpoint(),
                dir.resolve("demo.db"),
                ConfigLoader.hashToken(TOKEN)));
    ServerConfig c = ConfigLoader.load(config, Map.of(), dir.resolve("data")).config();
    // the s3proxy credentials, which a deployment takes from the AWS_* environment
    ServerConfig.Store store =
        new ServerConfig.Store(
            c.store().location(),
            S3Settings.pathStyle(
                s3.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY),
            c.store().presignTtl());
    server =
        DbsnapServer.start(
            new ServerConfig(
                c.http(),
                c.control(),
                store,
                c.sources(),
                c.tokens(),
                c.workers(),
                c.webhooks(),
                c.retention(),
                c.snapshots()),
            Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void an_export_started_and_awaited_from_the_command_line_downloads_through_s3() throws Exception {
    Result started =
        export("start", "demo", "--format", "csv", "--compression", "gzip", "--wait", "-q");
    assertThat(started.code()).as(started.err()).isZero();
    Matcher m = ID.matcher(started.out());
    assertThat(m.find()).as(started.out()).isTrue();
    String id = m.group();

    Result status = export("status", id, "--json");
    assertThat(status.code()).isZero();
    assertThat(status.out())
        .containsPattern("\"status\" ?: ?\"succeeded\"")
        .contains("orders.csv.gz");
    assertThat(export("list", "--source", "demo").out()).contains(id).contains("succeeded");

    Path one = dir.resolve("orders.csv.gz");
    Result download = export("download", id, "--object", "orders.csv.gz", "-o", one.toString());
    assertThat(download.code()).as(download.err()).isZero();
    try (ObjectStore store =
            ObjectStores.open(
                "s3://" + bucket + "/e2e",
                S3Settings.pathStyle(
                    S3ProxyServer.shared().endpoint().toString(),
                    S3ProxyServer.ACCESS_KEY,
                    S3ProxyServer.SECRET_KEY));
        var in = store.get("exports/" + id + "/orders.csv.gz")) {
      assertThat(sha256(Files.readAllBytes(one))).isEqualTo(sha256(in.readAllBytes()));
    }

    Path zip = dir.resolve("all.zip");
    assertThat(export("download", id, "-o", zip.toString()).code()).isZero();
    try (ZipFile z = new ZipFile(zip.toFile())) {
      List<String> names = new ArrayList<>();
      z.stream().forEach(e -> names.add(e.getName()));
      assertThat(names)
          .contains("customers.csv.gz", "orders.csv.gz", "events.csv.gz", "manifest.json");
    }

    Result cancel = export("cancel", id);
    assertThat(cancel.code())
        .as("a finished export cannot be cancelled")
        .isEqualTo(ErrorCode.CONFLICT.exitCode());
    assertThat(cancel.err()).contains(id);
  }

  /**
   * One size, one byte count: {@code --part-size 6MB} on the command line, {@code "partSize":"6MB"}
   * in an HTTP request, and 6MB in a size setting of the server's environment (which has no part
   * size setting; http.maxBodyBytes takes a size the same way) are all 6 MiB.
   */
  @Test
  void part_size_6MB_is_the_same_everywhere() throws Exception {
    long sixMib = 6_291_456;
    assertThat(ByteSize.parse("6MB")).isEqualTo(sixMib);

    Result cli = export("start", "demo", "--part-size", "6MB", "-q");
    assertThat(cli.code()).as(cli.err()).isZero();
    Matcher m = ID.matcher(cli.out());
    assertThat(m.find()).as(cli.out()).isTrue();
    assertThat(server.jobs().find(m.group()).orElseThrow().request().partSize()).isEqualTo(sixMib);
    awaitFinished(m.group());

    HttpResponse<String> http =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(server.baseUri().resolve("/v1/sources/demo/exports"))
                    .header("Authorization", "Bearer " + TOKEN)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"partSize\":\"6MB\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(http.statusCode()).as(http.body()).isEqualTo(202);
    JsonNode job = JobJson.MAPPER.readTree(http.body());
    assertThat(job.path("request").path("partSize").asLong()).isEqualTo(sixMib);
    awaitFinished(job.path("id").asText());

    ServerConfig fromEnv =
        ConfigLoader.load(null, Map.of("DBSNAP_HTTP_MAX_BODY_BYTES", "6MB"), dir.resolve("env"))
            .config();
    assertThat((long) fromEnv.http().maxBodyBytes()).isEqualTo(sixMib);
  }

  @Test
  void a_wrong_token_or_source_gets_its_exit_code_and_one_line() {
    Result unknown =
        run(
            "export",
            "status",
            "exp_00000000000000000000000000",
            "--server",
            server.baseUri().toString(),
            "--token",
            "dbs_wrong");
    assertThat(unknown.code()).isEqualTo(ErrorCode.UNAUTHORIZED.exitCode());
    Result other = export("start", "nosuch");
    assertThat(other.code())
        .as(other.err())
        .isIn(ErrorCode.NOT_FOUND.exitCode(), ErrorCode.FORBIDDEN.exitCode());
    assertThat(other.err().strip().lines().count()).isEqualTo(1);
  }

  /** Waits for a job to finish, so that its log lines do not land in another test's output. */
  private static void awaitFinished(String id) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!server.jobs().find(id).orElseThrow().state().terminal()) {
      assertThat(System.nanoTime()).as("job %s to finish", id).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static Result export(String... args) {
    List<String> all = new ArrayList<>(List.of("export"));
    all.addAll(List.of(args));
    all.addAll(List.of("--server", server.baseUri().toString(), "--token", TOKEN));
    return run(all.toArray(String[]::new));
  }

  private static Result run(String... args) {
    Result r = CliTest.run(args);
    assertThat(r.out() + r.err()).as("output").doesNotContain(TOKEN);
    return r;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
