package dev.dbsnap.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Which columns carry type tags is decided once, in the read transaction of a table's first rows,
 * and kept in the checkpoint: a resumed export writes the rest of the table with the same tags,
 * byte for byte, even when the data that made a column tagged is gone by then.
 */
class SqliteTaggedResumeTest {
  @ParameterizedTest
  @EnumSource(
      value = Format.class,
      names = {"CSV", "JSONL", "JSON"})
  void a_resume_tags_the_columns_the_first_run_tagged(Format format, @TempDir Path dir)
      throws Exception {
    Path db = dir.resolve("tagged.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, w, note TEXT)");
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?, ?, ?)")) {
        for (int i = 1; i <= 6_000; i++) {
          ps.setLong(1, i);
          if (i == 1) {
            ps.setString(2, "off-class text"); // the only value that makes v tagged
          } else {
            ps.setLong(2, i * 7L);
          }
          switch (i % 4) {
            case 0 -> ps.setLong(3, i);
            case 1 -> ps.setDouble(3, i / 8.0);
            case 2 -> ps.setString(3, "w " + i + ", \"quoted\"");
            default -> ps.setBytes(3, new byte[] {(byte) i, 0, (byte) (i >> 8)});
          }
          ps.setString(4, "row " + i);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      c.commit();
    }
    Source source = Source.parse(db.toString(), null, null);
    ExportOptions options = SqliteExportResumeTest.options(format, Compression.NONE);

    ObjectStore reference = LocalObjectStore.open(dir.resolve("reference"));
    Manifest whole = export(source, reference, options, null);
    assertThat(whole.tables().get(0).tagged()).containsExactly("v", "w");

    ObjectStore target = LocalObjectStore.open(dir.resolve("target"));
    Checkpoint checkpoint = crashInside(source, target, options);
    assertThat(checkpoint.tagged()).isEqualTo(Map.of("t", List.of("v", "w")));
    assertThat(checkpoint.current()).as("the crash came inside the table").isNotNull();

    // Row 1, already uploaded, no longer makes v tagged: deciding again would drop v's tags.
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      st.execute("UPDATE t SET v = 7 WHERE id = 1");
    }

    Manifest resumed = export(source, target, options, checkpoint);

    assertThat(SqliteExportResumeTest.contents(target))
        .isEqualTo(SqliteExportResumeTest.contents(reference));
    assertThat(resumed.tables().get(0).tagged()).containsExactly("v", "w");
    assertThat(resumed.resumed()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(
      value = Format.class,
      names = {"CSV", "JSONL", "JSON"})
  void a_resume_starts_a_table_again_when_its_rest_now_needs_a_tag(Format format, @TempDir Path dir)
      throws Exception {
    Path db = dir.resolve("tagged.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, note TEXT)");
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?, ?)")) {
        for (int i = 1; i <= 6_000; i++) {
          ps.setLong(1, i);
          ps.setLong(2, i % 3 == 0 ? i : -i);
          ps.setString(3, "row " + i + " of a table long enough for several parts");
          ps.addBatch();
        }
        ps.executeBatch();
      }
      c.commit();
    }
    Source source = Source.parse(db.toString(), null, null);
    ExportOptions options = SqliteExportResumeTest.options(format, Compression.NONE);
    ObjectStore target = LocalObjectStore.open(dir.resolve("target"));
    Checkpoint crashed = crashInside(source, target, options);
    assertThat(crashed.tagged()).isEqualTo(Map.of("t", List.of()));
    assertThat(crashed.current()).as("the crash came inside the table").isNotNull();

    // a row the crashed run did not reach now holds a BLOB in the TEXT column
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      st.execute("UPDATE t SET note = X'00FF' WHERE id = 5999");
    }
    Manifest resumed = export(source, target, options, crashed);

    // The reference starts the table untagged, meets the BLOB after several parts, drops its
    // upload and writes the table again with the tag: the same bytes, nothing left open.
    ObjectStore reference = LocalObjectStore.open(dir.resolve("reference"));
    Manifest fresh = export(source, reference, options, null);
    assertThat(fresh.tables().get(0).tagged()).containsExactly("note");
    assertThat(reference.pendingUploads("")).isEmpty();
    assertThat(resumed.tables().get(0).tagged()).containsExactly("note");
    assertThat(resumed.tables().get(0).consistent()).isTrue();
    assertThat(SqliteExportResumeTest.contents(target))
        .isEqualTo(SqliteExportResumeTest.contents(reference));
    assertThat(target.pendingUploads("")).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(
      value = Format.class,
      names = {"CSV", "JSONL", "JSON"})
  void a_checkpoint_without_tags_cannot_continue_a_table(Format format, @TempDir Path dir)
      throws Exception {
    Path db = dir.resolve("plain.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)");
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
        for (int i = 1; i <= 6_000; i++) {
          ps.setLong(1, i);
          ps.setString(2, "row " + i + " of a table long enough for several parts");
          ps.addBatch();
        }
        ps.executeBatch();
      }
      c.commit();
    }
    Source source = Source.parse(db.toString(), null, null);
    ExportOptions options = SqliteExportResumeTest.options(format, Compression.NONE);
    ObjectStore target = LocalObjectStore.open(dir.resolve("target"));
    Checkpoint crashed = crashInside(source, target, options);
    Checkpoint c = crashed;
    assertThat(c.tagged()).isEqualTo(Map.of("t", List.of()));
    // as a checkpoint written before tags were kept
    Checkpoint untagged =
        new Checkpoint(
            c.exportId(), c.fingerprint(), c.startedAt(), c.finished(), c.current(), c.versions());

    assertThatThrownBy(() -> export(source, target, options, untagged))
        .isInstanceOf(dev.dbsnap.DbsnapException.class)
        .hasMessageContaining("which columns of table t carry type tags");
  }

  static Manifest export(Source source, ObjectStore store, ExportOptions options, Checkpoint from) {
    return new Exporter(
            source,
            store,
            "exports",
            "x1",
            options,
            ExportListener.NONE,
            Clock.systemUTC(),
            () -> false)
        .run(from);
  }

  /** The last checkpoint of an export, one part at a time, that crashed on its second upload. */
  private static Checkpoint crashInside(Source source, ObjectStore target, ExportOptions options) {
    AtomicReference<String> saved = new AtomicReference<>();
    ExportListener keep =
        new ExportListener() {
          @Override
          public void checkpoint(Checkpoint checkpoint) {
            saved.set(checkpoint.toJson());
          }
        };
    CrashingStore crashing = new CrashingStore(target, 2);
    assertThatThrownBy(
            () ->
                new Exporter(
                        source,
                        crashing,
                        "exports",
                        "x1",
                        options.withConcurrency(1),
                        keep,
                        Clock.systemUTC(),
                        () -> false)
                    .run(null))
        .isInstanceOf(RuntimeException.class);
    assertThat(crashing.crashed()).isTrue();
    return Checkpoint.fromJson(saved.get());
  }
}
