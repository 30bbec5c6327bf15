package dev.dbsnap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.cli.CliTest.Result;
import dev.dbsnap.http.JobJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code dbsnap export} against a small real HTTP server on 127.0.0.1 that answers with canned
 * documents in the API's wire format.
 */
class ExportCommandTest {
  static final String TOKEN = "dbs_test-token-never-printed";

  @TempDir Path dir;
  FakeServer server;

  @BeforeEach
  void start() throws IOException {
    server = new FakeServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void start_posts_the_request_and_prints_the_job_id() throws IOException {
    server.on("POST", "/v1/sources/demo/exports", json(202, job("exp_1", "queued")));

    Result r =
        cli(
            "start",
            "demo",
            "--format",
            "jsonl",
            "--compression",
            "zstd",
            "--tables",
            "orders,customers",
            "--exclude-tables",
            "events",
            "--part-size",
            "16MiB",
            "--callback-url",
            "https://hooks.example/x",
            "--idempotency-key",
            "k-1");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("exp_1\n");
    Recorded post = server.only("POST");
    assertThat(post.authorization()).isEqualTo("Bearer " + TOKEN);
    assertThat(post.headers().get("Idempotency-Key")).containsExactly("k-1");
    assertThat(post.headers().getFirst("Content-Type")).isEqualTo("application/json");
    JsonNode body = JobJson.MAPPER.readTree(post.body());
    assertThat(body)
        .isEqualTo(
            JobJson.MAPPER.readTree(
                """
        {"format":"jsonl","compression":"zstd","tables":["orders","customers"],"excludeTables":["events"],
         "partSize":16777216,"callbackUrl":"https://hooks.example/x"}"""));
  }

  @Test
  void start_sends_csv_and_gzip_and_leaves_the_rest_to_the_server() throws IOException {
    server.on("POST", "/v1/sources/demo/exports", json(202, job("exp_1", "queued")));

    assertThat(cli("start", "demo").code()).isZero();

    assertThat(JobJson.MAPPER.readTree(server.only("POST").body()))
        .isEqualTo(JobJson.MAPPER.readTree("{\"format\":\"csv\",\"compression\":\"gzip\"}"));
  }

  @Test
  void start_with_wait_shows_progress_until_the_export_succeeded() {
    server.on("POST", "/v1/sources/demo/exports", json(202, job("exp_1", "queued")));
    ObjectNode done = job("exp_1", "succeeded", null, 3, 3, 3_000, 600_000);
    done.putArray("tables").add(table("customers")).add(table("orders")).add(table("events"));
    addObject(done, "customers.csv.gz", new byte[200_000]);
    addObject(done, "orders.csv.gz", new byte[400_000]);
    addObject(done, "events.csv.gz", new byte[0]);
    server.on(
        "GET",
        "/v1/exports/exp_1",
        sequence(
            job("exp_1", "queued"),
            job("exp_1", "running", "customers", 0, 3, 1_000, 200_000),
            job("exp_1", "running", "orders", 1, 3, 2_000, 400_000),
            done));

    Result r = cli("start", "demo", "--wait", "--interval", "0.01");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("exp_1\n");
    assertThat(r.err().lines())
        .containsSubsequence(
            "dbsnap: export exp_1 is queued",
            "dbsnap: customers: 1,000 rows read, 195.3 KiB written, 0 B/s (0/3 tables done)")
        .anyMatch(l -> l.startsWith("dbsnap: orders: 2,000 rows read, 390.6 KiB written, "))
        .contains(
            "dbsnap: export exp_1 succeeded: 3 tables, 3,000 rows, 585.9 KiB in 3 objects; "
                + "download with: dbsnap export download exp_1");
    assertThat(server.count("GET")).isEqualTo(4);
  }

  @Test
  void a_failed_export_exits_with_its_error_code() {
    ObjectNode failed = job("exp_1", "failed");
    failed
        .putObject("error")
        .put("code", "source_unavailable")
        .put("message", "cannot connect to jdbc:postgresql://db/shop");
    server.on(
        "GET", "/v1/exports/exp_1", sequence(job("exp_1", "running", "t", 0, 1, 0, 0), failed));

    Result r = cli("status", "exp_1", "--wait", "--interval", "0.01", "-q");

    assertOneLineError(
        r,
        ErrorCode.SOURCE_UNAVAILABLE,
        "dbsnap: export exp_1 failed: cannot connect to jdbc:postgresql://db/shop");
    assertThat(r.out())
        .contains("status    failed")
        .contains("error     source_unavailable: cannot connect");
  }

  @Test
  void a_cancelled_export_exits_with_the_cancelled_code() {
    server.on("GET", "/v1/exports/exp_1", json(200, job("exp_1", "cancelled")));

    assertOneLineError(
        cli("status", "exp_1", "--wait", "--interval", "0.01"),
        ErrorCode.CANCELLED,
        "dbsnap: export exp_1 was cancelled");
  }

  static Stream<Arguments> problems() {
    return Stream.of(
        Arguments.of(401, "the request has no valid bearer token", null, ErrorCode.UNAUTHORIZED),
        Arguments.of(403, "the token may not use source 'demo'", null, ErrorCode.FORBIDDEN),
        Arguments.of(404, "there is no source 'demo'", "source", ErrorCode.NOT_FOUND),
        Arguments.of(
            409, "the idempotency key k was used with another request", null, ErrorCode.CONFLICT),
        Arguments.of(
            422,
            "part size 1024 is below the 5 MiB minimum",
            "partSize",
            ErrorCode.INVALID_ARGUMENT),
        Arguments.of(400, "the body is not JSON", null, ErrorCode.INVALID_ARGUMENT),
        Arguments.of(413, "the body is larger than 65536 bytes", null, ErrorCode.INVALID_ARGUMENT),
        Arguments.of(503, "the server is shutting down", null, ErrorCode.SERVER_UNAVAILABLE));
  }

  @ParameterizedTest(name = "HTTP {0}")
  @MethodSource("problems")
  void a_problem_document_becomes_one_line_and_an_exit_code(
      int status, String detail, String field, ErrorCode code) {
    ObjectNode problem =
        JobJson.MAPPER
            .createObjectNode()
            .put("type", "https://dbsnap.dev/problems/x")
            .put("title", "Title")
            .put("status", status)
            .put("detail", detail)
            .put("instance", "/v1/sources/demo/exports");
    if (field != null) {
      problem.put("field", field);
    }
    server.on(
        "POST",
        "/v1/sources/demo/exports",
        ex -> respond(ex, status, "application/problem+json", problem.toString()));

    Result r = cli("start", "demo");

    assertOneLineError(r, code, "dbsnap: " + detail + (field == null ? "" : " (" + field + ")"));
  }

  @Test
  void a_missing_token_is_pointed_out() {
    server.on(
        "GET",
        "/v1/exports/exp_1",
        ex ->
            respond(
                ex,
                401,
                "application/problem+json",
                "{\"status\":401,\"detail\":\"the request has no bearer token\"}"));

    Assumptions.assumeTrue(
        System.getenv("DBSNAP_TOKEN") == null, "DBSNAP_TOKEN is set in this environment");
    Result r = run("export", "status", "exp_1", "--server", server.url());

    assertOneLineError(
        r,
        ErrorCode.UNAUTHORIZED,
        "dbsnap: the request has no bearer token; pass --token or set DBSNAP_TOKEN");
    assertThat(server.only("GET").authorization()).isNull();
  }

  @Test
  void an_answer_that_is_not_a_problem_document_still_gives_one_line() {
    server.on(
        "GET",
        "/v1/exports/exp_1",
        ex -> respond(ex, 502, "text/html", "<html>Bad Gateway</html>"));

    assertOneLineError(
        cli("status", "exp_1"),
        ErrorCode.SERVER_UNAVAILABLE,
        "dbsnap: the server at " + server.url() + " answered HTTP 502");
  }

  @Test
  void an_unreachable_server_is_server_unavailable() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port;

    Result r = run("export", "list", "--server", url, "--token", TOKEN);

    assertOneLineError(
        r, ErrorCode.SERVER_UNAVAILABLE, "dbsnap: cannot reach the dbsnap server at " + url);
  }

