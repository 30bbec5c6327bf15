package dev.dbsnap.http;

import static dev.dbsnap.http.ApiFixture.ADMIN;
import static dev.dbsnap.http.ApiFixture.OTHER;
import static dev.dbsnap.http.ApiFixture.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/sources/{source}/dump} streams the same bytes a stored export holds. */
class ApiDumpTest {
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

  /** The objects of a finished export with 5 MiB parts, as the dump uses, by key. */
  private static Map<String, byte[]> exported(String format, String compression) throws Exception {
    JsonNode doc =
        api.start(
            "demo",
            "{\"format\":\""
                + format
                + "\",\"compression\":\""
                + compression
                + "\",\"partSize\":\"5MiB\"}");
    JsonNode done = api.awaitFinished(doc.path("id").asText());
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("succeeded");
    Map<String, byte[]> objects = new LinkedHashMap<>();
    for (JsonNode o : done.path("objects")) {
      objects.put(o.path("key").asText(), api.get(o.path("download").asText(), ADMIN).body());
    }
    return objects;
  }

  @Test
  void a_sql_dump_streams_the_bytes_of_an_exported_script() throws Exception {
    Map<String, byte[]> objects = exported("sql", "none");
    HttpResponse<byte[]> dump = api.get("/v1/sources/demo/dump?format=sql", ADMIN);
    assertThat(dump.statusCode()).isEqualTo(200);
    assertThat(dump.headers().firstValue("Content-Type")).hasValue("application/sql");
    assertThat(dump.headers().firstValue("Content-Length")).isEmpty();
    assertThat(dump.headers().firstValue("Content-Disposition"))
        .hasValueSatisfying(
            d -> assertThat(d).startsWith("attachment; filename=\"demo-").endsWith(".sql\""));
    assertThat(objects).containsOnlyKeys("dump.sql");
    assertThat(dump.body()).isEqualTo(objects.get("dump.sql"));
  }

  @Test
  void a_csv_dump_of_several_tables_streams_a_zip_of_the_exported_objects() throws Exception {
    Map<String, byte[]> objects = exported("csv", "gzip");
    HttpResponse<byte[]> dump = api.get("/v1/sources/demo/dump?format=csv&compression=gzip", ADMIN);
    assertThat(dump.statusCode()).isEqualTo(200);
    assertThat(dump.headers().firstValue("Content-Type")).hasValue("application/zip");
    Map<String, byte[]> entries = ApiExportFlowTest.unzip(dump.body());
    assertThat(entries.keySet()).containsExactlyElementsOf(objects.keySet());
    objects.forEach((key, bytes) -> assertThat(entries.get(key)).as(key).isEqualTo(bytes));

    HttpResponse<byte[]> one =
        api.get("/v1/sources/demo/dump?format=csv&compression=gzip&tables=orders", ADMIN);
    assertThat(one.headers().firstValue("Content-Type")).hasValue("application/gzip");
    assertThat(one.body()).isEqualTo(objects.get("orders.csv.gz"));
  }

  @Test
  void a_dump_refuses_bad_parameters_and_other_sources() throws Exception {
    assertProblem(api.get("/v1/sources/demo/dump?tables=customers,nope", ADMIN), 422, "tables");
    assertProblem(api.get("/v1/sources/demo/dump?format=xml", ADMIN), 422, "format");
    assertProblem(api.get("/v1/sources/demo/dump?compression=rar", ADMIN), 422, "compression");
    assertProblem(api.get("/v1/sources/demo/dump", OTHER), 403, null);
    assertProblem(api.get("/v1/sources/nope/dump", ADMIN), 404, null);
    assertProblem(api.get("/v1/sources/demo/dump", null), 401, null);
  }
}
