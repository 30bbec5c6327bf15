package dev.dbsnap.format;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsnap.format.SampleObjects.Encoded;
import dev.dbsnap.format.SampleObjects.Table;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.testing.PgTestServer;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every {@link Format}'s {@link RowEncoder} promises, for tables read from either database:
 * deterministic bytes, frames that a fresh encoder re-encodes from their first row to the same
 * bytes (what resume relies on), and valid output for an empty table and for an object with no
 * tables. The one-byte-at-a-time stream through every compression is in {@code
 * dev.dbsnap.export.CompressionContractTest}.
 */
class FormatContractTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static List<Arguments> formatsAndDialects() {
    List<Arguments> all = new ArrayList<>();
    for (Format format : Format.values()) {
      for (DialectKind dialect : DialectKind.values()) {
        all.add(Arguments.of(format, dialect));
      }
    }
    return all;
  }

  /** One object as the format lays it out: one table per object, or all tables in one script. */
  private static List<Table> object(Format format, DialectKind dialect, int rows) {
    return format.objectPerTable()
        ? List.of(SampleObjects.items(dialect, rows))
        : List.of(SampleObjects.items(dialect, rows), SampleObjects.notes(dialect, 12));
  }

  @ParameterizedTest(name = "{0} from {1}")
  @MethodSource("formatsAndDialects")
  void the_same_rows_encode_to_the_same_bytes(Format format, DialectKind dialect) {
    List<Table> tables = object(format, dialect, 23);

    byte[] first = SampleObjects.encode(format, dialect, tables).all();
    byte[] second = SampleObjects.encode(format, dialect, tables).all();

    assertThat(first).isNotEmpty().isEqualTo(second);
  }

  @ParameterizedTest(name = "{0} from {1}")
  @MethodSource("formatsAndDialects")
  void a_fresh_encoder_resuming_at_any_frame_gives_the_same_bytes_from_there_on(
      Format format, DialectKind dialect) {
    List<Table> tables = object(format, dialect, 23);
    Encoded whole = SampleObjects.encode(format, dialect, tables);

    int segment = 1; // segment 0 is the object start
    for (int t = 0; t < tables.size(); t++) {
      int frames = SampleObjects.frames(tables.get(t).rows().size());
      for (int frame = 0; frame < frames; frame++, segment++) {
        if (t == 0 && frame == 0) {
          continue; // the start of the object, not a restart
        }
        byte[] resumed = SampleObjects.encodeFrom(format, dialect, tables, t, frame).all();
        assertThat(new String(resumed, UTF_8))
            .as("resumed at frame %d of table %d", frame, t)
            .isEqualTo(new String(whole.from(segment), UTF_8));
      }
    }
    assertThat(segment).isEqualTo(whole.segments().size() - 1);
  }

  @ParameterizedTest(name = "{0} from {1}")
  @MethodSource("formatsAndDialects")
  void every_row_is_in_valid_output(Format format, DialectKind dialect) throws Exception {
    List<Table> tables = object(format, dialect, 23);
    assertValid(format, dialect, tables, SampleObjects.encode(format, dialect, tables).all());
  }

  @ParameterizedTest(name = "{0} from {1}")
  @MethodSource("formatsAndDialects")
  void an_empty_table_is_valid_output(Format format, DialectKind dialect) throws Exception {
    List<Table> tables = List.of(SampleObjects.items(dialect, 0));
    byte[] bytes = SampleObjects.encode(format, dialect, tables).all();

    assertValid(format, dialect, tables, bytes);
    if (format == Format.CSV) {
      assertThat(new String(bytes, UTF_8)).isEqualTo("id,name,score,data,amount,flag\r\n");
    }
  }

  @ParameterizedTest(name = "{0} from {1}")
  @MethodSource("formatsAndDialects")
  void an_object_without_tables_is_valid_output(Format format, DialectKind dialect)
      throws Exception {
    byte[] bytes = SampleObjects.encode(format, dialect, List.of()).all();

    assertValid(format, dialect, List.of(), bytes);
    if (format.objectPerTable()) {
      assertThat(bytes).isEmpty();
    }
  }

  /** Parses or runs the output with a real reader and counts each table's rows. */
  private static void assertValid(
      Format format, DialectKind dialect, List<Table> tables, byte[] bytes) throws Exception {
    String text = new String(bytes, UTF_8);
    int rows = tables.isEmpty() ? 0 : tables.get(0).rows().size();
    switch (format) {
      case SQL -> {
        List<Long> counts = restore(dialect, text, tables);
        assertThat(counts).isEqualTo(tables.stream().map(t -> (long) t.rows().size()).toList());
      }
      case CSV -> {
        if (!tables.isEmpty()) {
          // a header and CRLF-terminated records; the CSV reader's own properties check fields
          assertThat(text).startsWith("id,name,score,data,amount,flag\r\n").endsWith("\r\n");
        }
      }
      case JSONL -> {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
          if (!line.isEmpty()) {
            lines.add(JSON.readTree(line));
          }
        }
        assertThat(lines).hasSize(rows).allMatch(JsonNode::isObject);
        assertThat(text.isEmpty() || text.endsWith("\n")).isTrue();
      }
      case JSON -> {
        if (tables.isEmpty()) {
          assertThat(text).isEmpty();
        } else {
          JsonNode array = JSON.readTree(text);
          assertThat(array.isArray()).isTrue();
          assertThat(array).hasSize(rows).allMatch(JsonNode::isObject);
        }
      }
    }
  }

  /** Runs the script in a new database of the dialect and counts the rows of every table. */
  private static List<Long> restore(DialectKind dialect, String script, List<Table> tables)
      throws SQLException, IOException {
    try (Connection c =
            dialect == DialectKind.SQLITE
                ? DriverManager.getConnection("jdbc:sqlite::memory:")
                : PgTestServer.connect(PgTestServer.createDatabase());
        Statement st = c.createStatement()) {
      // A string of several statements runs as a script: sqlite-jdbc's executeUpdate, pgjdbc's
      // execute (the script's SELECT set_config returns a result).
      if (dialect == DialectKind.SQLITE) {
        st.executeUpdate(script);
      } else {
        st.execute(script);
      }
      List<Long> counts = new ArrayList<>();
      for (Table t : tables) {
        String name = (dialect == DialectKind.POSTGRESQL ? "public." : "") + t.schema().name();
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + name)) {
          rs.next();
          counts.add(rs.getLong(1));
        }
      }
      return counts;
    }
  }
}
