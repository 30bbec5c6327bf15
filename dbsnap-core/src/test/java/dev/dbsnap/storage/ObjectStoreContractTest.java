package dev.dbsnap.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ObjectStore} must do. A subclass gives {@link #newStore()}; JUnit makes a new
 * test instance per test, and the subclass gives each instance an empty location of its own.
 */
public abstract class ObjectStoreContractTest {
  protected static final int MIB = 1024 * 1024;
  protected static final int MIN_PART = 5 * MIB;

  private final List<ObjectStore> opened = new ArrayList<>();

  /**
   * Opens a new store instance on this test's location. Every call in one test returns another
   * instance on the same location, which starts empty.
   */
  protected abstract ObjectStore newStore();

  /** A store that is closed after the test. */
  protected final ObjectStore store() {
    ObjectStore store = newStore();
    opened.add(store);
    return store;
  }

  @AfterEach
  void closeStores() {
    opened.forEach(ObjectStore::close);
  }

  @Test
  void an_object_can_be_put_read_headed_listed_and_deleted() throws IOException {
    ObjectStore store = store();
    byte[] one = "one".getBytes(UTF_8);
    byte[] two = bytes(1000, 2);
    store.put("a/one.txt", one);
    store.put("a/two.bin", two);
    store.put("b/three", new byte[0]);

    assertThat(read(store, "a/one.txt")).isEqualTo(one);
    assertThat(read(store, "a/two.bin")).isEqualTo(two);
    assertThat(read(store, "b/three")).isEmpty();
    assertThat(store.head("a/two.bin"))
        .hasValueSatisfying(
            info -> {
              assertThat(info.key()).isEqualTo("a/two.bin");
              assertThat(info.size()).isEqualTo(1000);
              assertThat(info.etag()).isNotBlank();
            });
    assertThat(store.list("a/"))
        .extracting(ObjectInfo::key)
        .containsExactly("a/one.txt", "a/two.bin");
    assertThat(store.list(""))
        .extracting(ObjectInfo::key)
        .containsExactly("a/one.txt", "a/two.bin", "b/three");
    assertThat(store.list("")).extracting(ObjectInfo::size).containsExactly(3L, 1000L, 0L);

    store.delete("a/one.txt");
    assertThat(store.head("a/one.txt")).isEmpty();
    assertThat(store.list("a/")).extracting(ObjectInfo::key).containsExactly("a/two.bin");
  }

  @Test
  void put_replaces_an_existing_object() throws IOException {
    ObjectStore store = store();
    store.put("x", "first".getBytes(UTF_8));
    store.put("x", "second".getBytes(UTF_8));
    assertThat(read(store, "x")).isEqualTo("second".getBytes(UTF_8));
    assertThat(store.list("")).hasSize(1);
  }

  @Test
  void deleting_or_heading_a_missing_object_is_no_error() {
    ObjectStore store = store();
    store.delete("missing");
    assertThat(store.head("missing")).isEmpty();
    assertThat(store.list("missing")).isEmpty();
  }

  @Test
  void getting_a_missing_object_fails() {
    ObjectStore store = store();
    assertThatThrownBy(() -> store.get("no/such/object"))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("no/such/object");
  }

  @Test
  void a_multipart_upload_completes_to_the_exact_bytes() throws Exception {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("data/table.bin", MIN_PART);
    MessageDigest expected = MessageDigest.getInstance("SHA-256");
    // One buffer for every part, as the exporter does: a store must not hold on to it.
    byte[] buffer = new byte[MIN_PART];
    List<CompletedPart> parts = new ArrayList<>();
    long total = 0;
    for (int number = 1; number <= 4; number++) {
      int length = number < 4 ? MIN_PART : 12_345;
      new Random(number).nextBytes(buffer);
      expected.update(buffer, 0, length);
      String etag = upload.uploadPart(number, buffer, length);
      parts.add(new CompletedPart(number, etag, length));
      total += length;
    }
    upload.complete(parts);
    long size = total;

    assertThat(sha256(store, "data/table.bin"))
        .isEqualTo(HexFormat.of().formatHex(expected.digest()));
    assertThat(store.head("data/table.bin"))
        .hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(size));
    assertThat(store.pendingUploads("")).isEmpty();
  }

  @Test
  void a_multipart_object_read_one_byte_at_a_time_gives_the_uploaded_bytes() throws IOException {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("bytewise.bin", MIN_PART);
    byte[] first = bytes(MIN_PART, 21);
    byte[] last = bytes(1000, 22);
    String etag1 = upload.uploadPart(1, first, first.length);
    String etag2 = upload.uploadPart(2, last, last.length);
    upload.complete(
        List.of(
            new CompletedPart(1, etag1, first.length), new CompletedPart(2, etag2, last.length)));

    byte[] expected = concat(first, last);
    byte[] read = new byte[expected.length + 1];
    int n = 0;
    try (InputStream in = store.get("bytewise.bin")) {
      for (int b; (b = in.read()) != -1; ) {
        read[n++] = (byte) b;
      }
      assertThat(in.read()).isEqualTo(-1);
    }
    assertThat(Arrays.copyOf(read, n)).isEqualTo(expected);
  }

  @Test
  void parts_may_be_uploaded_concurrently_and_completed_in_any_order() throws Exception {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("parallel.bin", MIN_PART);
    byte[] first = bytes(MIN_PART, 11);
    byte[] second = bytes(MIN_PART, 12);
    byte[] last = bytes(100, 13);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Future<String> e1 = pool.submit(() -> upload.uploadPart(1, first, first.length));
      Future<String> e2 = pool.submit(() -> upload.uploadPart(2, second, second.length));
      Future<String> e3 = pool.submit(() -> upload.uploadPart(3, last, last.length));
      upload.complete(
          List.of(
              new CompletedPart(3, e3.get(), last.length),
              new CompletedPart(1, e1.get(), first.length),
              new CompletedPart(2, e2.get(), second.length)));
    } finally {
      pool.shutdownNow();
    }
    assertThat(read(store, "parallel.bin")).isEqualTo(concat(first, second, last));
  }

  @Test
  void parts_uploaded_last_first_with_a_short_last_part_complete_to_the_exact_bytes()
      throws IOException {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("backwards.bin", MIN_PART);
    byte[] first = bytes(MIN_PART, 31);
    byte[] second = bytes(MIN_PART, 32);
    byte[] last = bytes(MIN_PART / 3, 33);
    String etag3 = upload.uploadPart(3, last, last.length);
    String etag2 = upload.uploadPart(2, second, second.length);
    String etag1 = upload.uploadPart(1, first, first.length);

    upload.complete(
        List.of(
            new CompletedPart(1, etag1, first.length),
            new CompletedPart(2, etag2, second.length),
            new CompletedPart(3, etag3, last.length)));

    assertThat(read(store, "backwards.bin")).isEqualTo(concat(first, second, last));
    assertThat(store.head("backwards.bin"))
        .hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(2L * MIN_PART + last.length));
  }

  @Test
  void the_last_part_uploaded_again_shorter_gives_the_shorter_object() throws IOException {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("shrunk.bin", MIN_PART);
    byte[] first = bytes(MIN_PART, 41);
    byte[] longer = bytes(MIN_PART - 1, 42);
    byte[] shorter = bytes(10, 43);
    String etag1 = upload.uploadPart(1, first, first.length);
    upload.uploadPart(2, longer, longer.length);
    String etag2 = upload.uploadPart(2, shorter, shorter.length);

    upload.complete(
        List.of(
            new CompletedPart(1, etag1, first.length),
            new CompletedPart(2, etag2, shorter.length)));

    assertThat(read(store, "shrunk.bin")).isEqualTo(concat(first, shorter));
  }

  @Test
  void a_completion_listing_a_part_never_uploaded_fails_and_leaves_the_upload_open()
      throws IOException {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("incomplete.bin", MIN_PART);
    byte[] first = bytes(MIN_PART, 51);
    byte[] last = bytes(100, 52);
    String etag1 = upload.uploadPart(1, first, first.length);
    CompletedPart part1 = new CompletedPart(1, etag1, first.length);
    CompletedPart part2 = new CompletedPart(2, "0123abcd", last.length);

    assertThatThrownBy(() -> upload.complete(List.of(part1, part2)))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        .hasMessageContaining("incomplete.bin");
    assertThat(store.head("incomplete.bin")).isEmpty();
    assertThat(store.pendingUploads(""))
        .extracting(PendingUpload::uploadId)
        .containsExactly(upload.uploadId());

    String etag2 = upload.uploadPart(2, last, last.length);
    upload.complete(List.of(part1, new CompletedPart(2, etag2, last.length)));
    assertThat(read(store, "incomplete.bin")).isEqualTo(concat(first, last));
    assertThat(store.pendingUploads("")).isEmpty();
  }

  @Test
  void nothing_is_visible_at_the_key_before_the_upload_completes() throws IOException {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("pending.bin", MIN_PART);
    byte[] data = "only part".getBytes(UTF_8);
    String etag = upload.uploadPart(1, data, data.length);

    assertThat(store.head("pending.bin")).isEmpty();
    assertThat(store.list("")).isEmpty();

    upload.complete(List.of(new CompletedPart(1, etag, data.length)));
    assertThat(read(store, "pending.bin")).isEqualTo(data);
  }

  @Test
  void an_aborted_upload_leaves_neither_a_pending_upload_nor_an_object() {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("aborted.bin", MIN_PART);
    byte[] data = bytes(1000, 3);
    upload.uploadPart(1, data, data.length);

    upload.abort();

    assertThat(store.pendingUploads("")).isEmpty();
    assertThat(store.head("aborted.bin")).isEmpty();
    assertThat(store.list("")).isEmpty();
    upload.abort();
  }

  @Test
  void uploading_a_part_number_again_replaces_that_part() throws IOException {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("replaced.bin", MIN_PART);
    byte[] stale = "stale part".getBytes(UTF_8);
    byte[] fresh = "fresh".getBytes(UTF_8);
    upload.uploadPart(1, stale, stale.length);
    String etag = upload.uploadPart(1, fresh, fresh.length);

    upload.complete(List.of(new CompletedPart(1, etag, fresh.length)));

    assertThat(read(store, "replaced.bin")).isEqualTo(fresh);
  }

  @Test
  void only_the_given_length_of_the_buffer_is_uploaded() throws IOException {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("short.bin", MIN_PART);
    byte[] buffer = bytes(4096, 5);
    String etag = upload.uploadPart(1, buffer, 100);
    upload.complete(List.of(new CompletedPart(1, etag, 100)));
    assertThat(read(store, "short.bin")).isEqualTo(Arrays.copyOf(buffer, 100));
  }

  @Test
  void another_store_instance_can_resume_an_upload() throws IOException {
    ObjectStore first = store();
    MultipartUpload started = first.startMultipart("resumed.bin", MIN_PART);
    byte[] part1 = bytes(MIN_PART, 7);
    String etag1 = started.uploadPart(1, part1, part1.length);
    first.close();
    opened.remove(first);

    ObjectStore second = store();
    MultipartUpload resumed = second.resumeMultipart("resumed.bin", started.uploadId());
    assertThat(resumed.key()).isEqualTo("resumed.bin");
    assertThat(resumed.uploadId()).isEqualTo(started.uploadId());
    byte[] part2 = bytes(10, 8);
    String etag2 = resumed.uploadPart(2, part2, part2.length);
    resumed.complete(
        List.of(
            new CompletedPart(1, etag1, part1.length), new CompletedPart(2, etag2, part2.length)));

    assertThat(read(second, "resumed.bin")).isEqualTo(concat(part1, part2));
  }

  @Test
  void resuming_an_upload_that_no_longer_exists_fails() {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("gone.bin", MIN_PART);
    upload.abort();

    assertThatThrownBy(() -> store().resumeMultipart("gone.bin", upload.uploadId()))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESUME_FAILED))
        .hasMessageContaining("gone.bin");
  }

  @Test
  void pending_uploads_lists_an_unfinished_upload_under_its_prefix() throws IOException {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("exports/t1.bin", MIN_PART);
    byte[] data = bytes(10, 9);
    String etag = upload.uploadPart(1, data, data.length);

    assertThat(store.pendingUploads("exports/"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("exports/t1.bin");
              assertThat(p.uploadId()).isEqualTo(upload.uploadId());
              assertThat(p.initiated()).isNotNull();
            });
    assertThat(store().pendingUploads(""))
        .extracting(PendingUpload::key)
        .containsExactly("exports/t1.bin");
    assertThat(store.pendingUploads("other/")).isEmpty();

    upload.complete(List.of(new CompletedPart(1, etag, data.length)));
    assertThat(store.pendingUploads("")).isEmpty();
  }

  protected static byte[] bytes(int length, long seed) {
    byte[] data = new byte[length];
    new Random(seed).nextBytes(data);
    return data;
  }

  protected static byte[] concat(byte[]... arrays) {
    int length = 0;
    for (byte[] a : arrays) {
      length += a.length;
    }
    byte[] all = new byte[length];
    int at = 0;
    for (byte[] a : arrays) {
      System.arraycopy(a, 0, all, at, a.length);
      at += a.length;
    }
    return all;
  }

  protected static byte[] read(ObjectStore store, String key) throws IOException {
    try (InputStream in = store.get(key)) {
      return in.readAllBytes();
    }
  }

  protected static String sha256(ObjectStore store, String key)
      throws IOException, NoSuchAlgorithmException {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream in = store.get(key)) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
