package dev.dbsnap.http;

import static dev.dbsnap.http.ApiFixture.ADMIN;
import static dev.dbsnap.http.ApiFixture.OTHER;
import static dev.dbsnap.http.ApiFixture.assertProblem;
import static dev.dbsnap.http.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bad input gets its status and a problem document naming the field. No workers run here, so
 * submitted jobs stay queued.
 */
class ApiBadInputTest {
  private static final String EXPORTS = "/v1/sources/demo/exports";
  @TempDir static Path dir;
  static ApiFixture api;
  static String queued;

  @BeforeAll
  static void start() throws Exception {
    api = ApiFixture.start(dir, 0);
    queued = api.start("demo", "{}").path("id").asText();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  private static String concrete(String template) {
    return template
        .replace("{source}", "demo")
        .replace("{id}", queued)
        .replace("{table}", "customers");
  }

  @Test
  void every_authenticated_route_refuses_a_missing_or_wrong_token() throws Exception {
    for (Route route : Route.values()) {
      if (!route.authenticated) {
        continue;
      }
      for (String authorization :
          new String[] {
            null, "Bearer wrong-token", "Basic YWRtaW46YWRtaW4=", "Bearer ", "Bearer"
          }) {
        HttpRequest.Builder b =
            api.request(concrete(route.path), null)
                .method(route.method.name(), HttpRequest.BodyPublishers.ofString("{}"))
                .header("Content-Type", "application/json");
        if (authorization != null) {
          b.header("Authorization", authorization);
        }
        HttpResponse<byte[]> r = api.send(b.build());
        assertProblem(r, 401, null);
        assertThat(r.headers().firstValue("WWW-Authenticate"))
            .as(route + " " + authorization)
            .hasValue("Bearer");
        assertThat(json(r).properties())
            .extracting(java.util.Map.Entry::getKey)
            .containsOnly("type", "title", "status", "detail", "instance");
      }
    }
  }

  @Test
  void a_token_sees_nothing_of_sources_it_may_not_use() throws Exception {
    assertProblem(api.post(EXPORTS, OTHER, "{}"), 403, "source");
    assertProblem(api.get("/v1/sources/demo/dump", OTHER), 403, "source");
    assertProblem(api.get("/v1/exports?source=demo", OTHER), 403, "source");
    HttpResponse<byte[]> hidden = api.get("/v1/exports/" + queued, OTHER);
    HttpResponse<byte[]> unknown = api.get("/v1/exports/exp_00000000000000000000000000", OTHER);
    assertProblem(hidden, 404, null);
    assertProblem(unknown, 404, null);
    assertThat(json(hidden).path("detail").asText().replace(queued, "X"))
        .isEqualTo(
            json(unknown).path("detail").asText().replace("exp_00000000000000000000000000", "X"));
    assertProblem(api.delete("/v1/exports/" + queued, OTHER), 404, null);
    assertProblem(api.get("/v1/exports/" + queued + "/download", OTHER), 404, null);
    assertThat(json(api.get("/v1/exports", OTHER)).path("exports")).isEmpty();
  }

  @Test
  void unknown_sources_jobs_and_routes_are_404_and_wrong_methods_405() throws Exception {
    assertProblem(api.post("/v1/sources/nope/exports", ADMIN, "{}"), 404, "source");
    assertProblem(api.get("/v1/exports/exp_00000000000000000000000000", ADMIN), 404, null);
    assertProblem(api.get("/v1/nothing-here", ADMIN), 404, null);
    assertProblem(api.get("/", null), 404, null);
    HttpResponse<byte[]> put =
        api.send(
            api.request("/v1/exports/" + queued, ADMIN)
                .PUT(HttpRequest.BodyPublishers.ofString("{}"))
                .build());
    assertProblem(put, 405, null);
    assertThat(put.headers().firstValue("Allow")).hasValue("GET, DELETE");
  }

  @Test
  void a_malformed_oversized_or_non_json_body_is_refused() throws Exception {
    JsonNode malformed =
        assertProblem(
            api.post(EXPORTS, ADMIN, "{\"format\": \"csv\",\n  \"tables\": [}"), 400, null);
    assertThat(malformed.path("detail").asText()).contains("line 2, column");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"format\":\"csv\",\"format\":\"sql\"}"), 400, null);
    assertProblem(api.post(EXPORTS, ADMIN, "{} {}"), 400, null);
    assertProblem(api.post(EXPORTS, ADMIN, "[".repeat(2000) + "]".repeat(2000)), 400, null);

