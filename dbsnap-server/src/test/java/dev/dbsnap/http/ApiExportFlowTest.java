package dev.dbsnap.http;

import static dev.dbsnap.http.ApiFixture.ADMIN;
import static dev.dbsnap.http.ApiFixture.OTHER;
import static dev.dbsnap.http.ApiFixture.assertProblem;
import static dev.dbsnap.http.ApiFixture.json;
import static dev.dbsnap.http.ApiFixture.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.export.Manifest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start, poll and download exports over real HTTP, with workers running them. */
class ApiExportFlowTest {
  @TempDir static Path dir;
  static ApiFixture api;

  @BeforeAll
  static void start() throws Exception {
    api = ApiFixture.start(dir, 2);
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @Test
  void an_export_starts_runs_and_downloads_with_range_etag_and_not_modified() throws Exception {
    String body = "{\"format\":\"csv\",\"tables\":[\"customers\"]}";
    HttpResponse<byte[]> created =
        api.post("/v1/sources/demo/exports", ADMIN, body, "Idempotency-Key", "flow-1");
    assertThat(created.statusCode()).as(new String(created.body())).isEqualTo(202);
    JsonNode doc = json(created);
    String id = doc.path("id").asText();
    assertThat(created.headers().firstValue("Location")).hasValue("/v1/exports/" + id);
    assertThat(doc.path("status").asText()).isIn("queued", "running", "succeeded");
    assertThat(doc.path("links").path("self").asText()).isEqualTo("/v1/exports/" + id);
    assertThat(
            json(api.post("/v1/sources/demo/exports", ADMIN, body, "Idempotency-Key", "flow-1"))
                .path("id")
                .asText())
        .isEqualTo(id);

    JsonNode done = api.awaitFinished(id);
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("succeeded");
    JsonNode object = done.path("objects").get(0);
    assertThat(done.path("objects")).hasSize(1);
    String key = object.path("key").asText();
    String sha = object.path("sha256").asText();
    long length = object.path("bytes").asLong();
    assertThat(key).isEqualTo("customers.csv");

    HttpResponse<byte[]> whole = api.get("/v1/exports/" + id + "/download", ADMIN);
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(sha256(whole.body())).isEqualTo(sha);
    assertThat(whole.headers().firstValueAsLong("Content-Length")).hasValue(length);
    assertThat(whole.headers().firstValue("ETag")).hasValue("\"" + sha + "\"");
    assertThat(whole.headers().firstValue("Accept-Ranges")).hasValue("bytes");
    assertThat(whole.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/csv"));
    assertThat(whole.headers().firstValue("Content-Disposition"))
        .hasValue("attachment; filename=\"customers.csv\"");
    assertThat(api.get(object.path("download").asText(), ADMIN).body()).isEqualTo(whole.body());

    HttpResponse<byte[]> middle =
        api.get("/v1/exports/" + id + "/download", ADMIN, "Range", "bytes=10-19");
    assertThat(middle.statusCode()).isEqualTo(206);
    assertThat(middle.headers().firstValue("Content-Range")).hasValue("bytes 10-19/" + length);
    assertThat(middle.body()).isEqualTo(Arrays.copyOfRange(whole.body(), 10, 20));
    HttpResponse<byte[]> suffix =
        api.get("/v1/exports/" + id + "/download", ADMIN, "Range", "bytes=-5");
    assertThat(suffix.body())
        .isEqualTo(Arrays.copyOfRange(whole.body(), (int) length - 5, (int) length));
    HttpResponse<byte[]> tail =
        api.get("/v1/exports/" + id + "/download", ADMIN, "Range", "bytes=100-");
    assertThat(tail.statusCode()).isEqualTo(206);
    assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(whole.body(), 100, (int) length));
    HttpResponse<byte[]> outside =
        api.get("/v1/exports/" + id + "/download", ADMIN, "Range", "bytes=" + length + "-");
    assertProblem(outside, 416, null);
    assertThat(outside.headers().firstValue("Content-Range")).hasValue("bytes */" + length);
    HttpResponse<byte[]> staleIfRange =
        api.get(
            "/v1/exports/" + id + "/download",
            ADMIN,
            "Range",
            "bytes=0-9",
            "If-Range",
            "\"not-the-etag\"");
    assertThat(staleIfRange.statusCode()).isEqualTo(200);

    HttpResponse<byte[]> unchanged =
        api.get("/v1/exports/" + id + "/download", ADMIN, "If-None-Match", "\"" + sha + "\"");
    assertThat(unchanged.statusCode()).isEqualTo(304);
    assertThat(unchanged.body()).isEmpty();

    assertProblem(
        api.get("/v1/exports/" + id + "/download?object=../" + id + "/customers.csv", ADMIN),
        404,
        "object");
    assertProblem(
        api.get("/v1/exports/" + id + "/download?object=manifest.json", ADMIN), 404, "object");
    for (String range :
        List.of(
            "bytes=abc",
            "bytes=5-1",
            "bytes=99999999999999999999-",
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=-0",
            "bytes=-99999999999999999999")) {
      assertThat(api.get("/v1/exports/" + id + "/download", ADMIN, "Range", range).statusCode())
          .as(range)
          .isIn(200, 206, 416);
    }
    assertProblem(api.delete("/v1/exports/" + id, ADMIN), 409, null);
  }

  @Test
  void an_export_of_several_objects_downloads_as_one_zip_matching_the_manifest() throws Exception {
    String id =
        api.start("demo", "{\"format\":\"csv\",\"compression\":\"gzip\"}").path("id").asText();
    JsonNode done = api.awaitFinished(id);
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("succeeded");
    Map<String, String> expected = new LinkedHashMap<>();
    done.path("objects")
        .forEach(o -> expected.put(o.path("key").asText(), o.path("sha256").asText()));
    assertThat(expected).hasSize(3);

    HttpResponse<byte[]> zip = api.get("/v1/exports/" + id + "/download", ADMIN);
    assertThat(zip.statusCode()).isEqualTo(200);
    assertThat(zip.headers().firstValue("Content-Type")).hasValue("application/zip");
    assertThat(zip.headers().firstValue("Content-Length")).isEmpty();
    Map<String, byte[]> entries = unzip(zip.body());
    assertThat(entries.keySet())
        .containsExactlyElementsOf(concat(expected.keySet(), Manifest.FILE));
    expected.forEach((key, sha) -> assertThat(sha256(entries.get(key))).as(key).isEqualTo(sha));
    Manifest manifest = Manifest.read(new ByteArrayInputStream(entries.get(Manifest.FILE)));
    assertThat(manifest.objects())
        .extracting(Manifest.ObjectEntry::sha256)
        .containsExactlyElementsOf(expected.values());

    HttpResponse<byte[]> one =
        api.get("/v1/exports/" + id + "/download?object=orders.csv.gz", ADMIN);
    assertThat(one.headers().firstValue("Content-Type")).hasValue("application/gzip");
    assertThat(sha256(one.body())).isEqualTo(expected.get("orders.csv.gz"));
  }

  @Test
  void the_list_pages_newest_first_and_shows_a_token_only_its_sources() throws Exception {
    String first = api.start("demo", "{\"tables\":[\"orders\"]}").path("id").asText();
    String second = api.start("other", "{\"tables\":[\"orders\"]}").path("id").asText();
    api.awaitFinished(first);
    api.awaitFinished(second);

    JsonNode page = json(api.get("/v1/exports?limit=1", ADMIN));
    assertThat(page.path("exports")).hasSize(1);
    assertThat(page.path("exports").get(0).path("id").asText()).isEqualTo(second);
    String cursor = page.path("nextCursor").asText();
    assertThat(cursor).isNotEmpty();
    JsonNode next =
        json(
            api.get(
                "/v1/exports?limit=1&cursor=" + java.net.URLEncoder.encode(cursor, "UTF-8"),
                ADMIN));
    assertThat(next.path("exports").get(0).path("id").asText()).isEqualTo(first);

    List<String> otherSees = new ArrayList<>();
    json(api.get("/v1/exports?limit=200", OTHER))
        .path("exports")
        .forEach(e -> otherSees.add(e.path("source").asText()));
    assertThat(otherSees).isNotEmpty().containsOnly("other");
    JsonNode demoOnly = json(api.get("/v1/exports?source=demo&status=succeeded&limit=200", ADMIN));
    demoOnly
        .path("exports")
        .forEach(
            e -> {
              assertThat(e.path("source").asText()).isEqualTo("demo");
              assertThat(e.path("status").asText()).isEqualTo("succeeded");
            });
    assertProblem(api.get("/v1/exports/" + first, OTHER), 404, null);
    assertProblem(api.get("/v1/exports/" + first + "/download", OTHER), 404, null);
    assertProblem(api.delete("/v1/exports/" + first, OTHER), 404, null);
  }

  @Test
  void sources_lists_names_and_kinds_the_token_may_use_and_nothing_else() throws Exception {
    JsonNode all = json(api.get("/v1/sources", ADMIN));
    assertThat(all.toString())
        .isEqualTo(
            "[{\"name\":\"demo\",\"kind\":\"sqlite\"},{\"name\":\"other\",\"kind\":\"sqlite\"}]");
    assertThat(json(api.get("/v1/sources", OTHER)).toString())
        .isEqualTo("[{\"name\":\"other\",\"kind\":\"sqlite\"}]");
  }

  @Test
  void health_readiness_and_metrics_answer() throws Exception {
    HttpResponse<byte[]> health = api.get("/healthz", null);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(json(health).path("status").asText()).isEqualTo("ok");
    assertThat(api.get("/readyz", null).statusCode()).isEqualTo(200);
    api.get("/v1/exports/exp_nothing", ADMIN);
    String metrics = new String(api.get("/metrics", null).body());
    assertThat(metrics)
        .contains(
            "dbsnap_http_requests_total{method=\"GET\",route=\"/v1/exports/{id}\",status=\"404\"}")
        .contains("dbsnap_http_request_seconds_bucket")
        .contains("dbsnap_jobs");
  }

  @Test
  void readiness_names_an_unreachable_object_store() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("not-a-directory"), "x");
    try (dev.dbsnap.storage.ObjectStore broken =
        dev.dbsnap.s3.ObjectStores.open(
            dir.resolve("not-a-directory/store").toString(), dev.dbsnap.s3.S3Settings.DEFAULTS)) {
      ApiServer server =
          new ApiServer(
              api.config,
              api.jobs,
              api.snapshots.cache(),
              broken,
              new io.prometheus.metrics.model.registry.PrometheusRegistry(),
              java.time.Clock.systemUTC());
      int port = server.start();
      try {
        HttpResponse<byte[]> r =
            api.send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + "/readyz"))
                    .GET()
                    .build());
        JsonNode problem = assertProblem(r, 503, null);
        assertThat(problem.path("detail").asText())
            .contains("object store")
            .doesNotContain("control database")
            .doesNotContain("not-a-directory");
      } finally {
        server.stop();
      }
    }
  }

  static Map<String, byte[]> unzip(byte[] zip) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        entries.put(e.getName(), in.readAllBytes());
      }
    }
    return entries;
  }

  private static List<String> concat(java.util.Collection<String> keys, String last) {
    List<String> all = new ArrayList<>(keys);
    all.add(last);
    return all;
  }
}
