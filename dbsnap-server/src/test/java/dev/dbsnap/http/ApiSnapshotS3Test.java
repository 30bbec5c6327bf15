package dev.dbsnap.http;

import static dev.dbsnap.http.ApiFixture.ADMIN;
import static dev.dbsnap.http.ApiFixture.json;
import static dev.dbsnap.http.ApiFixture.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.testing.S3ProxyServer;
import dev.dbsnap.track.ChangeTracking;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots on an S3 store: the download URL is presigned, and the download route redirects. */
class ApiSnapshotS3Test {
  @TempDir static Path dir;
  static ApiFixture api;

  @BeforeAll
  static void start() throws Exception {
    S3ProxyServer s3 = S3ProxyServer.shared();
    api =
        ApiFixture.start(
            dir,
            0,
            "s3://" + s3.newBucket() + "/api",
            S3Settings.pathStyle(
                s3.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY));
    ChangeTracking.of(Source.parse(dir.resolve("demo.db").toString(), null, null))
        .install(TableSelection.ALL);
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @Test
  void the_download_url_is_presigned_and_the_download_route_redirects_to_the_bytes()
      throws Exception {
    HttpResponse<byte[]> r = api.get("/v1/sources/demo/tables/orders/snapshot?format=csv", ADMIN);
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    JsonNode s = json(r);
    assertThat(s.path("outcome").asText()).isEqualTo("built");

    URI url = URI.create(s.path("download").path("url").asText());
    assertThat(url.isAbsolute()).isTrue();
    assertThat(url.getQuery()).contains("X-Amz-Signature");
    HttpResponse<byte[]> bytes = api.send(HttpRequest.newBuilder(url).GET().build());
    assertThat(bytes.statusCode()).isEqualTo(200);
    assertThat(sha256(bytes.body())).isEqualTo(s.path("sha256").asText());
    assertThat(bytes.body().length).isEqualTo(s.path("bytes").asInt());

    HttpResponse<byte[]> redirect =
        api.get("/v1/sources/demo/tables/orders/snapshot/download?format=csv", ADMIN);
    assertThat(redirect.statusCode()).isEqualTo(302);
    URI location = URI.create(redirect.headers().firstValue("Location").orElseThrow());
    assertThat(location.getQuery()).contains("X-Amz-Signature");
    HttpResponse<byte[]> again = api.send(HttpRequest.newBuilder(location).GET().build());
    assertThat(sha256(again.body())).isEqualTo(s.path("sha256").asText());
  }
}
