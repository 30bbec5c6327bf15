package dev.dbsnap.source;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.format.ByteBuf;
import dev.dbsnap.format.Format;
import dev.dbsnap.format.RowEncoder;
import dev.dbsnap.testing.PgTestServer;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL reader's text mode (raw bytes as the server sent them) gives, in every format,
 * exactly the bytes of the typed-getter path it replaces: for the edge-value fixture and for random
 * values of every kind.
 */
class PostgresTextReadTest {
  private static final PostgresDialect PG = (PostgresDialect) PostgresDialect.INSTANCE;
  private static String database;
  private static Connection writer;
  private static Connection reader;
  private static PreparedStatement insert;

  @BeforeContainer
  static void createTable() throws SQLException {
    database = PgTestServer.createDatabase();
    writer = PgTestServer.connect(database);
    try (Statement st = writer.createStatement()) {
      st.execute(
          "CREATE TABLE public.r (id integer PRIMARY KEY, t text, n numeric, d double precision,"
              + " f real, b boolean, y bytea, j json, jb jsonb, a text[], ts timestamptz, c char(3),"
              + " i bigint)");
    }
    insert =
        writer.prepareStatement(
            "INSERT INTO public.r VALUES (?, ?, ?::numeric, ?::float8, ?::real, ?, ?,"
                + " pg_catalog.to_json(?::text), pg_catalog.jsonb_build_object('k', ?::text, 'n',"
                + " ?::numeric), ARRAY[?::text, NULL], pg_catalog.to_timestamp(?), ?, ?)");
    reader = PgTestServer.connect(database);
  }

  @AfterContainer
  static void close() throws SQLException {
    writer.close();
    reader.close();
  }

  @Test
  void text_rows_of_the_fixture_encode_to_the_typed_values_bytes_in_every_format()
      throws SQLException {
    try (Connection c = Snapshots.pg()) {
      DatabaseSchema schema = PG.introspect(c, TableSelection.ALL);
      assertThat(schema.tables()).isNotEmpty();
      for (TableSchema t : schema.tables()) {
        assertSamePaths(c, schema, t);
      }
    }
  }

  @Test
  void text_reader_values_equal_the_typed_getters_values() throws SQLException {
    try (Connection c = Snapshots.pg()) {
      DatabaseSchema schema = PG.introspect(c, TableSelection.ALL);
      for (TableSchema t : schema.tables()) {
        List<Object[]> typed = rows(c, t, false);
        List<Object[]> text = rows(c, t, true);
        assertThat(text).hasSameSizeAs(typed);
        for (int i = 0; i < typed.size(); i++) {
          assertThat(Arrays.deepEquals(text.get(i), typed.get(i)))
              .as("%s row %d: %s vs %s", t.displayName(), i, text.get(i), typed.get(i))
              .isTrue();
        }
      }
    }
  }

  @Test
  void text_reader_keeps_keys_as_text() throws SQLException {
    try (Connection c = Snapshots.pg()) {
      TableSchema pairs =
          PG.introspect(c, TableSelection.ALL).tables().stream()
              .filter(t -> t.name().equals("pairs"))
              .findFirst()
              .orElseThrow();
      try (TableReader r = PG.openReader(c, pairs, List.of("1", "a"))) {
        assertThat(r.hasText()).isTrue();
        assertThat(r.next()).isTrue();
        assertThat(r.key()).isEqualTo(List.of("1", "z"));
        assertThat(new String(r.text(1), UTF_8)).isEqualTo("z");
      }
    }
  }

  record Row(
      String text,
      BigDecimal number,
      double dbl,
      float real,
      Boolean flag,
      byte[] bytes,
      long seconds) {}

  @Property(tries = 150)
  void random_rows_encode_to_the_typed_values_bytes_in_every_format(@ForAll("rows") List<Row> rows)
      throws SQLException {
    try (Statement st = writer.createStatement()) {
      st.execute("DELETE FROM public.r"); // TRUNCATE would wait for the reader's snapshot
    }
    int id = 0;
    for (Row row : rows) {
      insert.setInt(1, id++);
      insert.setString(2, row.text());
      insert.setString(3, row.number() == null ? null : row.number().toPlainString());
      insert.setString(4, doubleText(row.dbl()));
      insert.setString(5, doubleText(row.real()));
      insert.setObject(6, row.flag());
      insert.setBytes(7, row.bytes());
      insert.setString(8, row.text());
      insert.setString(9, row.text());
      insert.setString(10, row.number() == null ? null : row.number().toPlainString());
      insert.setString(11, row.text());
      insert.setLong(12, row.seconds());
      insert.setString(13, row.text() == null ? null : "a,");
      insert.setLong(14, row.number() == null ? 0 : row.number().longValue());
      insert.addBatch();
    }
    // two NULL-only rows: every column's NULL
    for (int k = 0; k < 2; k++) {
      insert.setInt(1, id++);
      for (int p = 2; p <= 14; p++) {
        insert.setNull(p, java.sql.Types.OTHER);
      }
      insert.setLong(12, 0);
      insert.addBatch();
    }
    insert.executeBatch();
    PG.beginSnapshot(reader);
    DatabaseSchema schema = PG.introspect(reader, TableSelection.ALL);
    try {
      for (TableSchema t : schema.tables()) {
        assertSamePaths(reader, schema, t);
      }
    } finally {
      reader.rollback();
    }
  }

