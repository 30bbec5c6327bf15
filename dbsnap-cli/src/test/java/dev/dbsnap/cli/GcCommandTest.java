package dev.dbsnap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.export.Checkpoint;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import dev.dbsnap.testing.SqliteSamples;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dbsnap gc} and {@code dump --overwrite} remove what crashed exports left and nothing can
 * resume (an open upload without a checkpoint), and keep unfinished exports for {@code --resume}.
 */
class GcCommandTest {
  @TempDir Path dir;

  /** An upload nobody continues, and an unfinished export whose checkpoint names its upload. */
  private static String[] leaveDebris(Path to) {
    try (ObjectStore store = LocalObjectStore.open(to)) {
      MultipartUpload stray = store.startMultipart("20261201T000000Z/big.csv", 5 << 20);
      stray.uploadPart(1, new byte[100], 100);
      MultipartUpload resumable = store.startMultipart("keep/big.csv", 5 << 20);
      resumable.uploadPart(1, new byte[100], 100);
      Checkpoint checkpoint =
          new Checkpoint(
              "keep",
              "fingerprint",
              null,
              List.of(),
              new Checkpoint.Current(
                  0,
                  "keep/big.csv",
                  resumable.uploadId(),
                  List.of(),
                  0,
                  "",
                  new Checkpoint.RestartPoint(0, null, Map.of(), 0, 0)));
      store.put("keep/_checkpoint.json", checkpoint.toJson().getBytes(StandardCharsets.UTF_8));
      return new String[] {stray.uploadId(), resumable.uploadId()};
    }
  }

  private static List<String> pending(Path to) {
    try (ObjectStore store = LocalObjectStore.open(to)) {
      return store.pendingUploads("").stream().map(PendingUpload::uploadId).toList();
    }
  }

  @Test
  void gc_aborts_uploads_no_checkpoint_continues_and_keeps_unfinished_exports() throws Exception {
    Path to = dir.resolve("out");
    String[] ids = leaveDebris(to);

    CliTest.Result young = CliTest.run("gc", "--to", to.toString());
    assertThat(young.code()).as(young.err()).isZero();
    assertThat(young.out()).contains("dbsnap: removed 0 leftovers").contains("younger than");
    assertThat(pending(to)).containsExactlyInAnyOrder(ids);

    CliTest.Result gc = CliTest.run("gc", "--to", to.toString(), "--older-than", "0s");
    assertThat(gc.code()).as(gc.err()).isZero();
    assertThat(gc.out())
        .contains("removed: aborted upload " + ids[0] + " of 20261201T000000Z/big.csv")
        .contains("kept: unfinished export keep/")
        .contains("dbsnap: removed 1 leftover");
    assertThat(pending(to)).containsExactly(ids[1]);
  }

  @Test
  void dump_overwrite_removes_unfinished_exports_and_stray_uploads() throws Exception {
    Path to = dir.resolve("out");
    leaveDebris(to);
    Path db = SqliteSamples.create(dir.resolve("src.db"), 100);

    CliTest.Result dump =
        CliTest.run("dump", "--source", db.toString(), "--to", to.toString(), "--overwrite");
    assertThat(dump.code()).as(dump.err()).isZero();
    assertThat(dump.err()).contains("aborted upload");
    assertThat(pending(to)).isEmpty();
    try (ObjectStore store = LocalObjectStore.open(to)) {
      assertThat(store.list("keep/")).isEmpty();
    }
  }
}
