package dev.dbsnap.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.SchemaOptions;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.testing.PgClients;
import dev.dbsnap.testing.PgTestServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A database with functions, triggers, an aggregate, views on views, a materialized view, unused
 * types, an extension, a collation, comments, row-level security, an UNLOGGED table, owners and
 * grants, exported in each format and restored (sql with psql, the others with dbsnap's Restorer):
 * pg_dump sees the same structure and data in the copy, and the copy behaves the same.
 */
class PostgresObjectsRoundTripTest {
  private static String sourceDb;

  @BeforeAll
  static void createSource() throws Exception {
    createRoles();
    sourceDb = database(fixture());
  }

  static void createRoles() throws SQLException {
    try (Connection c = PgTestServer.connect("postgres");
        Statement st = c.createStatement()) {
      for (String role : new String[] {"dbsnap_reader", "dbsnap_owner"}) {
        st.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '"
                + role
                + "') THEN CREATE ROLE "
                + role
                + "; END IF; END $$");
      }
    }
  }

  static String fixture() throws IOException {
    try (InputStream in =
        PostgresObjectsRoundTripTest.class.getResourceAsStream(
            "/dev/dbsnap/source/pg-objects.sql")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static String database(String script) throws SQLException {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(script);
    }
    return db;
  }

  private static Path export(String db, Format format, SchemaOptions schema, Path out) {
    ExportOptions options =
        ExportOptions.defaults(format, Compression.NONE).withSchemaOptions(schema);
    new Exporter(
            PostgresPipelineRoundTripTest.pg(db),
            LocalObjectStore.open(out),
            "",
            "e1",
            options,
            ExportListener.NONE,
            Clock.systemUTC(),
            () -> false)
        .run(null);
    return out.resolve("e1");
  }

  @ParameterizedTest
  @EnumSource(
      value = Format.class,
      names = {"SQL", "CSV", "JSONL", "JSON"})
  void a_restored_copy_has_every_object_and_behaves_the_same(Format format, @TempDir Path out)
      throws Exception {
    assumeTrue(PgClients.onPath("pg_dump"), "pg_dump is not on PATH");
    Path exportDir = export(sourceDb, format, SchemaOptions.DEFAULTS, out);
    String restored;
    if (format == Format.SQL) {
      assumeTrue(PgClients.onPath("psql"), "psql is not on PATH");
      restored = PgTestServer.createDatabase();
      PgClients.psql(restored, exportDir.resolve("dump.sql"));
    } else {
      restored = PgTestServer.createDatabase();
      new Restorer(
              LocalObjectStore.open(exportDir.getParent()),
              exportDir.getFileName() + "/",
              PostgresPipelineRoundTripTest.pg(restored),
              n -> {})
          .run();
    }
    String expected = PgClients.schemaDump(sourceDb);
    assertThat(expected)
        .contains(
            "CREATE EXTENSION IF NOT EXISTS citext",
            "CREATE COLLATION shop.bytewise",
            "CREATE TYPE shop.floatrange AS RANGE",
            "CREATE DOMAIN shop.unused_domain",
            "CREATE TYPE shop.unused_pair AS",
            "CREATE AGGREGATE shop.total(numeric)",
            "CREATE PROCEDURE shop.mark_paid",
            "CREATE UNLOGGED TABLE shop.scratch",
            "fillfactor='80'",
            "CREATE TRIGGER orders_touch",
            "CREATE MATERIALIZED VIEW shop.customer_totals",
            "CREATE POLICY own_rows",
            "FORCE ROW LEVEL SECURITY",
            "COMMENT ON COLUMN shop.orders.price",
            "ALTER TABLE shop.scratch OWNER TO dbsnap_owner",
            "GRANT SELECT,INSERT ON TABLE shop.notes TO dbsnap_reader WITH GRANT OPTION",
            "GRANT UPDATE(title) ON TABLE shop.notes TO dbsnap_reader",
            "SET SESSION AUTHORIZATION dbsnap_reader;\nGRANT SELECT ON TABLE shop.scratch TO PUBLIC;",
            "CREATE SCHEMA empty_one",
            "PARTITION BY RANGE (paid_on)",
            "CREATE TRIGGER payments_touch",
            "payments_2024_order FOREIGN KEY",
            "CREATE INDEX payments_2024_paid_on",
            "ATTACH PARTITION shop.payments_2024_amount_idx");
    assertThat(PgClients.schemaDump(restored)).isEqualTo(expected);
    assertThat(rows(restored)).isEqualTo(rows(sourceDb));
    try (Connection c = PgTestServer.connect(restored);
        Statement st = c.createStatement()) {
      assertThat(
              single(
                  st,
                  "INSERT INTO shop.notes (id, title, body) VALUES (3, 'x', 'y z') RETURNING search::text"))
          .isEqualTo("'x':1 'y':2 'z':3");
      assertThat(
              single(
                  st,
                  "UPDATE shop.orders SET price = 1 WHERE id = 2"
                      + " RETURNING last_update > '2024-01-02 03:04:05+00'"))
          .isEqualTo("t");
      assertThat(single(st, "SELECT total FROM shop.paid_totals")).isEqualTo("17.50");
      assertThat(single(st, "SELECT count(*) FROM shop.customer_totals")).isEqualTo("3");
      // new rows land in their partition, and the parent's trigger fires on every partition
      assertThat(
              single(
                  st,
                  "INSERT INTO shop.payments (id, paid_on, amount) VALUES (4, '2025-02-03', 1)"
                      + " RETURNING tableoid::regclass::text"))
          .isEqualTo("shop.payments_2025");
      assertThat(
              single(
                  st,
                  "INSERT INTO shop.payments (id, paid_on, amount) VALUES (5, '2031-02-03', 1)"
                      + " RETURNING tableoid::regclass::text"))
          .isEqualTo("shop.payments_other");
      assertThat(
              single(
                  st,
                  "UPDATE shop.payments SET amount = 9 WHERE id = 1"
                      + " RETURNING last_update > '2024-03-01 00:00:00+00'"))
          .isEqualTo("t");
      assertThat(single(st, "SELECT count(*) FROM pg_trigger WHERE tgname = 'payments_touch'"))
          .as("the trigger on the parent and its clone on each of three partitions, no more")
          .isEqualTo("4");
      assertThat(
              single(
                  st,
                  "INSERT INTO shop.films (id, title, description) VALUES (2, 'Ace Goldfinger',"
                      + " 'A stunning epistle') RETURNING fulltext::text"))
          .isEqualTo("'ace':1 'epistl':5 'goldfing':2 'stun':4");
    }
  }

  @Test
  void without_owners_and_privileges_the_script_sets_neither_and_restores_as_pg_dump_would(
      @TempDir Path out) throws Exception {
    assumeTrue(PgClients.onPath("psql"), "psql is not on PATH");
    Path exportDir = export(sourceDb, Format.SQL, new SchemaOptions(false, false, false), out);
    String script = Files.readString(exportDir.resolve("dump.sql"));
    assertThat(script)
        .doesNotContain("OWNER TO", "GRANT ", "REVOKE ", "SESSION AUTHORIZATION")
        .contains("CREATE POLICY \"own_rows\"", "CREATE TRIGGER");
    String restored = PgTestServer.createDatabase();
    PgClients.psql(restored, exportDir.resolve("dump.sql"));
    assertThat(PgClients.schemaDump(restored, "--no-owner", "--no-privileges"))
        .isEqualTo(PgClients.schemaDump(sourceDb, "--no-owner", "--no-privileges"));
    assertThat(rows(restored)).isEqualTo(rows(sourceDb));
  }

  /** Every table's and materialized view's rows, sorted, as text. */
  private static String rows(String db) throws SQLException {
    StringBuilder out = new StringBuilder();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      for (String relation :
          new String[] {
            "shop.orders",
            "shop.notes",
            "shop.scratch",
            "shop.secrets",
            "shop.customer_totals",
            "shop.payments_2024",
            "shop.payments_2025",
            "shop.payments_other",
            "shop.films"
          }) {
        try (ResultSet rs =
            st.executeQuery(
                "SELECT string_agg(CAST(t AS text), E'\\n' ORDER BY CAST(t AS text)) FROM "
                    + relation
                    + " t")) {
          rs.next();
          out.append(relation).append('\n').append(rs.getString(1)).append('\n');
        }
      }
    }
    return out.toString();
  }

  private static String single(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void an_operator_fails_the_export_unless_unsupported_objects_are_skipped(@TempDir Path out)
      throws Exception {
    String db =
        database(
            fixture()
                + "\nCREATE OPERATOR public.=== (LEFTARG = integer, RIGHTARG = integer,"
                + " FUNCTION = int4eq);\n");
    assertThatThrownBy(() -> export(db, Format.CSV, SchemaOptions.DEFAULTS, out.resolve("a")))
        .isInstanceOf(DbsnapException.class)
        .hasMessageContaining("dbsnap cannot carry operator public.===(integer,integer)")
        .hasMessageContaining("--skip-unsupported")
        .satisfies(
            e -> assertThat(((DbsnapException) e).code()).isEqualTo(ErrorCode.UNSUPPORTED_OBJECT));

    Path exportDir =
        export(db, Format.CSV, SchemaOptions.DEFAULTS.withSkipUnsupported(true), out.resolve("b"));
    try (Connection c = PgTestServer.connect(db)) {
      DatabaseSchema schema =
          PostgresPipelineRoundTripTest.pg(db)
              .dialect()
              .introspect(c, TableSelection.ALL, SchemaOptions.DEFAULTS.withSkipUnsupported(true));
      assertThat(schema.skipped())
          .extracting(DatabaseSchema.Skipped::toString)
          .containsExactly(
              "operator public.===(integer,integer): dbsnap does not export objects of this kind");
    }
    assertThat(Files.readString(exportDir.resolve("manifest.json")))
        .contains("public.===(integer,integer)");
  }
}