    String big = "{\"tables\":[" + "\"x\",".repeat(ApiFixture.MAX_BODY / 4) + "\"x\"]}";
    assertProblem(api.post(EXPORTS, ADMIN, big), 413, null);
    HttpResponse<byte[]> chunked =
        api.send(
            api.request(EXPORTS, ADMIN)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                .build());
    assertProblem(chunked, 413, null);

    HttpResponse<byte[]> text =
        api.send(
            api.request(EXPORTS, ADMIN)
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("format=csv"))
                .build());
    assertProblem(text, 415, null);
  }

  @Test
  void each_bad_field_is_named_in_a_422() throws Exception {
    assertProblem(api.post(EXPORTS, ADMIN, "{\"format\":\"xml\"}"), 422, "format");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"format\":5}"), 422, "format");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"compression\":\"rar\"}"), 422, "compression");
    assertThat(
            assertProblem(
                    api.post(EXPORTS, ADMIN, "{\"tables\":[\"customers\",\"nope\"]}"), 422, null)
                .path("field")
                .asText())
        .startsWith("tables");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"tables\":\"customers\"}"), 422, "tables");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"tables\":[1]}"), 422, "tables[0]");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"partSize\":\"1MiB\"}"), 422, "partSize");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"partSize\":1048576}"), 422, "partSize");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"partSize\":8388608.5}"), 422, "partSize");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"partSize\":\"3TiB\"}"), 422, "partSize");
    assertProblem(
        api.post(EXPORTS, ADMIN, "{\"partSize\":\"99999999999999999999GiB\"}"), 422, "partSize");
    assertProblem(
        api.post(EXPORTS, ADMIN, "{\"callbackUrl\":\"ftp://example.com/x\"}"), 422, "callbackUrl");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"colour\":\"blue\"}"), 422, "colour");
    assertProblem(
        api.post(EXPORTS, ADMIN, "{}", "Idempotency-Key", "k".repeat(256)), 422, "Idempotency-Key");
    assertProblem(api.get("/v1/exports?limit=0", ADMIN), 422, "limit");
    assertProblem(api.get("/v1/exports?limit=201", ADMIN), 422, "limit");
    assertProblem(api.get("/v1/exports?limit=ten", ADMIN), 422, "limit");
    assertProblem(api.get("/v1/exports?status=done", ADMIN), 422, "status");
    assertProblem(api.get("/v1/exports?cursor=not-a-cursor", ADMIN), 422, "cursor");

    JsonNode sized =
        json(api.post(EXPORTS, ADMIN, "{\"partSize\":\"8MiB\",\"compression\":\"zstd\"}"));
    assertThat(sized.path("request").path("partSize").asLong()).isEqualTo(8L << 20);
    assertThat(sized.path("request").path("compression").asText()).isEqualTo("zstd");
  }

  @Test
  void jobs_out_of_range_or_with_sql_is_named_in_a_422_and_a_good_count_is_kept() throws Exception {
    assertProblem(api.post(EXPORTS, ADMIN, "{\"jobs\":0}"), 422, "jobs");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"jobs\":17}"), 422, "jobs");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"jobs\":2.5}"), 422, "jobs");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"jobs\":\"2\"}"), 422, "jobs");
    JsonNode sql = json(api.post(EXPORTS, ADMIN, "{\"format\":\"sql\",\"jobs\":2}"));
    assertThat(sql.path("request").path("jobs").asInt()).isEqualTo(2);
    JsonNode job = json(api.post(EXPORTS, ADMIN, "{\"format\":\"jsonl\",\"jobs\":3}"));
    assertThat(job.path("request").path("jobs").asInt()).isEqualTo(3);
    JsonNode plain = json(api.post(EXPORTS, ADMIN, "{\"format\":\"csv\"}"));
    assertThat(plain.path("request").path("jobs").asInt()).isEqualTo(1);
  }

  @Test
  void schema_options_must_be_booleans_and_are_kept() throws Exception {
    assertProblem(api.post(EXPORTS, ADMIN, "{\"noOwner\":\"yes\"}"), 422, "noOwner");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"noPrivileges\":1}"), 422, "noPrivileges");
    assertProblem(api.post(EXPORTS, ADMIN, "{\"skipUnsupported\":[]}"), 422, "skipUnsupported");
    JsonNode job =
        json(
            api.post(
                EXPORTS,
                ADMIN,
                "{\"noOwner\":true,\"noPrivileges\":true,\"skipUnsupported\":true}"));
    assertThat(job.path("request").path("noOwner").asBoolean()).isTrue();
    assertThat(job.path("request").path("noPrivileges").asBoolean()).isTrue();
    assertThat(job.path("request").path("skipUnsupported").asBoolean()).isTrue();
    JsonNode plain = json(api.post(EXPORTS, ADMIN, "{\"noOwner\":null}"));
    assertThat(plain.path("request").path("noOwner").asBoolean()).isFalse();
    assertThat(plain.path("request").path("skipUnsupported").asBoolean()).isFalse();
  }

  /** Regression: the API read "64MB" as 64,000,000 bytes where the command line read 64 MiB. */
  @Test
  void part_size_64MB_is_64_MiB_as_on_the_command_line() throws Exception {
    for (String size : new String[] {"\"64MB\"", "\"64 mb\"", "\"64M\"", "\"64MiB\"", "67108864"}) {
      JsonNode job = json(api.post(EXPORTS, ADMIN, "{\"partSize\":" + size + "}"));
      assertThat(job.path("request").path("partSize").asLong()).as(size).isEqualTo(67_108_864L);
    }
    JsonNode six = json(api.post(EXPORTS, ADMIN, "{\"partSize\":\"6MB\"}"));
    assertThat(six.path("request").path("partSize").asLong()).isEqualTo(6_291_456L);
    assertThat(
            assertProblem(api.post(EXPORTS, ADMIN, "{\"partSize\":\"4MB\"}"), 422, "partSize")
                .path("detail")
                .asText())
        .isEqualTo("part size 4194304 is below the 5 MiB minimum (5242880 bytes)");
  }

  @Test
  void a_callback_to_a_loopback_address_is_refused_when_not_allow_listed() throws Exception {
    assertProblem(
        api.post(EXPORTS, ADMIN, "{\"callbackUrl\":\"http://127.0.0.1:9/hook\"}"),
        422,
        "callbackUrl");
    assertProblem(
        api.post(EXPORTS, ADMIN, "{\"callbackUrl\":\"http://localhost:9/hook\"}"),
        422,
        "callbackUrl");
  }

  @Test
  void a_job_that_has_not_succeeded_cannot_be_downloaded_and_a_finished_one_not_cancelled()
      throws Exception {
    String id = api.start("demo", "{\"format\":\"jsonl\"}").path("id").asText();
    assertProblem(api.get("/v1/exports/" + id + "/download", ADMIN), 409, null);
    HttpResponse<byte[]> cancelled = api.delete("/v1/exports/" + id, ADMIN);
    assertThat(cancelled.statusCode()).isEqualTo(202);
    assertThat(json(cancelled).path("status").asText()).isEqualTo("cancelled");
    assertProblem(api.delete("/v1/exports/" + id, ADMIN), 409, null);
    assertProblem(api.get("/v1/exports/" + id + "/download", ADMIN), 409, null);
  }

  @Test
  void no_odd_input_produces_a_500() throws Exception {
    String longId = "exp_" + "a".repeat(5000);
    List<HttpRequest> requests = new ArrayList<>();
    for (String path :
        List.of(
            "/v1/exports/" + queued + "/download?object=../x",
            "/v1/exports/" + queued + "/download?object=%2e%2e%2fmanifest.json",
            "/v1/exports/" + longId,
            "/v1/exports/" + longId + "/download",
            "/v1/exports/%E2%98%83",
            "/v1/exports/%00",
            "/v1/exports/..%2F..%2Fetc",
            "/v1/exports//download",
            "/v1/exports/",
            "/v1/sources/%E2%98%83/dump",
            "/v1/sources/demo/dump?tables=,,,",
            "/v1/sources/demo/dump?tables=a%00b",
            "/v1/sources/demo/dump?format=%ff",
            "/v1/sources/demo/dump?tables=%E2%98%83",
            "/v1/exports?limit=99999999999999999999",
            "/v1/exports?status=%00",
            "/v1/exports?cursor=" + "z".repeat(3000),
            "/v1/exports?source=%E2%98%83",
            "/v1/exports?cursor=%ff%fe",
            "/v1/sources/demo/exports")) {
      requests.add(api.request(path, ADMIN).GET().build());
    }
    List<byte[]> bodies = new ArrayList<>();
    for (String body :
        List.of(
            "",
            "null",
            "[]",
            "\"x\"",
            "17",
            "{\"format\":null}",
            "{\"tables\":[null]}",
            "{\"partSize\":1e400}",
            "{\"partSize\":-1}",
            "{\"partSize\":99999999999999999999999}",
            "{\"partSize\":true}",
            "{\"partSize\":\"\"}",
            "{\"callbackUrl\":\"http://[::1\"}",
            "{\"callbackUrl\":\"http://%zz/\"}",
            "{\"tables\":[\"\\u2603\",\"a\\u0000b\"]}",
            "{\"excludeTables\":[\"nope\"]}",
            "{\"format\":\"\\ud800\"}")) {
      bodies.add(body.getBytes(StandardCharsets.UTF_8));
    }
    bodies.add(new byte[] {'{', '"', (byte) 0xff, (byte) 0xfe, '"', ':', '1', '}'});
    for (byte[] body : bodies) {
      requests.add(
          api.request(EXPORTS, ADMIN)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofByteArray(body))
              .build());
    }
    requests.add(api.request(EXPORTS, ADMIN).POST(HttpRequest.BodyPublishers.noBody()).build());
    requests.add(
        api.request(EXPORTS, ADMIN)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("Idempotency-Key", "")
            .POST(HttpRequest.BodyPublishers.ofString("{}"))
            .build());
    requests.add(
        api.request("/v1/exports/" + queued, ADMIN)
            .method("PATCH", HttpRequest.BodyPublishers.noBody())
            .build());
    requests.add(
        api.request("/v1/exports/" + queued, ADMIN)
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .build());
    requests.add(
        api.request("/v1/exports", ADMIN)
            .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
            .build());
    requests.add(
        api.request("/v1/exports", null)
            .header("Authorization", "Bearer " + "t".repeat(6000))
            .GET()
            .build());
    for (HttpRequest request : requests) {
      HttpResponse<byte[]> r = api.send(request);
      assertThat(r.statusCode())
          .as("%s %s: %s", request.method(), request.uri(), new String(r.body()))
          .isLessThan(500);
      if (r.statusCode() >= 400 && !request.method().equals("HEAD")) {
        assertThat(r.headers().firstValue("Content-Type"))
            .as(request.uri().toString())
            .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
      }
    }
    for (String target :
        List.of(
            "/v1/exports/%zz",
            "/v1/exports/%",
            "/v1/../../etc/passwd",
            "*",
            "/healthz?%",
            "/v1/exports?limit=%zz",
            "/v1/sources/demo/dump?format=%zz",
            "/v1/exports?status=%",
            "/v1/sources/demo/dump?tables=%e2%98")) {
      assertThat(rawStatus("GET " + target + " HTTP/1.1")).as(target).isLessThan(500);
    }
  }

  /**
   * The status a request line gets, sent on a socket: the JDK client refuses to send malformed
   * URIs.
   */
  private static int rawStatus(String requestLine) throws Exception {
    try (java.net.Socket socket = new java.net.Socket(api.base.getHost(), api.base.getPort())) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              (requestLine
                      + "\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                      + ADMIN
                      + "\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      String status =
          new java.io.BufferedReader(
                  new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
              .readLine();
      assertThat(status).as(requestLine).startsWith("HTTP/1.1 ");
      return Integer.parseInt(status.substring(9, 12));
    }
  }
}