  @Test
  void status_shows_progress_objects_and_webhook() {
    ObjectNode doc = job("exp_1", "succeeded", null, 2, 2, 1_500, 2048);
    addObject(doc, "orders.csv.gz", "abc".getBytes(StandardCharsets.UTF_8));
    ObjectNode hook =
        doc.putObject("webhook")
            .put("url", "https://hooks.example/x")
            .put("eventId", "msg_1")
            .put("delivered", true);
    hook.putArray("attempts")
        .addObject()
        .put("attempt", 1)
        .put("at", "2026-01-01T00:00:05Z")
        .put("status", 200)
        .putNull("error");
    server.on("GET", "/v1/exports/exp_1", json(200, doc));

    Result r = cli("status", "exp_1");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines())
        .contains(
            "id        exp_1",
            "source    demo",
            "status    succeeded",
            "export    csv, gzip",
            "progress  2/2 tables, 1,500 rows, 2.0 KiB in 0 parts, 0.0 rows/s",
            "objects   orders.csv.gz  3 B  sha256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "webhook   https://hooks.example/x: delivered after 1 attempt, last: HTTP 200 at 2026-01-01T00:00:05Z");
    assertThat(cli("status", "exp_1", "--json").out()).contains("\"eventId\" : \"msg_1\"");
  }