  private static String doubleText(double d) {
    return Double.isNaN(d)
        ? "NaN"
        : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : Double.toString(d);
  }

  @Provide
  Arbitrary<List<Row>> rows() {
    return row().list().ofMinSize(1).ofMaxSize(6);
  }

  private static Arbitrary<Row> row() {
    Arbitrary<String> text =
        Arbitraries.oneOf(
                Arbitraries.strings().withChars("\",\r\n'\\ aé中\u0001\u007f\u2028{}[]:"),
                Arbitraries.strings().withCharRange(' ', '~'),
                Arbitraries.strings()
                    .all()
                    .filter(s -> s.indexOf('\0') < 0 && !hasLoneSurrogate(s)),
                Arbitraries.of("", "😀", "a😀\"b", "NULL", "\\N", "\"\"", "''", "\r\n"))
            .injectNull(0.15);
    Arbitrary<BigDecimal> number =
        Arbitraries.oneOf(
                Arbitraries.bigDecimals()
                    .between(new BigDecimal("-1e40"), new BigDecimal("1e40"))
                    .ofScale(12),
                Arbitraries.longs().map(BigDecimal::valueOf),
                Arbitraries.of(
                    new BigDecimal("0.000000000000000000001"),
                    new BigDecimal("123.400"),
                    new BigDecimal("-0.01"),
                    BigDecimal.ZERO))
            .injectNull(0.1);
    Arbitrary<Double> dbl =
        Arbitraries.oneOf(
            Arbitraries.longs().map(Double::longBitsToDouble),
            Arbitraries.doubles(),
            Arbitraries.of(0.1, 100.0, 1e300, -0.0, 4.9e-324, 1e22, 1e23, 1e-5, 1e7));
    Arbitrary<Float> real =
        Arbitraries.oneOf(
            Arbitraries.integers().map(Float::intBitsToFloat), Arbitraries.of(0.1f, 16777217f));
    return Combinators.combine(
            text,
            number,
            dbl,
            real,
            Arbitraries.of(true, false).injectNull(0.2),
            Arbitraries.bytes().array(byte[].class).ofMaxSize(40).injectNull(0.2),
            Arbitraries.longs().between(-30_000_000_000L, 200_000_000_000L))
        .as(Row::new);
  }

  private static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static void assertSamePaths(Connection c, DatabaseSchema schema, TableSchema t)
      throws SQLException {
    for (Format format : Format.values()) {
      byte[] typed = encode(c, schema, t, format, false);
      byte[] text = encode(c, schema, t, format, true);
      assertThat(new String(text, UTF_8))
          .as("%s as %s", t.displayName(), format)
          .isEqualTo(new String(typed, UTF_8));
      assertThat(text).isEqualTo(typed);
    }
  }

  /** A table encoded as an export does, with frames of two rows. */
  private static byte[] encode(
      Connection c, DatabaseSchema schema, TableSchema t, Format format, boolean text)
      throws SQLException {
    RowEncoder encoder = format.encoder(schema, 3);
    ByteBuf out = new ByteBuf(1024);
    encoder.tableStart(t, out);
    encoder.frameStart(t, true);
    try (TableReader r = PG.openReader(c, t, null, text)) {
      assertThat(r.hasText()).isEqualTo(text);
      int n = 0;
      while (r.next()) {
        if (text) {
          encoder.row(r, out);
        } else {
          encoder.row(r.values(), out);
        }
        if (++n % 2 == 0) {
          encoder.frameEnd(out);
          encoder.frameStart(t, false);
        }
      }
    }
    encoder.frameEnd(out);
    encoder.tableEnd(out);
    return out.toByteArray();
  }

  private static List<Object[]> rows(Connection c, TableSchema t, boolean text)
      throws SQLException {
    List<Object[]> rows = new ArrayList<>();
    try (TableReader r = PG.openReader(c, t, null, text)) {
      while (r.next()) {
        Object[] single = new Object[t.columns().size()];
        for (int i = 0; i < single.length; i++) {
          single[i] = r.value(i);
        }
        assertThat(Arrays.deepEquals(single, r.values())).isTrue();
        rows.add(r.values().clone());
      }
    }
    return rows;
  }
}
