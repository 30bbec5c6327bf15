package dev.dbsnap.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgFixture;
import dev.dbsnap.testing.PgTestServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PostgresExportResumeTest on partitioned tables (pg-partitions.sql): each leaf partition is a
 * table of the export, so a crash inside the range-partitioned orders resumes inside that
 * partition, after its last key, and the resumed export is byte for byte the uninterrupted one.
 */
class PostgresPartitionResumeTest {
  @TempDir static Path dir;
  static Source source;

  static final Map<String, Map<String, String>> REFERENCE = new ConcurrentHashMap<>();

  /** Past customer, events, region_stock and stock_moves: inside the partitions of orders. */
  static final int DEEP = 22;

  @BeforeAll
  static void createDatabase() throws Exception {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(PgFixture.resource("pg-partitions.sql"));
    }
    source = Source.parse(PgTestServer.jdbcUrl(db), null, null);
  }

  static List<Arguments> formatsAndCrashPoints() {
    // Uncompressed, so that DEEP parts reach the orders in every format; compression is
    // PostgresExportResumeTest's concern, one compressed case here shows it changes nothing.
    List<Arguments> args = new ArrayList<>();
    for (Format format : Format.values()) {
      args.add(Arguments.of(format, Compression.NONE, 3));
      args.add(Arguments.of(format, Compression.NONE, DEEP));
    }
    args.add(Arguments.of(Format.CSV, Compression.GZIP, 3));
    return args;
  }

  static Exporter exporter(
      ObjectStore store, Format format, Compression compression, ExportListener listener) {
    return new Exporter(
        source,
        store,
        "exports",
        "x1",
        PostgresExportResumeTest.options(format, compression).withConcurrency(1),
        listener,
        Clock.systemUTC(),
        () -> false);
  }

  @ParameterizedTest(name = "{0} {1}: crash after {2} parts")
  @MethodSource("formatsAndCrashPoints")
  void resume_inside_a_partition_gives_identical_bytes(
      Format format, Compression compression, int partsBeforeCrash, @TempDir Path out) {
    Map<String, String> expected =
        REFERENCE.computeIfAbsent(
            format + "-" + compression,
            name -> {
              ObjectStore reference = LocalObjectStore.open(dir.resolve("reference-" + name));
              exporter(reference, format, compression, ExportListener.NONE).run(null);
              return SqliteExportResumeTest.contents(reference);
            });

    ObjectStore target = LocalObjectStore.open(out.resolve("target"));
    CrashingStore crashing = new CrashingStore(target, partsBeforeCrash);
    AtomicReference<String> saved = new AtomicReference<>();
    ExportListener keep =
        new ExportListener() {
          @Override
          public void checkpoint(Checkpoint checkpoint) {
            saved.set(checkpoint.toJson());
          }
        };
    assertThatThrownBy(() -> exporter(crashing, format, compression, keep).run(null))
        .isInstanceOf(RuntimeException.class);
    assertThat(crashing.crashed()).isTrue();
    assertThat(saved.get()).as("a checkpoint was reported before the crash").isNotNull();

    Checkpoint checkpoint = Checkpoint.fromJson(saved.get());
    if (partsBeforeCrash == DEEP) {
      Checkpoint.Current current = checkpoint.current();
      assertThat(current.restart().afterKey()).as("resumes after a row of a partition").isNotNull();
      assertThat(current.restart().rows().keySet())
          .as("the partition being read")
          .anyMatch(t -> t.startsWith("sales.orders_"));
    }
    Manifest resumed = exporter(target, format, compression, ExportListener.NONE).run(checkpoint);

    assertThat(SqliteExportResumeTest.contents(target)).isEqualTo(expected);
    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.schema().partitioned()).hasSize(4);
    assertThat(
            resumed.tables().stream()
                .filter(t -> t.name().startsWith("sales.orders_"))
                .mapToLong(Manifest.TableEntry::rows)
                .sum())
        .isEqualTo(12_000);
    assertThat(target.pendingUploads("")).isEmpty();
  }
}
