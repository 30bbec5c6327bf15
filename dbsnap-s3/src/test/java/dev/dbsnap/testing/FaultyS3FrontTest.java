package dev.dbsnap.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import dev.dbsnap.testing.FaultyS3Front.Fault;
import dev.dbsnap.testing.FaultyS3Front.Op;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The fault-injecting front passes S3 traffic through unchanged and injects each fault it offers.
 * It lives in dbsnap-testing, which depends on no dbsnap module, so its tests live here beside the
 * S3 store they drive it with.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultyS3FrontTest {
  private static final int PART = 5 * 1024 * 1024;
  private static final long SEED = 7;

  private final S3ProxyServer server = S3ProxyServer.shared();
  private final List<ObjectStore> stores = new ArrayList<>();
  private String location;
  private FaultyS3Front front;
  private ObjectStore viaFront;
  private ObjectStore direct;

  /**
   * Each test's own bucket, and a prefix named after the test so that the front's seeded choices
   * repeat in every run.
   */
  @BeforeEach
  void start(TestInfo test) {
    location =
        "s3://" + server.newBucket() + "/front/" + test.getTestMethod().orElseThrow().getName();
    front = FaultyS3Front.start(server, SEED);
    viaFront = open(front.endpoint());
    direct = open(server.endpoint());
  }

  @AfterEach
  void stop() {
    stores.forEach(ObjectStore::close);
    front.close();
  }

  private ObjectStore open(URI endpoint) {
    ObjectStore store =
        ObjectStores.open(
            location,
            S3Settings.pathStyle(
                endpoint.toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY));
    stores.add(store);
    return store;
  }

  private static byte[] random(int length, long seed) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static byte[] read(ObjectStore store, String key) {
    try (InputStream in = store.get(key)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  /** Uploads {@code parts} as parts 1, 2, ... and returns what completing them needs. */
  private static List<CompletedPart> uploadParts(MultipartUpload upload, byte[]... parts) {
    List<CompletedPart> done = new ArrayList<>();
    for (int i = 0; i < parts.length; i++) {
      String etag = upload.uploadPart(i + 1, parts[i], parts[i].length);
      done.add(new CompletedPart(i + 1, etag, parts[i].length));
    }
    return done;
  }

  @Test
  void ordinary_s3_traffic_passes_through_with_identical_bytes() {
    byte[] small = random(1000, 1);
    viaFront.put("dir/small", small);
    assertThat(read(viaFront, "dir/small")).isEqualTo(small);
    assertThat(viaFront.head("dir/small")).isEqualTo(direct.head("dir/small")).isPresent();

    byte[] first = random(PART, 2);
    byte[] second = random(PART - 3, 3);
    MultipartUpload upload = viaFront.startMultipart("dir/big", PART);
    List<CompletedPart> parts = uploadParts(upload, first, second);
    assertThat(viaFront.pendingUploads("dir/"))
        .extracting(PendingUpload::uploadId)
        .containsExactly(upload.uploadId());
    upload.complete(parts);
    assertThat(read(viaFront, "dir/big")).isEqualTo(concat(first, second));
    assertThat(read(direct, "dir/big")).isEqualTo(concat(first, second));

    MultipartUpload abandoned = viaFront.startMultipart("dir/abandoned", PART);
    uploadParts(abandoned, random(1000, 4));
    abandoned.abort();
    assertThat(viaFront.pendingUploads("")).isEmpty();
    assertThat(direct.pendingUploads("")).isEmpty();

    assertThat(viaFront.list("dir/"))
        .extracting(ObjectInfo::key)
        .containsExactly("dir/big", "dir/small");
    assertThat(viaFront.list("")).isEqualTo(direct.list(""));
    viaFront.delete("dir/small");
    assertThat(viaFront.head("dir/small")).isEmpty();

    for (Op op :
        List.of(
            Op.PUT_OBJECT,
            Op.GET_OBJECT,
            Op.HEAD_OBJECT,
            Op.CREATE_MULTIPART_UPLOAD,
            Op.UPLOAD_PART,
            Op.LIST_MULTIPART_UPLOADS,
            Op.COMPLETE_MULTIPART_UPLOAD,
            Op.ABORT_MULTIPART_UPLOAD,
            Op.LIST_OBJECTS,
            Op.DELETE_OBJECT)) {
      assertThat(front.requests(op)).as(op + " in " + front).isPositive();
    }
    assertThat(front.requests(Op.UPLOAD_PART)).isEqualTo(3);
    assertThat(front.requests(Op.OTHER)).as(front.toString()).isZero();
    for (Fault fault : Fault.values()) {
      assertThat(front.faults(fault)).as(fault + " in " + front).isZero();
    }
  }

  @Test
  void a_part_answered_500_on_every_attempt_fails_with_the_s3_error_after_five_attempts() {
    MultipartUpload upload = viaFront.startMultipart("k", PART);
    front.failUploadParts(1.0, 500);

    assertThatThrownBy(() -> upload.uploadPart(1, random(1000, 5), 1000))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        .hasMessageContaining("part 1 of 'k'")
        .hasMessageContaining("S3 error InternalError, HTTP 500");
    assertThat(front.requests(Op.UPLOAD_PART)).isEqualTo(5);
    assertThat(front.faults(Fault.ERROR_STATUS)).isEqualTo(5);

    front.clearFaults();
    byte[] data = random(1000, 5);
    upload.complete(uploadParts(upload, data));
    assertThat(read(direct, "k")).isEqualTo(data);
  }

  @Test
  void parts_failing_now_and_then_are_retried_by_the_sdk_to_the_same_bytes() {
    front.failUploadParts(0.5, 500, 503);
    byte[] first = random(PART, 6);
    byte[] second = random(PART, 7);
    byte[] last = random(10, 8);

    MultipartUpload upload = viaFront.startMultipart("k", PART);
    upload.complete(uploadParts(upload, first, second, last));

    assertThat(read(direct, "k")).isEqualTo(concat(concat(first, second), last));
    assertThat(front.faults(Fault.ERROR_STATUS)).as(front.toString()).isPositive();
    assertThat(front.requests(Op.UPLOAD_PART)).isEqualTo(3 + front.faults(Fault.ERROR_STATUS));
  }

  @Test
  void a_failed_part_is_answered_cleanly_after_the_body_the_client_sent_without_waiting()
      throws IOException {
    front.failUploadParts(1.0, 500);
    int length = 3 * 1024 * 1024;
    try (Socket socket = new Socket(front.endpoint().getHost(), front.endpoint().getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          head("PUT /b/k?partNumber=1&uploadId=u", "Content-Length: " + length)
              .getBytes(StandardCharsets.ISO_8859_1));
      out.write(new byte[length]);
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(answer)
          .startsWith("HTTP/1.1 500 ")
          .contains("Connection: close")
          .contains("<Code>InternalError</Code>")
          .contains("<Resource>/b/k</Resource>");
    }
    assertThat(front.faults(Fault.ERROR_STATUS)).isEqualTo(1);
  }

  @Test
  void a_failed_part_is_answered_at_once_when_the_client_waits_for_continue() throws IOException {
    front.failUploadParts(1.0, 503);
    try (Socket socket = new Socket(front.endpoint().getHost(), front.endpoint().getPort())) {
      socket
          .getOutputStream()
          .write(
              head(
                      "PUT /b/k?partNumber=2&uploadId=u",
                      "Content-Length: " + PART,
                      "Expect: 100-continue")
                  .getBytes(StandardCharsets.ISO_8859_1));
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(answer)
          .startsWith("HTTP/1.1 503 ")
          .contains("<Code>SlowDown</Code>")
          .doesNotContain("100 Continue");
    }
  }

  private String head(String requestLine, String... headers) {
    StringBuilder head = new StringBuilder(requestLine).append(" HTTP/1.1\r\n");
    head.append("Host: 127.0.0.1:").append(front.endpoint().getPort()).append("\r\n");
    for (String header : headers) {
      head.append(header).append("\r\n");
    }
    return head.append("\r\n").toString();
  }

  @Test
  void resets_on_every_attempt_are_reported_as_an_unreachable_store_after_five_attempts() {
    direct.put("k", new byte[1]);
    front.resetConnections(1.0, Op.HEAD_OBJECT);

    assertThatThrownBy(() -> viaFront.head("k"))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("cannot reach " + front.endpoint())
        .hasMessageContaining("retries included");
    assertThat(front.requests(Op.HEAD_OBJECT)).isEqualTo(5);
    assertThat(
            front.faults(Fault.RESET_BEFORE_FORWARDING)
                + front.faults(Fault.RESET_AFTER_FORWARDING))
        .as(front.toString())
        .isEqualTo(5);
  }

  @Test
  void uploads_reset_now_and_then_are_retried_by_the_sdk_to_the_same_bytes() {
    front.resetConnections(0.5, Op.UPLOAD_PART, Op.PUT_OBJECT);
    byte[] first = random(PART, 9);
    byte[] second = random(PART, 10);
    byte[] small = random(100_000, 11);

    MultipartUpload upload = viaFront.startMultipart("k", PART);
    upload.complete(uploadParts(upload, first, second));
    viaFront.put("small", small);

    assertThat(read(direct, "k")).isEqualTo(concat(first, second));
    assertThat(read(direct, "small")).isEqualTo(small);
    assertThat(front.faults(Fault.RESET_BEFORE_FORWARDING)).as(front.toString()).isPositive();
    assertThat(front.faults(Fault.RESET_MID_BODY)).as(front.toString()).isPositive();
    assertThat(front.requests(Op.UPLOAD_PART) + front.requests(Op.PUT_OBJECT))
        .isEqualTo(
            3 + front.faults(Fault.RESET_BEFORE_FORWARDING) + front.faults(Fault.RESET_MID_BODY));
  }

  @Test
  void a_completion_failed_after_it_took_effect_leaves_the_object_and_the_retry_finds_no_upload() {
    byte[] first = random(PART, 12);
    byte[] last = random(10, 13);
    MultipartUpload upload = viaFront.startMultipart("k", PART);
    List<CompletedPart> parts = uploadParts(upload, first, last);
    front.completeThenFail(1);

    assertThatThrownBy(() -> upload.complete(parts))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        // s3proxy's file store answers NoSuchKey where AWS answers NoSuchUpload
        .hasMessageContaining("HTTP 404");

    assertThat(front.faults(Fault.COMPLETE_THEN_FAIL)).isEqualTo(1);
    assertThat(front.requests(Op.COMPLETE_MULTIPART_UPLOAD)).isEqualTo(2);
    assertThat(read(direct, "k")).isEqualTo(concat(first, last));
    assertThat(direct.pendingUploads("")).isEmpty();
  }

  @Test
  void a_hung_request_is_answered_after_the_delay() {
    direct.put("k", new byte[1]);
    front.hang(Op.HEAD_OBJECT, Duration.ofMillis(700));

    long start = System.nanoTime();
    assertThat(viaFront.head("k")).isPresent();
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(700));
    assertThat(front.faults(Fault.HANG)).isEqualTo(1);

    front.hang(Op.HEAD_OBJECT, Duration.ZERO);
    assertThat(viaFront.head("k")).isPresent();
    assertThat(front.faults(Fault.HANG)).isEqualTo(1);
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void closing_the_front_ends_a_hung_request_and_refuses_new_connections() throws Exception {
    direct.put("k", new byte[1]);
    front.hang(Op.HEAD_OBJECT, Duration.ofMinutes(5));
    CompletableFuture<Object> head =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return viaFront.head("k");
              } catch (DbsnapException e) {
                return e;
              }
            });
    while (front.faults(Fault.HANG) == 0) {
      Thread.sleep(10);
    }

    front.close();

    assertThat(head.get(15, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE));
    assertThatThrownBy(() -> new Socket("127.0.0.1", front.endpoint().getPort()).close())
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void misuse_is_refused_with_the_bad_value() {
    assertThatThrownBy(() -> front.failUploadParts(1.5, 500))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1.5");
    assertThatThrownBy(() -> front.failUploadParts(0.5, 404))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("404");
    assertThatThrownBy(() -> front.failUploadParts(0.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> front.resetConnections(0.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> front.completeThenFail(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> front.hang(Op.GET_OBJECT, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
