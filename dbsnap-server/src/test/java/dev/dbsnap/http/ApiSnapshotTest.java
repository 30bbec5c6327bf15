package dev.dbsnap.http;

import static dev.dbsnap.http.ApiFixture.ADMIN;
import static dev.dbsnap.http.ApiFixture.OTHER;
import static dev.dbsnap.http.ApiFixture.assertProblem;
import static dev.dbsnap.http.ApiFixture.json;
import static dev.dbsnap.http.ApiFixture.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.track.ChangeTracking;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot routes on a local store, over the demo database with change tracking installed. */
class ApiSnapshotTest {
  static final String SNAPSHOT = "/v1/sources/demo/tables/customers/snapshot";

  @TempDir Path dir;
  ApiFixture api;

  ApiFixture start(ServerConfig.Snapshots settings, UnaryOperator<ObjectStore> snapshotStore)
      throws Exception {
    api =
        ApiFixture.start(
            dir,
            0,
            dir.resolve("store").toString(),
            S3Settings.DEFAULTS,
            Clock.systemUTC(),
            settings,
            snapshotStore);
    ChangeTracking.of(source()).install(TableSelection.ALL);
    return api;
  }

  ApiFixture start() throws Exception {
    return start(ServerConfig.Snapshots.DEFAULTS.withPartSize(64 * 1024), s -> s);
  }

  @AfterEach
  void stop() {
    if (api != null) {
      api.close();
    }
  }

  Source source() {
    return Source.parse(dir.resolve("demo.db").toString(), null, null);
  }

  void execute(String sql) throws Exception {
    try (Connection c = source().connectForWriting();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  JsonNode snapshot(String query) throws Exception {
    HttpResponse<byte[]> r = api.get(SNAPSHOT + query, ADMIN);
    assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    return json(r);
  }

  @Test
  void the_first_request_builds_and_the_second_is_a_hit_on_the_same_object() throws Exception {
    start();
    Instant before = Instant.now();
    JsonNode built = snapshot("?format=csv&compression=none");
    JsonNode hit = snapshot("");

    assertThat(built.path("outcome").asText()).isEqualTo("built");
    assertThat(hit.path("outcome").asText()).isEqualTo("hit");
    assertThat(hit.path("key").asText()).isEqualTo(built.path("key").asText());
    assertThat(hit.path("sha256").asText()).isEqualTo(built.path("sha256").asText());
    assertThat(built.path("source").asText()).isEqualTo("demo");
    assertThat(built.path("table").asText()).isEqualTo("customers");
    assertThat(built.path("version").isIntegralNumber()).as(built.toString()).isTrue();
    assertThat(built.path("format").asText()).isEqualTo("csv");
    assertThat(built.path("compression").asText()).isEqualTo("none");
    assertThat(built.path("rows").asLong()).isEqualTo(100);
    assertThat(built.path("key").asText()).startsWith("snapshots/demo/");
    assertThat(built.path("shape").asText()).matches("[0-9a-f]{12}");
    assertThat(Instant.parse(built.path("builtAt").asText()))
        .isAfterOrEqualTo(before.minusSeconds(1));
    JsonNode download = built.path("download");
    assertThat(download.path("url").asText())
        .isEqualTo(SNAPSHOT + "/download?format=csv&compression=none");
    assertThat(Instant.parse(download.path("expiresAt").asText()))
        .isBetween(before.plus(Duration.ofMinutes(9)), Instant.now().plus(Duration.ofMinutes(11)));
  }

  @Test
  void a_committed_insert_gives_a_new_version_whose_download_holds_the_row() throws Exception {
    start();
    JsonNode first = snapshot("");

    execute(
        "INSERT INTO customers (id, name, created_at) VALUES (100001, 'Snapshot Newcomer',"
            + " '2024-06-01T00:00:00Z')");
    JsonNode second = snapshot("");

    assertThat(second.path("outcome").asText()).isEqualTo("built");
    assertThat(second.path("version").asLong()).isGreaterThan(first.path("version").asLong());
    assertThat(second.path("rows").asLong()).isEqualTo(101);
    HttpResponse<byte[]> bytes = api.get(second.path("download").path("url").asText(), ADMIN);
    assertThat(bytes.statusCode()).isEqualTo(200);
    assertThat(new String(bytes.body(), StandardCharsets.UTF_8)).contains("Snapshot Newcomer");
    assertThat(sha256(bytes.body())).isEqualTo(second.path("sha256").asText());
  }

  @Test
  void a_build_not_ready_in_time_answers_202_and_its_location_answers_200_once_built()
      throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    start(ServerConfig.Snapshots.DEFAULTS.withPartSize(64 * 1024), s -> new HeldStore(s, gate));

    HttpResponse<byte[]> pending = api.get(SNAPSHOT + "?format=jsonl&wait=0s", ADMIN);

    assertThat(pending.statusCode()).as(new String(pending.body())).isEqualTo(202);
    String location = pending.headers().firstValue("Location").orElseThrow();
    assertThat(location).isEqualTo(SNAPSHOT + "?format=jsonl&wait=0s");
    assertThat(Integer.parseInt(pending.headers().firstValue("Retry-After").orElseThrow()))
        .isBetween(1, 5);
    assertThat(json(pending).path("status").asText()).isEqualTo("building");
    assertThat(api.get(location, ADMIN).statusCode()).isEqualTo(202); // still held

    gate.countDown();
    HttpResponse<byte[]> done = api.get(location.replace("wait=0s", "wait=30s"), ADMIN);
    assertThat(done.statusCode()).as(new String(done.body())).isEqualTo(200);
    assertThat(json(done).path("format").asText()).isEqualTo("jsonl");
    assertThat(json(done).path("outcome").asText()).isIn("joined", "hit");
    assertThat(api.get(location, ADMIN).statusCode()).isEqualTo(200);
  }

  @Test
  void the_local_download_is_immutable_with_etag_ranges_and_not_modified() throws Exception {
    start();
    JsonNode s = snapshot("?format=json");
    String url = s.path("download").path("url").asText();
    String etag = "\"" + s.path("sha256").asText() + "\"";

    HttpResponse<byte[]> whole = api.get(url, ADMIN);
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(sha256(whole.body())).isEqualTo(s.path("sha256").asText());
    assertThat(whole.body().length).isEqualTo(s.path("bytes").asInt());
    assertThat(whole.headers().firstValue("ETag")).hasValue(etag);
    assertThat(whole.headers().firstValue("Cache-Control"))
        .hasValue("public, max-age=31536000, immutable");
    assertThat(whole.headers().firstValue("Content-Length"))
        .hasValue(Long.toString(s.path("bytes").asLong()));
    assertThat(whole.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));

    HttpResponse<byte[]> part = api.get(url, ADMIN, "Range", "bytes=10-19");
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.body()).isEqualTo(Arrays.copyOfRange(whole.body(), 10, 20));
    assertThat(part.headers().firstValue("Content-Range"))
        .hasValue("bytes 10-19/" + whole.body().length);

