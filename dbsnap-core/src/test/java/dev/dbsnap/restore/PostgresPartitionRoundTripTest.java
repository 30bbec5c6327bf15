package dev.dbsnap.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dbsnap.export.Compression;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.testing.PgClients;
import dev.dbsnap.testing.PgFixture;
import dev.dbsnap.testing.PgTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Partitioned tables (pg-partitions.sql: range by date with a DEFAULT partition, list with a
 * hash-partitioned partition, hash; keys and indexes on the parents, foreign keys to and from them)
 * exported and restored keep their partitioning: pg_dump's schema of the restored database equals
 * the source's, every partition holds the same rows, and a new row inserted through a parent lands
 * in the partition it lands in at the source.
 */
class PostgresPartitionRoundTripTest {
  static String sourceDb;
  static Source source;

  /** Where NEW_ROWS land at the source, learned before anything is exported. */
  static String sourceLandings;

  /** Rows inserted through a parent, each checked for the partition it lands in. */
  static final List<String> NEW_ROWS =
      List.of(
          "INSERT INTO sales.orders (placed, customer_id, amount) VALUES ('2024-06-01', 3, 5)"
              + " RETURNING tableoid::regclass, note",
          "INSERT INTO sales.orders (placed, customer_id, amount) VALUES ('2025-02-01', 3, 5)"
              + " RETURNING tableoid::regclass, note",
          "INSERT INTO sales.orders (placed, amount) VALUES ('1999-12-31', 1)"
              + " RETURNING tableoid::regclass, note",
          // a partition's own default holds for rows inserted into it directly
          "INSERT INTO sales.orders_2025 (placed, amount) VALUES ('2025-03-01', 2)"
              + " RETURNING tableoid::regclass, note",
          "INSERT INTO public.region_stock VALUES ('fr', 1001, 1) RETURNING tableoid::regclass",
          "INSERT INTO public.region_stock VALUES ('de', 1002, 1) RETURNING tableoid::regclass",
          "INSERT INTO public.region_stock VALUES ('us', 1003, 1) RETURNING tableoid::regclass",
          "INSERT INTO public.events VALUES (5001, 'x') RETURNING tableoid::regclass",
          "INSERT INTO public.events VALUES (5002, 'y') RETURNING tableoid::regclass");

  @BeforeAll
  static void createSource() throws SQLException {
    sourceDb = createPartitioned();
    source = PostgresPipelineRoundTripTest.pg(sourceDb);
    sourceLandings = landings(sourceDb);
  }

