package dev.dbsnap.http;

import static dev.dbsnap.http.ApiFixture.ADMIN;
import static dev.dbsnap.http.ApiFixture.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.testing.S3ProxyServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Downloads from an S3 store: a presigned redirect for one object, a ZIP through the server for
 * several.
 */
class ApiS3DownloadTest {
  @TempDir static Path dir;
  static ApiFixture api;

  @BeforeAll
  static void start() throws Exception {
    S3ProxyServer s3 = S3ProxyServer.shared();
    api =
        ApiFixture.start(
            dir,
            2,
            "s3://" + s3.newBucket() + "/api",
            S3Settings.pathStyle(
                s3.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY));
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @Test
  void one_object_redirects_to_a_presigned_url_that_downloads_it() throws Exception {
    String id =
        api.start("demo", "{\"format\":\"jsonl\",\"tables\":[\"orders\"]}").path("id").asText();
    JsonNode done = api.awaitFinished(id);
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("succeeded");
    JsonNode object = done.path("objects").get(0);

    HttpResponse<byte[]> redirect = api.get("/v1/exports/" + id + "/download", ADMIN);
    assertThat(redirect.statusCode()).isEqualTo(302);
    URI location = URI.create(redirect.headers().firstValue("Location").orElseThrow());
    assertThat(location.getQuery()).contains("X-Amz-Signature");
    HttpResponse<byte[]> bytes = api.send(HttpRequest.newBuilder(location).GET().build());
    assertThat(bytes.statusCode()).isEqualTo(200);
    assertThat(sha256(bytes.body())).isEqualTo(object.path("sha256").asText());
    assertThat(api.get(object.path("download").asText(), ADMIN).statusCode()).isEqualTo(302);
  }

  @Test
  void several_objects_stream_as_a_zip_through_the_server() throws Exception {
    String id =
        api.start("demo", "{\"format\":\"json\",\"compression\":\"zstd\"}").path("id").asText();
    JsonNode done = api.awaitFinished(id);
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("succeeded");

    HttpResponse<byte[]> zip = api.get("/v1/exports/" + id + "/download", ADMIN);
    assertThat(zip.statusCode()).isEqualTo(200);
    Map<String, byte[]> entries = ApiExportFlowTest.unzip(zip.body());
    assertThat(entries).hasSize(done.path("objects").size() + 1).containsKey(Manifest.FILE);
    done.path("objects")
        .forEach(
            o ->
                assertThat(sha256(entries.get(o.path("key").asText())))
                    .isEqualTo(o.path("sha256").asText()));
  }
}
