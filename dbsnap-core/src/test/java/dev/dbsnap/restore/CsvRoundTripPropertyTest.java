package dev.dbsnap.restore;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.format.ByteBuf;
import dev.dbsnap.format.Format;
import dev.dbsnap.format.RowEncoder;
import dev.dbsnap.format.ValueArbitraries;
import dev.dbsnap.source.Column;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.KeyKind;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.ValueKind;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The CSV the encoder writes reads back through {@link CsvRecordReader} to the same fields: text of
 * any content, with NULL (an empty unquoted field) kept apart from the empty string ({@code ""}).
 */
class CsvRoundTripPropertyTest {

  /** A header and rows of one width; a null field is SQL NULL. */
  record Table(List<String> header, List<List<String>> rows) {}

  @Provide
  Arbitrary<Table> tables() {
    Arbitrary<String> text = ValueArbitraries.text(true);
    return Arbitraries.integers()
        .between(1, 5)
        .flatMap(
            width -> {
              Arbitrary<List<String>> header = text.list().ofSize(width);
              Arbitrary<List<List<String>>> rows =
                  text.injectNull(0.25).list().ofSize(width).list().ofMaxSize(8);
              return header.flatMap(h -> rows.map(r -> new Table(h, r)));
            });
  }

  @Property(tries = 400)
  void text_fields_and_nulls_read_back_as_written(@ForAll("tables") Table table)
      throws IOException {
    String csv = encode(table.header(), new ArrayList<>(table.rows()));

    assertThat(readAll(new StringReader(csv))).isEqualTo(expected(table));
  }

  @Property(tries = 200)
  void a_reader_fed_one_character_at_a_time_reads_the_same_records(@ForAll("tables") Table table)
      throws IOException {
    String csv = encode(table.header(), new ArrayList<>(table.rows()));

    assertThat(readAll(new OneCharAtATime(csv))).isEqualTo(expected(table));
  }

  @Property(tries = 300)
  void typed_values_read_back_as_their_text_forms(
      @ForAll("longs") Long integer,
      @ForAll("doubles") Double real,
      @ForAll("decimals") BigDecimal decimal,
      @ForAll boolean flag,
      @ForAll("bytes") byte[] bytes)
      throws IOException {
    List<Object> row = Arrays.asList(integer, real, decimal, flag, bytes);
    String csv = encode(List.of("i", "r", "d", "f", "b"), List.of(row));

    List<List<String>> records = readAll(new StringReader(csv));
    assertThat(records).hasSize(2);
    List<String> fields = records.get(1);
    assertThat(Long.parseLong(fields.get(0))).isEqualTo(integer);
    // compare distinguishes -0.0 from 0.0 and holds every NaN equal to itself
    assertThat(Double.compare(Double.parseDouble(fields.get(1)), real)).isZero();
    assertThat(new BigDecimal(fields.get(2))).isEqualTo(decimal);
    assertThat(fields.get(3)).isEqualTo(flag ? "true" : "false");
    // an empty BLOB is the empty string, never NULL
    assertThat(fields.get(4)).isNotNull();
    assertThat(Base64.getDecoder().decode(fields.get(4))).isEqualTo(bytes);
  }

  @Provide
  Arbitrary<Long> longs() {
    return ValueArbitraries.longs();
  }

  @Provide
  Arbitrary<Double> doubles() {
    return ValueArbitraries.doubles();
  }

  @Provide
  Arbitrary<BigDecimal> decimals() {
    return ValueArbitraries.decimals();
  }

  @Provide
  Arbitrary<byte[]> bytes() {
    return ValueArbitraries.bytes();
  }

  private static List<List<String>> expected(Table table) {
    List<List<String>> records = new ArrayList<>();
    records.add(table.header());
    records.addAll(table.rows());
    return records;
  }

  /** The CSV object of one table, driven as the exporter drives an encoder. */
  private static String encode(List<String> header, List<? extends List<?>> rows) {
    List<Column> columns = new ArrayList<>();
    for (String name : header) {
      columns.add(new Column(name, "text", ValueKind.TEXT, true, null, false));
    }
    TableSchema table =
        new TableSchema(
            null,
            "t",
            columns,
            List.of(),
            KeyKind.ROWID,
            "CREATE TABLE t",
            List.of(),
            List.of(),
            -1);
    DatabaseSchema schema =
        new DatabaseSchema(DialectKind.SQLITE, "3", List.of(), List.of(table), List.of());
    RowEncoder encoder = Format.CSV.encoder(schema, 100);
    ByteBuf out = new ByteBuf(256);
    encoder.objectStart(out);
    encoder.tableStart(table, out);
    encoder.frameStart(table, true);
    for (List<?> row : rows) {
      encoder.row(row.toArray(), out);
    }
    encoder.frameEnd(out);
    encoder.tableEnd(out);
    encoder.objectEnd(out);
    return new String(out.toByteArray(), UTF_8);
  }

  private static List<List<String>> readAll(Reader in) throws IOException {
    CsvRecordReader reader = new CsvRecordReader(in);
    List<List<String>> records = new ArrayList<>();
    for (List<String> record; (record = reader.next()) != null; ) {
      records.add(record);
    }
    return records;
  }

  /** A reader that hands out one character per call, so every record crosses buffer refills. */
  private static final class OneCharAtATime extends Reader {
    private final String text;
    private int pos;

    OneCharAtATime(String text) {
      this.text = text;
    }

    @Override
    public int read(char[] buf, int off, int len) {
      if (pos == text.length()) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      buf[off] = text.charAt(pos++);
      return 1;
    }

    @Override
    public void close() {}
  }
}