  /** A new database holding pg-partitions.sql. */
  static String createPartitioned() throws SQLException {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(PgFixture.resource("pg-partitions.sql"));
    }
    return db;
  }

  @Test
  void a_sql_dump_restored_with_psql_keeps_the_partitioning(@TempDir Path out) throws Exception {
    assumeTrue(PgClients.onPath("psql"), "psql is not on PATH");
    Path exportDir =
        PostgresPipelineRoundTripTest.export(source, Format.SQL, Compression.NONE, out);
    String script = Files.readString(exportDir.resolve("dump.sql"));
    assertThat(script)
        .contains(
            "PARTITION BY RANGE (placed)",
            "CREATE TABLE \"sales\".\"orders_other\" PARTITION OF \"sales\".\"orders\" (\n"
                + "  CONSTRAINT \"orders_other_pkey\" PRIMARY KEY (id, placed)\n"
                + ")\nDEFAULT;\n",
            "CREATE INDEX orders_customer_idx ON ONLY sales.orders USING btree (customer_id)",
            "ALTER INDEX \"public\".\"region_stock_pkey\" ATTACH PARTITION"
                + " \"public\".\"region_stock_eu_pkey\"");
    // each leaf's rows go into the leaf itself, never through its parent
    assertThat(script).contains("INSERT INTO \"sales\".\"orders_2024\" (");
    assertThat(script).doesNotContain("INSERT INTO \"sales\".\"orders\" (");
    String db = PgTestServer.createDatabase();
    PgClients.psql(db, exportDir.resolve("dump.sql"));
    assertRestored(db);
  }

  @ParameterizedTest
  @EnumSource(
      value = Format.class,
      names = {"CSV", "JSONL"})
  void restored_with_dbsnap_keeps_the_partitioning(Format format, @TempDir Path out)
      throws Exception {
    Path exportDir = PostgresPipelineRoundTripTest.export(source, format, Compression.GZIP, out);
    Manifest manifest = Manifest.read(Files.newInputStream(exportDir.resolve(Manifest.FILE)));
    assertThat(manifest.schema().partitioned())
        .extracting(TableSchema::displayName)
        .containsExactly("events", "region_stock", "region_stock_eu", "sales.orders");
    assertThat(manifest.tables())
        .extracting(Manifest.TableEntry::name)
        .contains("sales.orders_2023", "sales.orders_other", "region_stock_eu_1", "events_3")
        .doesNotContain("sales.orders", "region_stock", "region_stock_eu", "events");
    String db = PgTestServer.createDatabase();
    new Restorer(
            LocalObjectStore.open(exportDir.getParent()),
            exportDir.getFileName() + "/",
            PostgresPipelineRoundTripTest.pg(db),
            n -> {})
        .run();
    assertRestored(db);
  }

  @Test
  void the_manifest_reads_back_with_its_partitioned_tables(@TempDir Path out) {
    Path exportDir =
        PostgresPipelineRoundTripTest.export(source, Format.CSV, Compression.NONE, out);
    Manifest manifest =
        new Restorer(
                LocalObjectStore.open(exportDir.getParent()),
                exportDir.getFileName() + "/",
                PostgresPipelineRoundTripTest.pg(PgTestServer.createDatabase()),
                n -> {})
            .run();
    TableSchema orders =
        manifest.schema().partitioned().stream()
            .filter(t -> t.displayName().equals("sales.orders"))
            .findFirst()
            .orElseThrow();
    assertThat(orders.createSql()).endsWith(")\nPARTITION BY RANGE (placed)");
    assertThat(orders.constraints())
        .startsWith(
            "ALTER TABLE ONLY \"sales\".\"orders\" ADD CONSTRAINT \"orders_pkey\" PRIMARY KEY (id,"
                + " placed)");
  }

  /**
   * Same schema by pg_dump, same rows in every partition, new rows land where they do at source.
   */
  static void assertRestored(String db) throws Exception {
    Source restored = PostgresPipelineRoundTripTest.pg(db);
    if (PgClients.onPath("pg_dump")) {
      String dump = PgClients.schemaDump(sourceDb);
      assertThat(dump)
          .contains(
              "PARTITION BY HASH (sku)",
              "ATTACH PARTITION public.region_stock_eu_0 FOR VALUES WITH (modulus 2, remainder 0)",
              "ALTER INDEX public.region_stock_eu_pkey ATTACH PARTITION"
                  + " public.region_stock_eu_0_pkey",
              "FOREIGN KEY (region, sku) REFERENCES public.region_stock(region, sku)");
      assertThat(PgClients.schemaDump(db)).isEqualTo(dump);
    }
    Map<String, List<List<String>>> want = TableContents.of(source, TableSelection.ALL);
    Map<String, List<List<String>>> got = TableContents.of(restored, TableSelection.ALL);
    assertThat(got.keySet())
        .containsExactlyElementsOf(want.keySet())
        .contains("sales.orders_2023", "sales.orders_2024", "region_stock_eu_0", "events_2");
    for (String table : want.keySet()) {
      assertThat(got.get(table)).as(table).isEqualTo(want.get(table));
    }
    assertThat(want.get("sales.orders_other")).isNotEmpty();
    PostgresPipelineRoundTripTest.assertSameDatabase(restored, source);
    assertThat(landings(db))
        .isEqualTo(sourceLandings)
        .contains("sales.orders_2024 none", "sales.orders_2025 recent", "sales.orders_other none");
  }

  /**
   * Where each of NEW_ROWS lands, in a transaction rolled back so the rows stay as they were (the
   * sequence moves on, which is why the ids are not compared).
   */
  static String landings(String db) throws SQLException {
    StringBuilder out = new StringBuilder();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      for (String insert : NEW_ROWS) {
        try (ResultSet rs = st.executeQuery(insert)) {
          rs.next();
          for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
            out.append(rs.getString(i)).append(' ');
          }
          out.append('\n');
        }
      }
      c.rollback();
    }
    return out.toString();
  }
}