    HttpResponse<byte[]> same = api.get(url, ADMIN, "If-None-Match", etag);
    assertThat(same.statusCode()).isEqualTo(304);
    assertThat(same.body()).isEmpty();
  }

  @Test
  void a_purge_answers_204_empties_the_list_and_the_next_request_builds() throws Exception {
    start();
    JsonNode first = snapshot("");

    assertThat(api.delete("/v1/sources/demo/tables/customers/snapshots", ADMIN).statusCode())
        .isEqualTo(204);

    JsonNode list = json(api.get("/v1/sources/demo/snapshots", ADMIN));
    assertThat(list.path("snapshots")).isEmpty();
    assertThat(api.store.head(first.path("key").asText())).isEmpty();
    assertThat(snapshot("").path("outcome").asText()).isEqualTo("built");
  }

  @Test
  void the_list_shows_each_snapshot_with_when_it_was_last_used() throws Exception {
    start();
    JsonNode customers = snapshot("");
    Instant beforeHit = Instant.now().minusSeconds(1);
    snapshot("");
    snapshot("?compression=gzip").path("key").asText();

    JsonNode list = json(api.get("/v1/sources/demo/snapshots", ADMIN)).path("snapshots");

    assertThat(list).hasSize(2);
    JsonNode csv = null;
    for (JsonNode item : list) {
      assertThat(item.path("table").asText()).isEqualTo("customers");
      assertThat(item.has("lastUsedAt")).isTrue();
      if (item.path("key").asText().equals(customers.path("key").asText())) {
        csv = item;
      }
    }
    assertThat(csv).isNotNull();
    assertThat(csv.path("sha256").asText()).isEqualTo(customers.path("sha256").asText());
    assertThat(csv.path("version").asLong()).isEqualTo(customers.path("version").asLong());
    assertThat(Instant.parse(csv.path("lastUsedAt").asText())).isAfterOrEqualTo(beforeHit);
  }

  @Test
  void bad_requests_are_problems_naming_their_field() throws Exception {
    start();
    assertProblem(api.get(SNAPSHOT + "?format=xml", ADMIN), 422, "format");
    assertProblem(api.get(SNAPSHOT + "?compression=rar", ADMIN), 422, "compression");
    assertProblem(api.get(SNAPSHOT + "?wait=6m", ADMIN), 422, "wait");
    assertProblem(api.get(SNAPSHOT + "?wait=soon", ADMIN), 422, "wait");
    assertProblem(api.get(SNAPSHOT + "?maxAge=old", ADMIN), 422, "maxAge");
    JsonNode unknown =
        assertProblem(api.get("/v1/sources/demo/tables/nope/snapshot", ADMIN), 422, "table");
    assertThat(unknown.path("type").asText()).endsWith("/unknown-table");
    assertProblem(api.get("/v1/sources/demo/tables/nope/snapshot/download", ADMIN), 422, "table");
    assertProblem(api.delete("/v1/sources/demo/tables/nope/snapshots", ADMIN), 422, "table");
    assertProblem(api.get(SNAPSHOT, OTHER), 403, "source");
    assertProblem(api.get(SNAPSHOT + "/download", OTHER), 403, "source");
    assertProblem(api.get("/v1/sources/demo/snapshots", OTHER), 403, "source");
    assertProblem(api.delete("/v1/sources/demo/tables/customers/snapshots", OTHER), 403, "source");
    assertProblem(api.get("/v1/sources/nope/tables/customers/snapshot", ADMIN), 404, "source");
    assertProblem(api.get(SNAPSHOT, null), 401, null);
    assertThat(api.get("/v1/sources/other/tables/customers/snapshot", OTHER).statusCode())
        .isEqualTo(200);
  }

  @Test
  void a_snapshot_over_max_bytes_is_a_413_naming_the_limit() throws Exception {
    start(ServerConfig.Snapshots.DEFAULTS.withPartSize(64 * 1024).withLimits(100, 0), s -> s);

    JsonNode problem = assertProblem(api.get(SNAPSHOT, ADMIN), 413, null);

    assertThat(problem.path("type").asText()).endsWith("/snapshot-too-large");
    assertThat(problem.path("detail").asText()).contains("100 bytes");
  }

  @Test
  void the_metrics_count_requests_by_outcome() throws Exception {
    start();
    snapshot("");
    snapshot("");
    api.get(SNAPSHOT + "/download", ADMIN);

    String metrics = new String(api.get("/metrics", null).body(), StandardCharsets.UTF_8);

    assertThat(metrics)
        .contains("dbsnap_snapshot_requests_total{outcome=\"built\"} 1.0")
        .contains("dbsnap_snapshot_requests_total{outcome=\"hit\"} 2.0")
        .contains("dbsnap_snapshot_requests_total{outcome=\"joined\"} 0.0")
        .contains("dbsnap_snapshot_builds_total 1.0")
        .contains("dbsnap_snapshot_build_seconds_count 1")
        .contains("dbsnap_snapshot_bytes_stored{source=\"demo\"}")
        .contains("dbsnap_snapshot_evictions_total")
        .contains("dbsnap_snapshot_purges_total")
        .contains("dbsnap_snapshot_wakeup_seconds");
  }

  /** Holds every snapshot upload until the gate opens, so that a build stays under way. */
  static final class HeldStore extends dev.dbsnap.storage.ForwardingObjectStore {
    private final CountDownLatch gate;

    HeldStore(ObjectStore delegate, CountDownLatch gate) {
      super(delegate);
      this.gate = gate;
    }

    private void hold() {
      try {
        if (!gate.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never opened the gate");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted at the gate", e);
      }
    }

    @Override
    public void put(String key, byte[] data) {
      hold();
      super.put(key, data);
    }

    @Override
    public MultipartUpload startMultipart(String key, int partSize) {
      hold();
      return super.startMultipart(key, partSize);
    }
  }
}
