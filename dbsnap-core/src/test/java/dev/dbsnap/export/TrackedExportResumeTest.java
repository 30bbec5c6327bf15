package dev.dbsnap.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.Dbsnap;
import dev.dbsnap.ExportRequest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.track.ChangeTracking;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A resumed export of tracked tables: versions in the manifest, changed tables read again. */
class TrackedExportResumeTest {
  private static final int PART = 16 * 1024;

  @TempDir Path dir;
  private Source source;

  @BeforeEach
  void database() throws Exception {
    source = Source.parse("jdbc:sqlite:" + dir.resolve("app.db"), null, null);
    try (Connection c = source.connectForWriting();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      for (String t : new String[] {"a", "b", "c"}) {
        st.execute("CREATE TABLE " + t + " (id INTEGER PRIMARY KEY, note TEXT)");
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
          for (int i = 1; i <= 2000; i++) {
            ps.setInt(1, i);
            ps.setString(2, t + " row " + i + " with some text to make it longer");
            ps.addBatch();
          }
          ps.executeBatch();
        }
      }
      c.commit();
    }
  }

  private ExportRequest request() {
    return ExportRequest.builder(source)
        .options(
            ExportOptions.defaults(Format.CSV, Compression.NONE).withSmallParts(PART, PART / 2))
        .exportId("e1")
        .build();
  }

  /** Runs the export until the store dies after {@code parts} parts: a.csv done, b.csv begun. */
  private void crashAfter(ObjectStore target, int parts) throws Exception {
    CrashingStore crashing = new CrashingStore(target, parts);
    assertThatThrownBy(() -> Dbsnap.builder().store(crashing).build().newExport(request()).run())
        .isInstanceOf(RuntimeException.class);
    Checkpoint checkpoint =
        Checkpoint.fromJson(Files.readString(dir.resolve("target/e1/_checkpoint.json")));
    assertThat(checkpoint.finished()).extracting(f -> f.key()).containsExactly("e1/a.csv");
    // b's first parts may be uploaded with their checkpoints lost in the crash
    if (checkpoint.current() != null) {
      assertThat(checkpoint.current().key()).isEqualTo("e1/b.csv");
    }
  }

  private void execute(String sql) throws Exception {
    try (Connection c = source.connectForWriting();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static Map<String, Manifest.TableEntry> tables(Manifest m) {
    return m.tables().stream().collect(Collectors.toMap(Manifest.TableEntry::name, t -> t));
  }

  @Test
  void the_manifest_records_the_version_of_each_tracked_table_and_none_for_the_others() {
    ChangeTracking.of(source)
        .install(
            new TableSelection(
                java.util.List.of(), java.util.List.of("a", "b"), java.util.List.of()));
    Map<String, Long> versions =
        ChangeTracking.of(source).status().stream()
            .collect(Collectors.toMap(t -> t.table(), t -> t.version()));

    Manifest m =
        Dbsnap.builder()
            .store(LocalObjectStore.open(dir.resolve("store")))
            .build()
            .newExport(request())
            .run();

    assertThat(tables(m).get("a").version()).isEqualTo(versions.get("a"));
    assertThat(tables(m).get("b").version()).isEqualTo(versions.get("b"));
    assertThat(tables(m).get("c").version()).isNull();
    assertThat(m.consistent()).isTrue();
  }

  @Test
  void a_resume_of_unchanged_tracked_tables_is_one_consistent_snapshot_with_identical_bytes()
      throws Exception {
    ChangeTracking.of(source).install(TableSelection.ALL);
    ObjectStore reference = LocalObjectStore.open(dir.resolve("reference"));
    Dbsnap.builder().store(reference).build().newExport(request()).run();
    ObjectStore target = LocalObjectStore.open(dir.resolve("target"));
    crashAfter(target, 9);

    Manifest m = Dbsnap.builder().store(target).build().newExport(request()).resume();

    assertThat(m.resumed()).isTrue();
    assertThat(m.consistent()).isTrue();
    assertThat(m.tables()).allMatch(Manifest.TableEntry::consistent);
    for (String name : new String[] {"a.csv", "b.csv", "c.csv"}) {
      assertThat(Files.readAllBytes(dir.resolve("target/e1/" + name)))
          .as(name)
          .isEqualTo(Files.readAllBytes(dir.resolve("reference/e1/" + name)));
    }
  }

  @Test
  void a_finished_table_that_changed_before_the_resume_is_exported_again_from_its_start()
      throws Exception {
    ChangeTracking.of(source).install(TableSelection.ALL);
    ObjectStore target = LocalObjectStore.open(dir.resolve("target"));
    crashAfter(target, 9);
    execute("INSERT INTO a VALUES (5000, 'written between the crash and the resume')");

    Manifest m = Dbsnap.builder().store(target).build().newExport(request()).resume();

    assertThat(Files.readString(dir.resolve("target/e1/a.csv")))
        .contains("written between the crash and the resume");
    assertThat(tables(m).get("a").rows()).isEqualTo(2001);
    assertThat(m.consistent()).isTrue();
    assertThat(tables(m).get("a").version())
        .isEqualTo(
            ChangeTracking.of(source).status().stream()
                .filter(t -> t.table().equals("a"))
                .findFirst()
                .orElseThrow()
                .version());
  }

  @Test
  void the_table_in_progress_that_changed_is_exported_again_from_its_start() throws Exception {
    ChangeTracking.of(source).install(TableSelection.ALL);
    ObjectStore target = LocalObjectStore.open(dir.resolve("target"));
    crashAfter(target, 9);
    execute("UPDATE b SET note = 'changed after the crash' WHERE id = 1");

    Manifest m = Dbsnap.builder().store(target).build().newExport(request()).resume();

    assertThat(Files.readString(dir.resolve("target/e1/b.csv")))
        .contains("changed after the crash")
        .doesNotContain("b row 1 with some text");
    assertThat(m.consistent()).isTrue();
    assertThat(target.pendingUploads("")).isEmpty();
  }

  @Test
  void without_tracking_a_resumed_export_is_not_one_snapshot() throws Exception {
    ObjectStore target = LocalObjectStore.open(dir.resolve("target"));
    crashAfter(target, 9);

    Manifest m = Dbsnap.builder().store(target).build().newExport(request()).resume();

    assertThat(m.consistent()).isFalse();
    assertThat(tables(m).get("a").consistent()).isFalse();
    assertThat(tables(m).get("c").consistent()).isTrue();
    assertThat(tables(m).get("a").version()).isNull();
  }
}
