package dev.dbsnap.s3;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.ObjectStoreContractTest;
import dev.dbsnap.testing.S3ProxyServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class S3ObjectStoreTest extends ObjectStoreContractTest {
  private static final AtomicInteger RUNS = new AtomicInteger();

  private final S3ProxyServer server = S3ProxyServer.shared();
  // A nested prefix of its own per test, so that keys are exercised relative to a prefix.
  private final String location =
      "s3://" + server.bucket() + "/run-" + RUNS.incrementAndGet() + "/exports";

  private final List<ObjectStore> closeAfterwards = new ArrayList<>();

  @Override
  protected ObjectStore newStore() {
    return S3ObjectStore.open(
        location,
        S3Settings.pathStyle(
            server.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY),
        Map.of());
  }

  /** Opens a store that is closed after the test, on any location and settings. */
  private ObjectStore open(String location, S3Settings settings, Map<String, String> env) {
    ObjectStore store = S3ObjectStore.open(location, settings, env);
    closeAfterwards.add(store);
    return store;
  }

  @AfterEach
  void closeOthers() {
    closeAfterwards.forEach(ObjectStore::close);
  }

  @Test
  void check_access_passes_for_a_reachable_bucket() {
    store().checkAccess();
  }

  @Test
  void wrong_credentials_are_reported_as_an_unavailable_store() {
    S3Settings wrong =
        new S3Settings(server.endpoint().toString(), "us-east-1", true, "access", "not-the-secret");
    ObjectStore store = open(location, wrong, Map.of());

    assertThatThrownBy(store::checkAccess)
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("'" + server.bucket() + "'")
        .hasMessageContaining(server.endpoint().toString())
        .hasMessageContaining("denied")
        .hasMessageContaining("403");
  }

  @Test
  void wrong_credentials_are_reported_with_the_s3_error_code_when_the_response_has_one() {
    S3Settings wrong =
        new S3Settings(server.endpoint().toString(), "us-east-1", true, "nobody", "secret");
    ObjectStore store = open(location, wrong, Map.of());

    assertThatThrownBy(() -> store.put("x", new byte[1]))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("denied")
        .hasMessageContaining("S3 error InvalidAccessKeyId");
  }

  @Test
  void a_missing_bucket_is_reported_by_name() {
    ObjectStore store =
        open(
            "s3://no-such-bucket-here/p",
            S3Settings.pathStyle(
                server.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY),
            Map.of());

    assertThatThrownBy(store::checkAccess)
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("'no-such-bucket-here'")
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> store.put("k", new byte[1]))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("NoSuchBucket");
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void an_unreachable_endpoint_is_reported_as_an_unavailable_store() throws IOException {
    String closed = "http://127.0.0.1:" + closedPort();
    ObjectStore store =
        open(location, new S3Settings(closed, "us-east-1", true, "access", "secret"), Map.of());

    assertThatThrownBy(store::checkAccess)
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("cannot reach " + closed)
        .hasMessageContaining("'" + server.bucket() + "'");
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void a_part_that_cannot_be_uploaded_after_the_retries_is_reported_with_its_key_and_number()
      throws IOException {
    String closed = "http://127.0.0.1:" + closedPort();
    S3ObjectStore store =
        S3ObjectStore.open(
            location, new S3Settings(closed, "us-east-1", true, "access", "secret"), Map.of());
    closeAfterwards.add(store);
    MultipartUpload upload = store.attachMultipart("t/part.bin", "some-upload-id");

    assertThatThrownBy(() -> upload.uploadPart(7, new byte[10], 10))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        .hasMessageContaining("part 7 of 't/part.bin'")
        .hasMessageContaining("cannot reach " + closed)
        .hasMessageContaining("retries included");
  }

  @Test
  void completing_an_upload_with_a_small_part_before_the_last_fails() {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("small.bin", MIN_PART);
    byte[] small = bytes(MIN_PART - 1, 1);
    String etag1 = upload.uploadPart(1, small, small.length);
    String etag2 = upload.uploadPart(2, small, 10);

    assertThatThrownBy(
            () ->
                upload.complete(
                    List.of(
                        new CompletedPart(1, etag1, small.length),
                        new CompletedPart(2, etag2, 10))))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        .hasMessageContaining("small.bin")
        .hasMessageContaining("EntityTooSmall");
    assertThat(store.head("small.bin")).isEmpty();
    upload.abort();
  }

  @Test
  void a_malformed_location_is_rejected_by_name() {
    for (String bad : List.of("s3://", "s3:///prefix", "s3://my bucket/x", "s3://b/a//c")) {
      assertThatThrownBy(
              () ->
                  S3ObjectStore.open(
                      bad,
                      S3Settings.pathStyle(
                          server.endpoint().toString(),
                          S3ProxyServer.ACCESS_KEY,
                          S3ProxyServer.SECRET_KEY),
                      Map.of()))
          .as(bad)
          .isInstanceOfSatisfying(
              DbsnapException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
          .hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void the_location_prefix_loses_its_outer_slashes_and_keys_are_relative_to_it()
      throws IOException {
    String bucket = server.newBucket();
    ObjectStore store =
        open(
            "s3://" + bucket + "/nightly/db/",
            S3Settings.pathStyle(
                server.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY),
            Map.of());
    assertThat(store.describe()).isEqualTo("s3://" + bucket + "/nightly/db");
    store.put("manifest.json", "{}".getBytes(UTF_8));

    ObjectStore root =
        open(
            "s3://" + bucket,
            S3Settings.pathStyle(
                server.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY),
            Map.of());
    assertThat(root.describe()).isEqualTo("s3://" + bucket);
    assertThat(root.list(""))
        .extracting(ObjectInfo::key)
        .containsExactly("nightly/db/manifest.json");
    assertThat(read(root, "nightly/db/manifest.json")).isEqualTo("{}".getBytes(UTF_8));
    assertThat(store.list("")).extracting(ObjectInfo::key).containsExactly("manifest.json");

    // A sibling whose name starts with the prefix is not under it.
    ObjectStore sibling =
        open(
            "s3://" + bucket + "/nightly/d",
            S3Settings.pathStyle(
                server.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY),
            Map.of());
    assertThat(sibling.list("")).isEmpty();
  }

  @Test
  void the_endpoint_may_come_from_the_aws_endpoint_url_variable() throws IOException {
    S3Settings keysOnly =
        new S3Settings(null, null, null, S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
    ObjectStore store =
        open(location, keysOnly, Map.of("AWS_ENDPOINT_URL", server.endpoint().toString()));

    store.checkAccess();
    store.put("k", "v".getBytes(UTF_8));
    assertThat(read(store, "k")).isEqualTo("v".getBytes(UTF_8));
  }

  @Test
  void the_s3_specific_endpoint_variable_wins_over_the_general_one() throws IOException {
    S3Settings keysOnly =
        new S3Settings(null, "us-east-1", null, S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
    ObjectStore store =
        open(
            location,
            keysOnly,
            Map.of(
                "AWS_ENDPOINT_URL",
                "http://127.0.0.1:" + closedPort(),
                "AWS_ENDPOINT_URL_S3",
                server.endpoint().toString()));

    store.checkAccess();
  }

  @Test
  void the_settings_endpoint_wins_over_the_variables() throws IOException {
    ObjectStore store =
        open(
            location,
            S3Settings.pathStyle(
                server.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY),
            Map.of("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:" + closedPort()));

    store.checkAccess();
  }

  @Test
  void an_invalid_endpoint_or_half_a_key_pair_is_an_invalid_argument() {
    assertThatThrownBy(
            () ->
                S3ObjectStore.open(
                    location,
                    new S3Settings("127.0.0.1:9000", "us-east-1", true, "a", "b"),
                    Map.of()))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("127.0.0.1:9000");
    assertThatThrownBy(
            () ->
                S3ObjectStore.open(
                    location,
                    new S3Settings(server.endpoint().toString(), "us-east-1", true, "a", null),
                    Map.of()))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  @Test
  void object_store_open_dispatches_s3_locations() {
    try (ObjectStore store =
        ObjectStores.open(
            location,
            S3Settings.pathStyle(
                server.endpoint().toString(),
                S3ProxyServer.ACCESS_KEY,
                S3ProxyServer.SECRET_KEY))) {
      assertThat(store).isInstanceOf(S3ObjectStore.class);
      store.checkAccess();
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void server_errors_are_retried_before_the_store_gives_up() throws Exception {
    try (CannedServer canned = new CannedServer("503 Service Unavailable")) {
      ObjectStore store = open(location, canned.settings(), Map.of());

      assertThatThrownBy(store::checkAccess)
          .isInstanceOfSatisfying(
              DbsnapException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
          .hasMessageContaining("HTTP 503");
      assertThat(canned.requests()).isEqualTo(S3ObjectStore.MAX_ATTEMPTS);
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void client_errors_fail_without_retrying() throws Exception {
    try (CannedServer canned = new CannedServer("400 Bad Request")) {
      ObjectStore store = open(location, canned.settings(), Map.of());

      assertThatThrownBy(store::checkAccess)
          .isInstanceOfSatisfying(
              DbsnapException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
          .hasMessageContaining("HTTP 400");
      assertThat(canned.requests()).isEqualTo(1);
    }
  }

  /** Answers every request with one fixed bodiless status and counts the requests. */
  private static final class CannedServer implements AutoCloseable {
    private final ServerSocket socket;
    private final AtomicInteger requests = new AtomicInteger();
    private final Thread thread;

    CannedServer(String status) throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      thread = new Thread(() -> serve(status), "canned-s3");
      thread.setDaemon(true);
      thread.start();
    }

    private void serve(String status) {
      while (!socket.isClosed()) {
        try (Socket connection = socket.accept()) {
          var in = new BufferedReader(new InputStreamReader(connection.getInputStream(), UTF_8));
          for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            // Reads the request head; HeadBucket has no body.
          }
          requests.incrementAndGet();
          connection
              .getOutputStream()
              .write(
                  ("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                      .getBytes(UTF_8));
        } catch (IOException e) {
          // Closed by close(), or a client that went away: either way nothing to answer.
        }
      }
    }

    S3Settings settings() {
      return new S3Settings(
          "http://127.0.0.1:" + socket.getLocalPort(), "us-east-1", true, "access", "secret");
    }

    int requests() {
      return requests.get();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
