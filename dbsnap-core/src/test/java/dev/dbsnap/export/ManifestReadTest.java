package dev.dbsnap.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.KeyKind;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.ValueKind;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Manifests read back as written, and manifests of earlier dbsnap versions still read. */
class ManifestReadTest {
  /** A manifest as dbsnap wrote it before it carried partitioned tables. */
  static final String BEFORE_PARTITIONING =
      """
      {
        "dbsnapVersion" : "0.9.0",
        "exportId" : "x1",
        "format" : "csv",
        "compression" : "none",
        "source" : "postgresql://localhost/db",
        "sourceVersion" : "15.8",
        "startedAt" : "2026-01-01T00:00:00Z",
        "finishedAt" : "2026-01-01T00:00:01Z",
        "consistent" : true,
        "resumed" : false,
        "rowsPerInsert" : 100,
        "tables" : [ {
          "name" : "measure",
          "object" : "measure.csv",
          "rows" : 4,
          "consistent" : true,
          "columns" : [ { "name" : "id", "type" : "integer" } ]
        } ],
        "objects" : [ { "key" : "measure.csv", "bytes" : 8, "sha256" : "00" } ],
        "schema" : {
          "dialect" : "POSTGRESQL",
          "serverVersion" : "15.8",
          "before" : [ ],
          "tables" : [ {
            "schema" : "public",
            "name" : "measure",
            "columns" : [ {
              "name" : "id",
              "type" : "integer",
              "kind" : "INTEGER",
              "nullable" : false,
              "defaultExpr" : null,
              "generated" : false
            } ],
            "primaryKey" : [ "id" ],
            "keyKind" : "PRIMARY_KEY",
            "createSql" : "CREATE TABLE \\"public\\".\\"measure\\" (\\n  \\"id\\" integer NOT NULL\\n)",
            "constraints" : [ ],
            "indexes" : [ ],
            "rowEstimate" : 4
          } ],
          "after" : [ ],
          "skipped" : [ ]
        }
      }
      """;

  @Test
  void a_manifest_written_before_partitioning_reads_with_no_partitioned_tables() {
    Manifest m = read(BEFORE_PARTITIONING);
    assertThat(m.schema().partitioned()).isEmpty();
    assertThat(m.schema().tables()).extracting(TableSchema::name).containsExactly("measure");
    assertThat(m.tables()).extracting(Manifest.TableEntry::rows).containsExactly(4L);
  }

  @Test
  void partitioned_tables_round_trip_and_are_left_out_of_the_json_when_there_are_none() {
    TableSchema parent = table("p", "CREATE TABLE p (id integer)\nPARTITION BY HASH (id)");
    TableSchema leaf =
        table("p_0", "CREATE TABLE p_0 PARTITION OF p\nFOR VALUES WITH (modulus 1, remainder 0)");
    DatabaseSchema schema =
        new DatabaseSchema(
            DialectKind.POSTGRESQL,
            "15.8",
            List.of(),
            List.of(leaf),
            List.of(),
            List.of(),
            List.of(parent));
    Manifest written = manifest(schema);
    assertThat(read(new String(written.toJson(), StandardCharsets.UTF_8))).isEqualTo(written);

    Manifest plain =
        manifest(
            new DatabaseSchema(
                DialectKind.POSTGRESQL, "15.8", List.of(), List.of(leaf), List.of()));
    assertThat(new String(plain.toJson(), StandardCharsets.UTF_8)).doesNotContain("partitioned");
    assertThat(read(new String(plain.toJson(), StandardCharsets.UTF_8))).isEqualTo(plain);
  }

  private static TableSchema table(String name, String createSql) {
    return new TableSchema(
        "public",
        name,
        List.of(new Column("id", "integer", ValueKind.INTEGER, true, null, false)),
        List.of(),
        KeyKind.NONE,
        createSql,
        List.of(),
        List.of(),
        -1);
  }

  private static Manifest manifest(DatabaseSchema schema) {
    return new Manifest(
        "1.0.0",
        "x1",
        "csv",
        "none",
        "postgresql://localhost/db",
        "15.8",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:01Z",
        true,
        false,
        100,
        List.of(),
        List.of(),
        schema);
  }

  private static Manifest read(String json) {
    return Manifest.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
  }
}
