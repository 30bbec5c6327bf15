package dev.dbsnap.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.SqliteSamples;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SqliteRoundTripTest {
  static final Path CHINOOK =
      dev.dbsnap.testing.Datasets.find("chinook/Chinook_Sqlite.sqlite")
          .orElse(Path.of("shared", "datasets", "chinook", "Chinook_Sqlite.sqlite"));
  @TempDir static Path dir;
  static Source source;

  @BeforeAll
  static void createDatabase() throws Exception {
    Path db = SqliteSamples.create(dir.resolve("src.db"), 3_000);
    SqliteSamples.addEdgeTable(db);
    source = Source.parse(db.toString(), null, null);
  }

  static List<Arguments> formats() {
    return List.of(
        Arguments.of(Format.SQL, Compression.NONE),
        Arguments.of(Format.SQL, Compression.GZIP),
        Arguments.of(Format.CSV, Compression.NONE),
        Arguments.of(Format.CSV, Compression.ZSTD),
        Arguments.of(Format.JSONL, Compression.GZIP),
        Arguments.of(Format.JSON, Compression.NONE),
        Arguments.of(Format.JSON, Compression.ZSTD));
  }

  static Path export(Source from, Format format, Compression compression, Path out) {
    ObjectStore store = LocalObjectStore.open(out);
    ExportOptions options =
        ExportOptions.defaults(format, compression).withSmallParts(64 * 1024, 16 * 1024);
    new Exporter(
            from, store, "", "e1", options, ExportListener.NONE, Clock.systemUTC(), () -> false)
        .run(null);
    return out.resolve("e1");
  }

  static Source restore(Path exportDir, Path newDb) {
    Source target = Source.parse("jdbc:sqlite:" + newDb, null, null);
    ObjectStore store = LocalObjectStore.open(exportDir.getParent());
    new Restorer(store, exportDir.getFileName() + "/", target, n -> {}).run();
    return target;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("formats")
  void export_then_restore_gives_equal_tables(
      Format format, Compression compression, @TempDir Path out) throws Exception {
    Path exportDir = export(source, format, compression, out);
    Source restored = restore(exportDir, out.resolve("restored.db"));
    // CSV and JSON carry values by the column's declared type; only the SQL script keeps an
    // SQLite value's storage class where it differs from the column's type (the edge table).
    TableSelection compared =
        format == Format.SQL
            ? TableSelection.ALL
            : new TableSelection(List.of(), List.of(), List.of("edge"));
    assertThat(TableContents.of(restored, compared)).isEqualTo(TableContents.of(source, compared));
    assertThat(schemaObjects(restored)).isEqualTo(schemaObjects(source));
    assertThat(sequences(restored)).isEqualTo(sequences(source));
  }

  /**
   * The manifest says how objects are compressed; their names are not asked. Here every object
   * loses its ".gz" or ".zst" suffix (and the manifest follows the new keys), so a restore that
   * went by suffix would read compressed bytes as text.
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("compressed")
  void restore_takes_the_compression_from_the_manifest_not_from_an_object_suffix(
      Format format, Compression compression, @TempDir Path out) throws Exception {
    Path exportDir = export(source, format, compression, out);
    Manifest m = Manifest.read(Files.newInputStream(exportDir.resolve(Manifest.FILE)));
    for (Manifest.ObjectEntry o : m.objects()) {
      Files.move(exportDir.resolve(o.key()), exportDir.resolve(unsuffixed(o.key())));
    }
    Manifest renamed =
        new Manifest(
            m.dbsnapVersion(),
            m.exportId(),
            m.format(),
            m.compression(),
            m.source(),
            m.sourceVersion(),
            m.startedAt(),
            m.finishedAt(),
            m.consistent(),
            m.resumed(),
            m.rowsPerInsert(),
            m.tables().stream()
                .map(
                    t ->
                        new Manifest.TableEntry(
                            t.name(),
                            unsuffixed(t.object()),
                            t.rows(),
                            t.consistent(),
                            t.columns()))
                .toList(),
            m.objects().stream()
                .map(o -> new Manifest.ObjectEntry(unsuffixed(o.key()), o.bytes(), o.sha256()))
                .toList(),
            m.schema());
    Files.write(exportDir.resolve(Manifest.FILE), renamed.toJson());
    assertThat(renamed.compression()).isEqualTo(compression.name().toLowerCase(Locale.ROOT));
    assertThat(renamed.objects()).allSatisfy(o -> assertThat(o.key()).doesNotEndWith(".gz"));

    Source restored = restore(exportDir, out.resolve("restored.db"));

    TableSelection compared =
        format == Format.SQL
            ? TableSelection.ALL
            : new TableSelection(List.of(), List.of(), List.of("edge"));
    assertThat(TableContents.of(restored, compared)).isEqualTo(TableContents.of(source, compared));
  }

  static List<Arguments> compressed() {
    return List.of(
        Arguments.of(Format.SQL, Compression.GZIP),
        Arguments.of(Format.CSV, Compression.ZSTD),
        Arguments.of(Format.JSONL, Compression.GZIP));
  }

  private static String unsuffixed(String key) {
    return key.replaceFirst("\\.(gz|zst)$", "");
  }

  @Test
  void a_sql_dump_restores_with_the_sqlite3_shell(@TempDir Path out) throws Exception {
    assumeThat(onPath("sqlite3")).as("sqlite3 is not installed; .ci/run installs it").isTrue();
    Path exportDir = export(source, Format.SQL, Compression.NONE, out);
    Path newDb = out.resolve("shell.db");
    sqlite3(exportDir.resolve("dump.sql"), newDb);
    Source restored = Source.parse(newDb.toString(), null, null);
    assertThat(TableContents.of(restored, TableSelection.ALL))
        .isEqualTo(TableContents.of(source, TableSelection.ALL));
    assertThat(sequences(restored)).isEqualTo(sequences(source));
  }

  @ParameterizedTest(name = "Chinook {0}")
  @MethodSource("formats")
  void chinook_round_trips(Format format, Compression compression, @TempDir Path out)
      throws Exception {
    assumeThat(Files.exists(CHINOOK)).as("shared/datasets is absent; CI has it").isTrue();
    Source chinook = Source.parse(CHINOOK.toString(), null, null);
    Source restored = restore(export(chinook, format, compression, out), out.resolve("chinook.db"));
    assertThat(TableContents.of(restored, TableSelection.ALL))
        .isEqualTo(TableContents.of(chinook, TableSelection.ALL));
    assertThat(schemaObjects(restored)).isEqualTo(schemaObjects(chinook));
  }

  /** Older SQLite builds misround a few of these when parsing literals; every bit must survive. */
  @Test
  void random_doubles_keep_every_bit(@TempDir Path out) throws Exception {
    Path db = out.resolve("doubles.db");
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db)) {
      c.setAutoCommit(false);
      c.createStatement().execute("CREATE TABLE d (id INTEGER PRIMARY KEY, v REAL)");
      java.util.SplittableRandom random = new java.util.SplittableRandom(7);
      try (var ps = c.prepareStatement("INSERT INTO d (v) VALUES (?)")) {
        for (int i = 0; i < 50_000; i++) {
          ps.setDouble(1, random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
          ps.addBatch();
        }
        ps.executeBatch();
      }
      c.commit();
    }
    Source doubles = Source.parse(db.toString(), null, null);
    for (Format format : List.of(Format.SQL, Format.CSV, Format.JSONL)) {
      Path dir = out.resolve(format.extension());
      Source restored =
          restore(export(doubles, format, Compression.NONE, dir), dir.resolve("r.db"));
      assertThat(TableContents.of(restored, TableSelection.ALL))
          .as(format.name())
          .isEqualTo(TableContents.of(doubles, TableSelection.ALL));
    }
  }

  /**
   * Runs {@code script} through the system {@code sqlite3} into {@code db}: no error, no output.
   */
  static void sqlite3(Path script, Path db) throws Exception {
    Process p =
        new ProcessBuilder("sqlite3", db.toString())
            .redirectInput(script.toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(output).isZero();
    assertThat(output).isEmpty();
  }

  static boolean onPath(String command) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, command))) {
        return true;
      }
    }
    return false;
  }

  static List<String> schemaObjects(Source s) throws Exception {
    try (Connection c = s.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master"
                    + " WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")) {
      List<String> result = new java.util.ArrayList<>();
      while (rs.next()) {
        result.add(rs.getString(1));
      }
      return result;
    }
  }

  static Map<String, Long> sequences(Source s) throws Exception {
    Map<String, Long> result = new java.util.TreeMap<>();
    try (Connection c = s.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT name, seq FROM sqlite_sequence")) {
      while (rs.next()) {
        result.put(rs.getString(1), rs.getLong(2));
      }
    } catch (java.sql.SQLException noSequenceTable) {
      return result;
    }
    return result;
  }

  static byte[] read(ObjectStore store, String key) throws Exception {
    try (InputStream in = store.get(key)) {
      return in.readAllBytes();
    }
  }
}
