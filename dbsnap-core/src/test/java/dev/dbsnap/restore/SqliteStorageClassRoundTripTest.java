package dev.dbsnap.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.export.Compression;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.testing.SqliteSamples;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * csv, jsonl and json keep every SQLite value's storage class: columns holding a value of another
 * class than their declared type gives, and columns without a declared type, carry a tag on each
 * value, and restore inserts each value in its class. Columns whose values all follow their type
 * keep the plain form, byte for byte.
 */
class SqliteStorageClassRoundTripTest {
  @TempDir static Path dir;
  static Source source;

  @BeforeAll
  static void createDatabase() throws Exception {
    Path db = dir.resolve("classes.db");
    SqliteSamples.create(db, 200);
    SqliteSamples.addEdgeTable(db);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE loose (a, b)");
      st.execute(
          "INSERT INTO loose VALUES (1, 'text'), (2.5, X'00FF'), ('42', 9007199254740993),"
              + " (X'', ''), (NULL, '-0'), ('integer:7', 'a,b\"c'), (-0.0, 9e999),"
              + " ('aGk=', 'real:1'), (3, NULL)");
      st.execute(
          "CREATE TABLE typed (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, bl BLOB,"
              + " n NUMERIC, plain TEXT)");
      st.execute(
          "INSERT INTO typed VALUES (1, 'abc', 'not a number', X'01', 'aGk=', 9e999, 'x'),"
              + " (2, X'CAFE', X'', 'text', 7, 'abc', 'y'), (3, 1.5, 2, '', 2.5, 12, NULL),"
              + " (4, 5, 0.001, 'text:no tag', X'', -7.25, 'z')");
      st.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, w REAL)");
      st.execute("INSERT INTO plain VALUES (1, 'a,b', 10, 0.5), (2, NULL, NULL, 1e300)");
      st.execute("CREATE VIRTUAL TABLE docs USING fts5(body)");
      st.execute(
          "INSERT INTO docs VALUES ('the quick brown fox'), ('jumps over'), ('the lazy dog')");
    }
    source = Source.parse(db.toString(), null, null);
  }

  @ParameterizedTest
  @EnumSource(
      value = Format.class,
      names = {"CSV", "JSONL", "JSON"})
  void every_value_comes_back_with_its_storage_class(Format format, @TempDir Path out)
      throws Exception {
    Path exportDir = SqliteRoundTripTest.export(source, format, Compression.NONE, out);
    Source restored = SqliteRoundTripTest.restore(exportDir, out.resolve("restored.db"));

    assertThat(TableContents.of(restored, TableSelection.ALL))
        .isEqualTo(TableContents.of(source, TableSelection.ALL));
    for (String table : List.of("loose", "typed", "edge", "docs_data", "docs_idx", "docs_config")) {
      assertThat(classes(restored, table)).as(table).isEqualTo(classes(source, table));
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Format.class,
      names = {"CSV", "JSONL", "JSON"})
  void the_manifest_names_the_tagged_columns(Format format, @TempDir Path out) throws Exception {
    Path exportDir = SqliteRoundTripTest.export(source, format, Compression.NONE, out);
    Map<String, List<String>> tagged = new LinkedHashMap<>();
    for (Manifest.TableEntry t :
        Manifest.read(Files.newInputStream(exportDir.resolve(Manifest.FILE))).tables()) {
      tagged.put(t.name(), t.tagged());
    }
    assertThat(tagged.get("loose")).containsExactly("a", "b");
    assertThat(tagged.get("typed")).containsExactly("i", "r", "s", "bl", "n");
    assertThat(tagged.get("edge")).containsExactly("i", "b", "n", "anyv");
    // an untyped column of small integers only reads back as itself untagged
    assertThat(tagged.get("nokey")).isEmpty();
    assertThat(tagged.get("plain")).isEmpty();
    assertThat(tagged.get("items")).isEmpty();
    String manifest = Files.readString(exportDir.resolve(Manifest.FILE));
    assertThat(manifest).contains("\"tagged\" : [ \"a\", \"b\" ]");
  }

  @ParameterizedTest
  @EnumSource(
      value = Format.class,
      names = {"CSV", "JSONL", "JSON"})
  void tagged_values_name_their_class_and_plain_tables_keep_their_bytes(
      Format format, @TempDir Path out) throws Exception {
    Path exportDir = SqliteRoundTripTest.export(source, format, Compression.NONE, out);
    String plain = read(exportDir, "plain", format);
    String typed = read(exportDir, "typed", format);
    switch (format) {
      case CSV -> {
        assertThat(plain).isEqualTo("id,name,qty,w\r\n1,\"a,b\",10,0.5\r\n2,,,1.0E300\r\n");
        assertThat(typed)
            .startsWith(
                "id,i,r,s,bl,n,plain\r\n"
                    + "1,text:abc,text:not a number,blob:AQ==,text:aGk=,real:Infinity,x\r\n"
                    + "2,blob:yv4=,blob:,text:text,integer:7,text:abc,y\r\n"
                    + "3,real:1.5,real:2.0,text:,real:2.5,integer:12,\r\n"
                    + "4,integer:5,real:0.001,text:text:no tag,blob:,real:-7.25,z\r\n");
      }
      case JSONL -> {
        assertThat(plain)
            .isEqualTo(
                "{\"id\":1,\"name\":\"a,b\",\"qty\":10,\"w\":0.5}\n"
                    + "{\"id\":2,\"name\":null,\"qty\":null,\"w\":1.0E300}\n");
        assertThat(typed.lines().findFirst().orElseThrow())
            .isEqualTo(
                "{\"id\":1,\"i\":{\"text\":\"abc\"},\"r\":{\"text\":\"not a number\"},"
                    + "\"s\":{\"blob\":\"AQ==\"},\"bl\":{\"text\":\"aGk=\"},"
                    + "\"n\":{\"real\":\"Infinity\"},\"plain\":\"x\"}");
      }
      default -> {
        assertThat(plain)
            .isEqualTo(
                "[\n{\"id\":1,\"name\":\"a,b\",\"qty\":10,\"w\":0.5},\n"
                    + "{\"id\":2,\"name\":null,\"qty\":null,\"w\":1.0E300}\n]\n");
        assertThat(typed).contains("\"i\":{\"blob\":\"yv4=\"},\"r\":{\"blob\":\"\"}");
      }
    }
  }

  private static String read(Path exportDir, String table, Format format) throws Exception {
    return Files.readString(
        exportDir.resolve(table + "." + format.extension()), StandardCharsets.UTF_8);
  }

  /** Every row's typeof() of each column, sorted (TableContents compares the values). */
  private static List<String> classes(Source s, String table) throws Exception {
    List<String> result = new ArrayList<>();
    try (Connection c = s.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM \"" + table + "\"")) {
      int n = rs.getMetaData().getColumnCount();
      StringBuilder select = new StringBuilder("SELECT ");
      for (int i = 1; i <= n; i++) {
        select
            .append(i == 1 ? "" : " || ',' || ")
            .append("typeof(\"")
            .append(rs.getMetaData().getColumnName(i))
            .append("\")");
      }
      try (Statement st2 = c.createStatement();
          ResultSet types = st2.executeQuery(select + " FROM \"" + table + "\" ORDER BY 1")) {
        while (types.next()) {
          result.add(types.getString(1));
        }
      }
    }
    assertThat(result).as(table + " has rows").isNotEmpty();
    return result;
  }
}