  @Test
  void list_prints_a_table_and_follows_the_cursors_with_all() {
    server.on(
        "GET",
        "/v1/exports",
        ex -> {
          String query = ex.getRequestURI().getRawQuery();
          ObjectNode page = JobJson.MAPPER.createObjectNode();
          boolean second = query != null && query.contains("cursor=c%2F2");
          page.putArray("exports")
              .add(
                  second
                      ? job("exp_1", "running", "t", 0, 1, 12_345, 3 << 20)
                      : job("exp_2", "queued"));
          page.put("nextCursor", second ? null : "c/2");
          respond(ex, 200, "application/json", page.toString());
        });

    Result r = cli("list", "--source", "demo", "--status", "running", "--limit", "1", "--all");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .isEqualTo(
            """
        ID     SOURCE  STATUS     ROWS    BYTES  CREATED
        exp_2  demo    queued        0      0 B  2026-01-01T00:00:00Z
        exp_1  demo    running  12,345  3.0 MiB  2026-01-01T00:00:00Z
        """);
    assertThat(server.requests)
        .extracting(Recorded::uri)
        .containsExactly(
            "/v1/exports?source=demo&status=running&limit=1",
            "/v1/exports?source=demo&status=running&limit=1&cursor=c%2F2");

    Result one = cli("list");
    assertThat(one.out().lines()).hasSize(2);
    assertThat(one.err())
        .isEqualTo("dbsnap: there are more exports: add --cursor c/2, or --all for every page\n");
  }

  @Test
  void cancel_deletes_the_export_and_a_finished_one_is_a_conflict() {
    ObjectNode cancelling = job("exp_1", "running");
    cancelling.put("cancelRequested", true);
    server.on("DELETE", "/v1/exports/exp_1", json(202, cancelling));
    server.on(
        "DELETE",
        "/v1/exports/exp_2",
        ex ->
            respond(
                ex,
                409,
                "application/problem+json",
                "{\"status\":409,\"detail\":\"export exp_2 has already succeeded\"}"));

    Result r = cli("cancel", "exp_1");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("exp_1 cancel requested (running)\n");

    assertOneLineError(
        cli("cancel", "exp_2"), ErrorCode.CONFLICT, "dbsnap: export exp_2 has already succeeded");
  }

