package dev.dbsnap.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.export.Compression;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.testing.PgTestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A JSON {@code null} in a json or jsonb column stays apart from SQL NULL in every format: jsonl
 * and json leave the key of an SQL NULL out of the row and write the JSON value as {@code null};
 * csv writes SQL NULL as the empty unquoted field and the JSON value as {@code null}.
 */
class PostgresJsonNullRoundTripTest {
  static Source source;

  @BeforeAll
  static void createDatabase() throws Exception {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE public.docs (id integer PRIMARY KEY, jb jsonb, j json, note text)");
      st.execute(
          """
          INSERT INTO public.docs VALUES
            (1, NULL, NULL, NULL),
            (2, 'null', 'null', 'null'),
            (3, '{"a": null, "b": [null, 1, {"c": null}]}', '{"a" :  null}', ''),
            (4, '"null"', ' null ', 'x'),
            (5, '[]', '{}', NULL),
            (6, '[null]', '[null, null]', 'y')
          """);
    }
    source = Source.parse(PgTestServer.jdbcUrl(db), null, null);
  }

  @ParameterizedTest
  @EnumSource(
      value = Format.class,
      names = {"CSV", "JSONL", "JSON"})
  void json_null_and_sql_null_round_trip_apart(Format format, @TempDir Path out) throws Exception {
    Path exportDir = PostgresPipelineRoundTripTest.export(source, format, Compression.NONE, out);
    Source restored = PostgresPipelineRoundTripTest.restore(exportDir);

    assertThat(TableContents.of(restored, TableSelection.ALL))
        .isEqualTo(TableContents.of(source, TableSelection.ALL));
    assertThat(nulls(restored)).isEqualTo(nulls(source));
    assertThat(nulls(source))
        .containsExactly(
            "1 sql-null sql-null", "2 json-null json-null", "3 - -", "4 - -", "5 - -", "6 - -");
  }

  @ParameterizedTest
  @EnumSource(
      value = Format.class,
      names = {"CSV", "JSONL", "JSON"})
  void the_rows_tell_the_two_nulls_apart_as_the_manifest_says(Format format, @TempDir Path out)
      throws Exception {
    Path exportDir = PostgresPipelineRoundTripTest.export(source, format, Compression.NONE, out);
    String data =
        Files.readString(exportDir.resolve("docs." + format.extension()), StandardCharsets.UTF_8);
    Manifest.TableEntry docs =
        Manifest.read(Files.newInputStream(exportDir.resolve(Manifest.FILE))).tables().get(0);
    List<String> omitted = new ArrayList<>();
    docs.columns()
        .forEach(
            c -> {
              if (Manifest.ColumnEntry.OMITTED.equals(c.sqlNull())) {
                omitted.add(c.name());
              }
            });
    // PostgreSQL values follow their column's type: no column is tagged
    assertThat(Files.readString(exportDir.resolve(Manifest.FILE))).doesNotContain("\"tagged\"");
    if (format == Format.CSV) {
      assertThat(omitted).isEmpty();
      assertThat(data)
          .startsWith("id,jb,j,note\r\n1,,,\r\n2,null,null,null\r\n")
          .contains("\r\n4,\"\"\"null\"\"\", null ,x\r\n");
      assertThat(Files.readString(exportDir.resolve(Manifest.FILE))).doesNotContain("sqlNull");
    } else {
      assertThat(omitted).containsExactly("jb", "j");
      assertThat(data)
          .contains("{\"id\":1,\"note\":null}")
          .contains("{\"id\":2,\"jb\":null,\"j\":\"null\",\"note\":\"null\"}")
          .contains("{\"id\":5,\"jb\":[],\"j\":\"{}\",\"note\":null}");
      assertThat(Files.readString(exportDir.resolve(Manifest.FILE)))
          .contains("\"sqlNull\" : \"omitted\"");
    }
  }

  /** Per row: whether each json column is SQL NULL, the JSON value null, or something else. */
  private static List<String> nulls(Source s) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = s.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT id, CASE WHEN jb IS NULL THEN 'sql-null' WHEN jb = 'null'::jsonb"
                    + " THEN 'json-null' ELSE '-' END, CASE WHEN j IS NULL THEN 'sql-null'"
                    + " WHEN j::text = 'null' THEN 'json-null' ELSE '-' END"
                    + " FROM public.docs ORDER BY id")) {
      while (rs.next()) {
        rows.add(rs.getInt(1) + " " + rs.getString(2) + " " + rs.getString(3));
      }
    }
    return rows;
  }
}
