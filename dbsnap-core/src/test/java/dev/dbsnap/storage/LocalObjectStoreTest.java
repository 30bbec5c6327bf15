package dev.dbsnap.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalObjectStoreTest extends ObjectStoreContractTest {
  private static final int PART = 1000;

  @TempDir Path root;

  @Override
  protected ObjectStore newStore() {
    return LocalObjectStore.open(root.resolve("store"));
  }

  private Path storeRoot() {
    return root.resolve("store");
  }

  private Path uploads() {
    return storeRoot().resolve(LocalObjectStore.UPLOADS);
  }

  /** Every regular file under the store's root, relative to it, '/'-separated. */
  private List<String> files() throws IOException {
    try (Stream<Path> all = Files.walk(storeRoot())) {
      return all.filter(Files::isRegularFile)
          .map(p -> storeRoot().relativize(p).toString().replace('\\', '/'))
          .sorted()
          .toList();
    }
  }

  private static void age(Path path, Duration by) throws IOException {
    Files.setLastModifiedTime(path, FileTime.from(Instant.now().minus(by)));
  }

  @Test
  void a_key_cannot_escape_the_root_directory() {
    ObjectStore store = newStore();
    assertThatThrownBy(() -> store.put("../outside", new byte[1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("../outside");
    assertThat(Files.exists(root.resolve("outside"))).isFalse();
  }

  @Test
  void parts_in_progress_are_not_listed_as_objects() {
    ObjectStore store = newStore();
    MultipartUpload upload = store.startMultipart("a/b.bin", MIN_PART);
    upload.uploadPart(1, new byte[] {1, 2, 3}, 3);
    assertThat(store.list("")).isEmpty();
    upload.abort();
  }

  @Test
  void an_upload_keeps_its_parts_in_one_data_file_and_completion_leaves_only_the_object()
      throws IOException {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("t/x.bin", PART);
    Path dir = uploads().resolve(upload.uploadId());
    assertThat(Files.readString(dir.resolve("key"))).isEqualTo("t/x.bin");
    assertThat(Files.readString(dir.resolve("part-size"))).isEqualTo("1000");

    String etag2 = upload.uploadPart(2, bytes(PART, 2), PART);
    String etag1 = upload.uploadPart(1, bytes(PART, 1), PART);
    String etag3 = upload.uploadPart(3, bytes(7, 3), 7);
    assertThat(Files.size(dir.resolve("data"))).isEqualTo(2L * PART + 7);
    assertThat(files())
        .allMatch(f -> f.startsWith(LocalObjectStore.UPLOADS + "/" + upload.uploadId() + "/"))
        .extracting(f -> f.substring(f.lastIndexOf('/') + 1))
        .containsExactlyInAnyOrder("key", "part-size", "data", "1.part", "2.part", "3.part");

    upload.complete(
        List.of(
            new CompletedPart(1, etag1, PART),
            new CompletedPart(2, etag2, PART),
            new CompletedPart(3, etag3, 7)));

    assertThat(files()).containsExactly("t/x.bin");
    assertThat(read(store, "t/x.bin"))
        .isEqualTo(concat(bytes(PART, 1), bytes(PART, 2), bytes(7, 3)));
  }

  @Test
  void a_part_longer_than_the_part_size_is_rejected_naming_the_part_and_the_sizes() {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("long.bin", PART);

    assertThatThrownBy(() -> upload.uploadPart(2, new byte[PART + 1], PART + 1))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        .hasMessageContaining("part 2 of long.bin has 1001 bytes")
        .hasMessageContaining("part size of 1000");
    upload.abort();
  }

  @Test
  void a_part_before_the_last_that_is_not_of_the_part_size_fails_the_completion() {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("uneven.bin", PART);
    String etag1 = upload.uploadPart(1, new byte[PART - 1], PART - 1);
    String etag2 = upload.uploadPart(2, new byte[10], 10);

    assertThatThrownBy(
            () ->
                upload.complete(
                    List.of(
                        new CompletedPart(1, etag1, PART - 1), new CompletedPart(2, etag2, 10))))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        .hasMessageContaining("uneven.bin")
        .hasMessageContaining("part 1 has 999 bytes")
        .hasMessageContaining("part size of 1000");
    assertThat(store.head("uneven.bin")).isEmpty();
    upload.abort();
  }

  @Test
  void a_completion_listing_another_etag_or_size_than_was_uploaded_fails() {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("mismatch.bin", PART);
    String etag = upload.uploadPart(1, bytes(10, 1), 10);

    assertThatThrownBy(() -> upload.complete(List.of(new CompletedPart(1, "beef", 10))))
        .hasMessageContaining("part 1 has ETag " + etag + ", expected beef");
    assertThatThrownBy(() -> upload.complete(List.of(new CompletedPart(1, etag, 11))))
        .hasMessageContaining("part 1 has 10 bytes, expected 11");
    assertThatThrownBy(
            () ->
                upload.complete(
                    List.of(new CompletedPart(1, etag, 10), new CompletedPart(1, etag, 10))))
        .hasMessageContaining("part 1 is listed twice");
    assertThatThrownBy(() -> upload.complete(List.of(new CompletedPart(2, etag, 10))))
        .hasMessageContaining("part 1 is missing");
    upload.abort();
  }

  @Test
  void a_part_write_that_fails_leaves_no_record_that_could_pass_for_the_part() throws IOException {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("broken.bin", PART);
    String etag = upload.uploadPart(1, bytes(PART, 1), PART);
    // The data file cannot be written any more (root ignores permissions; a directory it is not).
    Path data = uploads().resolve(upload.uploadId()).resolve("data");
    Files.delete(data);
    Files.createDirectory(data);

    assertThatThrownBy(() -> upload.uploadPart(1, bytes(PART, 1), PART))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        .hasMessageContaining("part 1 of broken.bin");
    assertThat(uploads().resolve(upload.uploadId()).resolve("1.part")).doesNotExist();
    assertThatThrownBy(() -> upload.complete(List.of(new CompletedPart(1, etag, PART))))
        .hasMessageContaining("part 1 was not uploaded");

    upload.abort();
    assertThat(files()).isEmpty();
  }

  @Test
  void a_failed_completion_leaves_no_temporary_file_and_the_upload_to_complete_again()
      throws IOException {
    ObjectStore store = store();
    // A file where the object's directory should be: the completion cannot place the object.
    store.put("blocked", "in the way".getBytes(UTF_8));
    MultipartUpload upload = store.startMultipart("blocked/x.bin", PART);
    String etag1 = upload.uploadPart(1, bytes(PART, 1), PART);
    String etag2 = upload.uploadPart(2, bytes(5, 2), 5);
    List<CompletedPart> parts =
        List.of(new CompletedPart(1, etag1, PART), new CompletedPart(2, etag2, 5));
    List<String> before = files();

    assertThatThrownBy(() -> upload.complete(parts))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        .hasMessageContaining("cannot complete blocked/x.bin");

    assertThat(files()).isEqualTo(before).noneMatch(f -> f.endsWith(".tmp"));
    assertThat(store.pendingUploads("blocked/"))
        .extracting(PendingUpload::uploadId)
        .containsExactly(upload.uploadId());
    store.delete("blocked");
    upload.complete(parts);
    assertThat(read(store, "blocked/x.bin")).isEqualTo(concat(bytes(PART, 1), bytes(5, 2)));
    assertThat(files()).containsExactly("blocked/x.bin");
  }

  @Test
  void a_completion_that_cannot_rename_into_place_leaves_an_upload_that_aborts_to_nothing()
      throws IOException {
    ObjectStore store = store();
    // A directory holding an object where the object should go: the rename fails.
    store.put("taken/inside", new byte[1]);
    MultipartUpload upload = store.startMultipart("taken", PART);
    String etag = upload.uploadPart(1, bytes(20, 1), 20);
    upload.uploadPart(2, bytes(20, 2), 20); // not listed: completion truncates it away

    assertThatThrownBy(() -> upload.complete(List.of(new CompletedPart(1, etag, 20))))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        .hasMessageContaining("cannot complete taken");
    assertThat(files()).noneMatch(f -> f.endsWith(".tmp")).contains("taken/inside");

    upload.abort();
    assertThat(files()).containsExactly("taken/inside");
    assertThat(store.pendingUploads("")).isEmpty();
    assertThat(uploads()).isEmptyDirectory();
  }

  @Test
  void an_aborted_upload_takes_neither_parts_nor_a_completion() throws IOException {
    ObjectStore store = store();
    MultipartUpload upload = store.startMultipart("gone/x.bin", PART);
    String etag = upload.uploadPart(1, bytes(10, 1), 10);
    upload.abort();

    assertThatThrownBy(() -> upload.uploadPart(2, bytes(10, 2), 10))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        .hasMessageContaining("was aborted");
    assertThatThrownBy(() -> upload.complete(List.of(new CompletedPart(1, etag, 10))))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
        .hasMessageContaining("was aborted or completed already");
    assertThat(files()).isEmpty();
    assertThat(storeRoot().resolve("gone")).doesNotExist();
  }

  @Test
  void a_put_that_fails_removes_its_temporary_file() throws IOException {
    ObjectStore store = store();
    store.put("dir/inside", new byte[1]);

    assertThatThrownBy(() -> store.put("dir", new byte[100]))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED));
    assertThat(files()).containsExactly("dir/inside");
  }

  @Test
  void remove_leftovers_removes_old_temporary_files_under_the_prefix_and_keeps_the_rest()
      throws IOException {
    ObjectStore store = store();
    store.put("exports/e1/a.csv", new byte[10]);
    store.put("exports/e2/b.csv", new byte[10]);
    store.put("other/c.csv", new byte[10]);
    MultipartUpload open = store.startMultipart("exports/e1/big.csv", PART);
    open.uploadPart(1, new byte[PART], PART);
    Path e1 = storeRoot().resolve("exports/e1");
    Path oldInE1 = Files.createFile(e1.resolve(".dbsnap-1.tmp"));
    Path oldInExports = Files.createFile(storeRoot().resolve("exports/.dbsnap-2.tmp"));
    Path oldInE2 = Files.createFile(storeRoot().resolve("exports/e2/.dbsnap-3.tmp"));
    Path oldInOther = Files.createFile(storeRoot().resolve("other/.dbsnap-4.tmp"));
    Path young = Files.createFile(e1.resolve(".dbsnap-5.tmp"));
    for (Path p : List.of(oldInE1, oldInExports, oldInE2, oldInOther)) {
      age(p, Duration.ofHours(2));
    }
    age(e1.resolve("a.csv"), Duration.ofHours(2)); // an old object is no leftover
    Instant cutoff = Instant.now().minus(Duration.ofHours(1));

    // exports/e1 may hold keys under "exports/e", and so may exports/ itself; other/ cannot
    assertThat(store.removeLeftovers("exports/e1/", cutoff)).containsExactly(oldInE1.toString());
    assertThat(store.removeLeftovers("exports/e", cutoff))
        .containsExactlyInAnyOrder(oldInExports.toString(), oldInE2.toString());
    ObjectStore forwarding = new ForwardingObjectStore(store) {};
    assertThat(forwarding.removeLeftovers("", cutoff)).containsExactly(oldInOther.toString());

    assertThat(young).exists();
    assertThat(store.list("")).extracting(ObjectInfo::key).hasSize(3);
    assertThat(store.pendingUploads("")).extracting(PendingUpload::key).hasSize(1);
    assertThat(store.removeLeftovers("", Instant.now().plusSeconds(60)))
        .containsExactly(young.toString());
    assertThat(store.pendingUploads("")).hasSize(1); // open uploads are for abort, not for this
    open.abort();
    assertThat(files()).containsExactly("exports/e1/a.csv", "exports/e2/b.csv", "other/c.csv");
  }

  @Test
  void remove_leftovers_with_the_empty_prefix_removes_upload_directories_that_are_no_upload()
      throws IOException {
    ObjectStore store = store();
    MultipartUpload open = store.startMultipart("kept.bin", PART);
    // An older dbsnap's start cut short between making the directory and writing its key, and
    // this one's cut short before the rename.
    Path keyless = Files.createDirectories(uploads().resolve("0b7e-keyless"));
    Files.write(keyless.resolve("1.part"), new byte[10]);
    Path unnamed = Files.createDirectories(uploads().resolve(".dbsnap-6.tmp"));
    Files.writeString(unnamed.resolve("key"), "some/key");
    Path youngKeyless = Files.createDirectories(uploads().resolve("young-keyless"));
    for (Path p : List.of(keyless.resolve("1.part"), keyless, unnamed.resolve("key"), unnamed)) {
      age(p, Duration.ofDays(2));
    }
    Instant cutoff = Instant.now().minus(Duration.ofDays(1));

    assertThat(store.pendingUploads("")).extracting(PendingUpload::key).containsExactly("kept.bin");
    assertThat(store.removeLeftovers("some/", cutoff)).isEmpty();
    assertThat(store.removeLeftovers("", cutoff))
        .containsExactlyInAnyOrder(keyless.toString(), unnamed.toString());

    assertThat(youngKeyless).exists();
    assertThat(uploads().resolve(open.uploadId())).exists();
    open.abort();
  }

  @Test
  void an_upload_an_older_version_started_can_be_listed_and_aborted_but_not_continued()
      throws IOException {
    ObjectStore store = store();
    Path legacy = Files.createDirectories(uploads().resolve("legacy-id"));
    Files.writeString(legacy.resolve("key"), "old/object.bin");
    Files.write(legacy.resolve("1.part"), new byte[PART]);

    assertThat(store.pendingUploads("old/"))
        .extracting(PendingUpload::uploadId)
        .containsExactly("legacy-id");
    MultipartUpload resumed = store.resumeMultipart("old/object.bin", "legacy-id");
    assertThatThrownBy(() -> resumed.uploadPart(2, new byte[10], 10))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESUME_FAILED))
        .hasMessageContaining("older dbsnap");
    assertThatThrownBy(() -> resumed.complete(List.of()))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESUME_FAILED));

    resumed.abort();
    assertThat(store.pendingUploads("")).isEmpty();
    assertThat(files()).isEmpty();
  }

  @Test
  void a_temporary_upload_directory_cannot_be_resumed() throws IOException {
    ObjectStore store = store();
    Path unnamed = Files.createDirectories(uploads().resolve(".dbsnap-7.tmp"));
    Files.writeString(unnamed.resolve("key"), "k");
    Files.writeString(unnamed.resolve("part-size"), "1000");

    assertThatThrownBy(() -> store.resumeMultipart("k", ".dbsnap-7.tmp"))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESUME_FAILED));
    assertThatThrownBy(() -> store.resumeMultipart("k", "../.dbsnap-uploads/x"))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESUME_FAILED));
  }
}