  @Test
  void a_single_object_is_streamed_to_a_file_and_checked_against_its_sha256() throws Exception {
    byte[] content = new byte[3 << 20];
    new Random(7).nextBytes(content);
    ObjectNode doc = job("exp_1", "succeeded");
    addObject(doc, "orders.csv.gz", content);
    server.on("GET", "/v1/exports/exp_1", json(200, doc));
    server.on(
        "GET",
        "/v1/exports/exp_1/download",
        ex -> respond(ex, 200, "application/octet-stream", content));

    Result r = cli("download", "exp_1", "-o", dir.toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(sha256(Files.readAllBytes(dir.resolve("orders.csv.gz")))).isEqualTo(sha256(content));
    assertThat(r.err())
        .isEqualTo(
            "dbsnap: saved orders.csv.gz (3.0 MiB, sha256 verified) to "
                + dir.resolve("orders.csv.gz")
                + "\n");
    Recorded download = server.requests.get(1);
    assertThat(download.uri()).isEqualTo("/v1/exports/exp_1/download?object=orders.csv.gz");
    assertThat(download.headers().containsKey("Range")).isFalse();
    assertThat(download.authorization()).isEqualTo("Bearer " + TOKEN);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).as("no temporary file is left").hasSize(1);
    }
  }

  @Test
  void a_download_that_does_not_match_its_sha256_fails_and_leaves_no_file() throws IOException {
    ObjectNode doc = job("exp_1", "succeeded");
    addObject(doc, "orders.csv.gz", "the listed bytes".getBytes(StandardCharsets.UTF_8));
    server.on("GET", "/v1/exports/exp_1", json(200, doc));
    server.on(
        "GET",
        "/v1/exports/exp_1/download",
        ex ->
            respond(
                ex,
                200,
                "application/octet-stream",
                "the other bytes!".getBytes(StandardCharsets.UTF_8)));

    Result r =
        cli("download", "exp_1", "--object", "orders.csv.gz", "-o", dir.resolve("x.gz").toString());

    assertThat(
            assertOneLineError(
                r,
                ErrorCode.VERIFY_FAILED,
                "dbsnap: object orders.csv.gz of export exp_1 arrived as 16 bytes"))
        .contains(
            "but the export lists 16 bytes with sha256 "
                + sha256("the listed bytes".getBytes(StandardCharsets.UTF_8)));
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void a_redirect_is_followed_without_the_authorization_header() throws Exception {
    byte[] content = "id,name\n1,a\n".getBytes(StandardCharsets.UTF_8);
    try (FakeServer store = new FakeServer()) {
      store.on(
          "GET", "/bucket/exports/exp_1/orders.csv", ex -> respond(ex, 200, "text/csv", content));
      ObjectNode doc = job("exp_1", "succeeded");
      addObject(doc, "orders.csv", content);
      server.on("GET", "/v1/exports/exp_1", json(200, doc));
      String presigned =
          store.url()
              + "/bucket/exports/exp_1/orders.csv?X-Amz-Signature=s3cr3tsig&X-Amz-Expires=900";
      server.on(
          "GET",
          "/v1/exports/exp_1/download",
          ex -> {
            ex.getResponseHeaders().add("Location", presigned);
            ex.sendResponseHeaders(302, -1);
            ex.close();
          });

      Result r = cli("download", "exp_1", "-o", dir.resolve("o.csv").toString());

      assertThat(r.code()).as(r.err()).isZero();
      assertThat(Files.readAllBytes(dir.resolve("o.csv"))).isEqualTo(content);
      assertThat(server.requests)
          .allSatisfy(q -> assertThat(q.authorization()).isEqualTo("Bearer " + TOKEN));
      Recorded fetched = store.only("GET");
      assertThat(fetched.uri())
          .isEqualTo(
              "/bucket/exports/exp_1/orders.csv?X-Amz-Signature=s3cr3tsig&X-Amz-Expires=900");
      assertThat(fetched.authorization()).isNull();
      assertThat(r.err()).doesNotContain("s3cr3tsig");
    }
  }

  @Test
  void a_refused_presigned_url_is_a_store_error_that_hides_the_signature() throws Exception {
    try (FakeServer store = new FakeServer()) {
      store.on(
          "GET",
          "/b/k",
          ex -> respond(ex, 403, "application/xml", "<Error>Request has expired</Error>"));
      server.on("GET", "/v1/exports/exp_1", json(200, job("exp_1", "succeeded")));
      server.on(
          "GET",
          "/v1/exports/exp_1/download",
          ex -> {
            ex.getResponseHeaders().add("Location", store.url() + "/b/k?X-Amz-Signature=s3cr3tsig");
            ex.sendResponseHeaders(302, -1);
            ex.close();
          });

      Result r = cli("download", "exp_1", "-o", dir.resolve("z.zip").toString());

      assertThat(
              assertOneLineError(
                  r,
                  ErrorCode.STORE_UNAVAILABLE,
                  "dbsnap: the object store at 127.0.0.1 answered HTTP 403"))
          .doesNotContain("s3cr3tsig");
    }
  }

  @Test
  void several_objects_download_as_one_zip_checked_entry_by_entry() throws Exception {
    Map<String, byte[]> objects =
        Map.of(
            "a.csv",
            "1,2\n".getBytes(StandardCharsets.UTF_8),
            "b.csv",
            "3,4\n".getBytes(StandardCharsets.UTF_8));
    ObjectNode doc = job("exp_1", "succeeded");
    objects.forEach((k, v) -> addObject(doc, k, v));
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(zip)) {
      for (var e : objects.entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue());
      }
      z.putNextEntry(new ZipEntry("manifest.json"));
      z.write("{}".getBytes(StandardCharsets.UTF_8));
    }
    server.on("GET", "/v1/exports/exp_1", json(200, doc));
    server.on(
        "GET",
        "/v1/exports/exp_1/download",
        ex -> respond(ex, 200, "application/zip", zip.toByteArray()));

    Result r = cli("download", "exp_1", "-o", dir.toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("exp_1.zip"))).isEqualTo(zip.toByteArray());
    assertThat(r.err()).contains("sha256 of 2 objects verified");
    assertThat(server.requests.get(1).uri()).isEqualTo("/v1/exports/exp_1/download");
  }

  @Test
  void a_download_before_the_export_finished_is_a_conflict() {
    server.on("GET", "/v1/exports/exp_1", json(200, job("exp_1", "running")));
    server.on(
        "GET",
        "/v1/exports/exp_1/download",
        ex ->
            respond(
                ex,
                409,
                "application/problem+json",
                "{\"status\":409,\"detail\":\"export exp_1 is running; download it once it has succeeded\"}"));

    assertOneLineError(
        cli("download", "exp_1", "-o", dir.toString()),
        ErrorCode.CONFLICT,
        "dbsnap: export exp_1 is running; download it once it has succeeded");
  }

  @Test
  void a_download_to_standard_output_is_the_object_itself() {
    byte[] content = "x,y\n".getBytes(StandardCharsets.UTF_8);
    ObjectNode doc = job("exp_1", "succeeded");
    addObject(doc, "t.csv", content);
    server.on("GET", "/v1/exports/exp_1", json(200, doc));
    server.on("GET", "/v1/exports/exp_1/download", ex -> respond(ex, 200, "text/csv", content));

    Result r = cli("download", "exp_1", "-o", "-");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("x,y\n");
    assertThat(r.err()).isEmpty();
  }

  // --- the command line, run in-process ---

  Result cli(String command, String... args) {
    List<String> all = new ArrayList<>(List.of("export", command));
    all.addAll(List.of(args));
    all.addAll(List.of("--server", server.url(), "--token", TOKEN));
    return run(all.toArray(String[]::new));
  }

  /** Runs the command line like {@link CliTest#run}, and checks that the token never shows. */
  static Result run(String... args) {
    Result r = CliTest.run(args);
    assertThat(r.out() + r.err()).as("output").doesNotContain(TOKEN);
    return r;
  }

  /** The run failed with {@code code}, saying so in one line that starts with {@code expected}. */
  static String assertOneLineError(Result r, ErrorCode code, String expected) {
    assertThat(r.code()).as("exit code; stderr: %s", r.err()).isEqualTo(code.exitCode());
    assertThat(r.err().lines().filter(l -> !l.isBlank()).toList())
        .as("stderr")
        .singleElement()
        .asString()
        .startsWith(expected);
    return r.err().strip();
  }

  // --- canned documents in the API's wire format ---

  static ObjectNode job(String id, String status) {
    return job(id, status, null, 0, 0, 0, 0);
  }

  static ObjectNode job(
      String id, String status, String table, int done, int total, long rows, long bytes) {
    ObjectNode doc = JobJson.MAPPER.createObjectNode();
    doc.put("id", id).put("source", "demo").put("status", status);
    ObjectNode request = doc.putObject("request").put("format", "csv").put("compression", "gzip");
    request.putArray("tables");
    request.putArray("excludeTables");
    request.put("partSize", 8 << 20).putNull("callbackUrl");
    doc.put("createdAt", "2026-01-01T00:00:00Z")
        .putNull("startedAt")
        .put("updatedAt", "2026-01-01T00:00:01Z")
        .putNull("finishedAt")
        .put("attempts", 1)
        .put("cancelRequested", false);
    doc.putObject("progress")
        .put("tablesDone", done)
        .put("tablesTotal", total)
        .put("currentTable", table)
        .put("rows", rows)
        .put("bytes", bytes)
        .put("parts", 0)
        .put("rowEstimate", -1)
        .put("rowsPerSecond", 0.0);
    String self = "/v1/exports/" + id;
    doc.putObject("links")
        .put("self", self)
        .put("download", self + "/download")
        .put("cancel", self);
    return doc;
  }

  static void addObject(ObjectNode doc, String key, byte[] content) {
    ArrayNode objects =
        doc.has("objects") ? (ArrayNode) doc.get("objects") : doc.putArray("objects");
    objects
        .addObject()
        .put("key", key)
        .put("bytes", content.length)
        .put("sha256", sha256(content))
        .put("download", "/v1/exports/" + doc.path("id").asText() + "/download?object=" + key);
  }

  static ObjectNode table(String name) {
    return JobJson.MAPPER
        .createObjectNode()
        .put("name", name)
        .put("object", name + ".csv.gz")
        .put("rows", 1000)
        .put("consistent", true);
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  // --- a real HTTP server on 127.0.0.1 ---

  interface Responder {
    void respond(HttpExchange exchange) throws IOException;
  }

  record Recorded(String method, String uri, com.sun.net.httpserver.Headers headers, byte[] body) {
    String authorization() {
      return headers.getFirst("Authorization");
    }
  }

  static Responder json(int status, JsonNode doc) {
    return ex -> respond(ex, status, "application/json", doc.toString());
  }

  /** Answers with each document in turn, then the last one again. */
  static Responder sequence(JsonNode... docs) {
    AtomicInteger next = new AtomicInteger();
    return ex ->
        respond(
            ex,
            200,
            "application/json",
            docs[Math.min(next.getAndIncrement(), docs.length - 1)].toString());
  }

  static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
    respond(ex, status, type, body.getBytes(StandardCharsets.UTF_8));
  }

  static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().add("Content-Type", type);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  static final class FakeServer implements AutoCloseable {
    final HttpServer http;
    final List<Recorded> requests = new CopyOnWriteArrayList<>();
    final Map<String, Responder> routes = new ConcurrentHashMap<>();

    FakeServer() throws IOException {
      http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      http.createContext(
          "/",
          ex -> {
            requests.add(
                new Recorded(
                    ex.getRequestMethod(),
                    ex.getRequestURI().toString(),
                    ex.getRequestHeaders(),
                    ex.getRequestBody().readAllBytes()));
            Responder r = routes.get(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
            if (r == null) {
              respond(
                  ex,
                  404,
                  "application/problem+json",
                  "{\"status\":404,\"detail\":\"no route in the test server\"}");
            } else {
              r.respond(ex);
            }
          });
      http.start();
    }

    void on(String method, String path, Responder responder) {
      routes.put(method + " " + path, responder);
    }

    String url() {
      return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    Recorded only(String method) {
      List<Recorded> matching = requests.stream().filter(r -> r.method().equals(method)).toList();
      assertThat(matching).as(method + " requests").hasSize(1);
      return matching.get(0);
    }

    long count(String method) {
      return requests.stream().filter(r -> r.method().equals(method)).count();
    }

    @Override
    public void close() {
      http.stop(0);
    }
  }
}
