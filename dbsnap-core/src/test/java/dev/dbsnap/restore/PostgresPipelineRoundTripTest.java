package dev.dbsnap.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.Dialect;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgClients;
import dev.dbsnap.testing.PgFixture;
import dev.dbsnap.testing.PgTestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole pipeline on PostgreSQL: the edge-value database exported with {@link Exporter} in every
 * format to a local store, restored with {@link Restorer} into an empty database, and compared
 * table by table, value for value; the SQL dump also restored with psql and compared through
 * pg_dump; and the Chinook dataset round-tripped.
 */
class PostgresPipelineRoundTripTest {
  static final Path CHINOOK =
      dev.dbsnap.testing.Datasets.find("chinook/Chinook_PostgreSql.sql")
          .orElse(Path.of("shared", "datasets", "chinook", "Chinook_PostgreSql.sql"));
  static Source source;
  static String chinookDb;

  @BeforeAll
  static void openFixture() throws SQLException {
    source = pg(PgFixture.database());
  }

  static Source pg(String database) {
    return Source.parse(PgTestServer.jdbcUrl(database), null, null);
  }

  static List<Arguments> formats() {
    return List.of(
        Arguments.of(Format.SQL, Compression.NONE), Arguments.of(Format.SQL, Compression.GZIP),
        Arguments.of(Format.CSV, Compression.NONE), Arguments.of(Format.CSV, Compression.ZSTD),
        Arguments.of(Format.JSONL, Compression.GZIP), Arguments.of(Format.JSON, Compression.NONE));
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

  /** Restores with dbsnap's Restorer into a new empty database. */
  static Source restore(Path exportDir) {
    Source target = pg(PgTestServer.createDatabase());
    ObjectStore store = LocalObjectStore.open(exportDir.getParent());
    new Restorer(store, exportDir.getFileName() + "/", target, n -> {}).run();
    return target;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("formats")
  void export_then_restore_gives_equal_tables(
      Format format, Compression compression, @TempDir Path out) throws Exception {
    Source restored = restore(export(source, format, compression, out));
    assertSameDatabase(restored, source);
  }

  @Test
  void a_sql_dump_restores_with_psql(@TempDir Path out) throws Exception {
    assumeTrue(PgClients.onPath("psql"), "psql is not on PATH");
    Path exportDir = export(source, Format.SQL, Compression.NONE, out);
    String db = PgTestServer.createDatabase();
    PgClients.psql(db, exportDir.resolve("dump.sql"));
    assertSameDatabase(pg(db), source);
    assumeTrue(PgClients.onPath("pg_dump"), "pg_dump is not on PATH");
    assertThat(PgClients.dataDump(db)).isEqualTo(PgClients.dataDump(PgFixture.database()));
  }

  @ParameterizedTest(name = "Chinook {0} {1}")
  @MethodSource("chinookFormats")
  void chinook_round_trips(Format format, Compression compression, @TempDir Path out)
      throws Exception {
    Source chinook = pg(chinook());
    Source restored = restore(export(chinook, format, compression, out));
    assertSameDatabase(restored, chinook);
    assertThat(TableContents.of(chinook, TableSelection.ALL)).containsKeys("track", "invoice_line");
  }

  static List<Arguments> chinookFormats() {
    return List.of(
        Arguments.of(Format.SQL, Compression.NONE), Arguments.of(Format.CSV, Compression.GZIP));
  }

  /**
   * Chinook loaded with psql into a database of its own, once; the script's database switching left
   * out.
   */
  static synchronized String chinook() throws Exception {
    assumeTrue(Files.exists(CHINOOK), "shared/datasets is absent; CI has it");
    assumeTrue(PgClients.onPath("psql"), "psql is not on PATH; it loads the Chinook script");
    if (chinookDb == null) {
      StringBuilder script = new StringBuilder();
      for (String line : Files.readAllLines(CHINOOK, StandardCharsets.UTF_8)) {
        String l = line.strip();
        if (l.startsWith("DROP DATABASE")
            || l.startsWith("CREATE DATABASE")
            || l.startsWith("\\c")) {
          continue;
        }
        script.append(line).append('\n');
      }
      Path file = Files.createTempFile("chinook", ".sql");
      try {
        Files.writeString(file, script, StandardCharsets.UTF_8);
        String db = PgTestServer.createDatabase();
        PgClients.psql(db, file);
        chinookDb = db;
      } finally {
        Files.deleteIfExists(file);
      }
    }
    return chinookDb;
  }

  /** Same tables with the same rows, same structure as dbsnap reads it, same sequences. */
  static void assertSameDatabase(Source actual, Source expected) throws Exception {
    Map<String, List<List<String>>> want = TableContents.of(expected, TableSelection.ALL);
    Map<String, List<List<String>>> got = TableContents.of(actual, TableSelection.ALL);
    try (Connection e = expected.connect();
        Connection a = actual.connect()) {
      Dialect pg = expected.dialect();
      pg.beginSnapshot(e);
      pg.beginSnapshot(a);
      DatabaseSchema es = pg.introspect(e, TableSelection.ALL);
      DatabaseSchema as = pg.introspect(a, TableSelection.ALL);
      assertThat(as.before()).isEqualTo(es.before());
      assertThat(as.after()).isEqualTo(es.after());
      assertThat(as.tables()).hasSameSizeAs(es.tables());
      for (int i = 0; i < es.tables().size(); i++) {
        TableSchema et = es.tables().get(i);
        TableSchema at = as.tables().get(i);
        assertThat(at.displayName()).isEqualTo(et.displayName());
        assertThat(at.columns()).as(et.displayName()).isEqualTo(et.columns());
        assertThat(at.primaryKey()).as(et.displayName()).isEqualTo(et.primaryKey());
        assertThat(at.createSql()).as(et.displayName()).isEqualTo(et.createSql());
        assertThat(at.constraints()).as(et.displayName()).isEqualTo(et.constraints());
        assertThat(at.indexes()).as(et.displayName()).isEqualTo(et.indexes());
      }
      assertThat(as.partitioned()).hasSameSizeAs(es.partitioned());
      for (int i = 0; i < es.partitioned().size(); i++) {
        TableSchema et = es.partitioned().get(i);
        TableSchema at = as.partitioned().get(i);
        assertThat(at.displayName()).isEqualTo(et.displayName());
        assertThat(at.createSql()).as(et.displayName()).isEqualTo(et.createSql());
        assertThat(at.constraints()).as(et.displayName()).isEqualTo(et.constraints());
        assertThat(at.indexes()).as(et.displayName()).isEqualTo(et.indexes());
      }
      assertThat(sequences(a)).isEqualTo(sequences(e));
    }
    assertThat(got.keySet()).containsExactlyElementsOf(want.keySet());
    for (String table : want.keySet()) {
      assertThat(got.get(table)).as(table).hasSameSizeAs(want.get(table));
      for (int i = 0; i < want.get(table).size(); i++) {
        List<String> w = want.get(table).get(i);
        List<String> g = got.get(table).get(i);
        assertThat(g).as(table + " row " + i).hasSameSizeAs(w);
        for (int j = 0; j < w.size(); j++) {
          assertThat(g.get(j)).as(table + " row " + i + " column " + (j + 1)).isEqualTo(w.get(j));
        }
      }
    }
  }

  static List<String> sequences(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT schemaname, sequencename, data_type, start_value, increment_by, last_value,"
                    + " cycle FROM pg_catalog.pg_sequences ORDER BY 1, 2")) {
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= 7; i++) {
          row.append(rs.getString(i)).append(' ');
        }
        out.add(row.toString());
      }
    }
    return out;
  }
}
