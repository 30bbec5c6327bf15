package dev.dbsnap.source;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.format.ByteBuf;
import dev.dbsnap.format.Format;
import dev.dbsnap.format.RowEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The SQLite reader's native path (one driver lock per row, text kept as the UTF-8 bytes SQLite
 * stores and copied by the csv and sql encoders) writes exactly the bytes of the decoded values, in
 * every format: for random values of every storage class in typed and untyped columns, text that is
 * not valid UTF-8, NUL and CR, and a database that stores text as UTF-16.
 */
class SqliteNativeReadTest {
  private static final Dialect SQLITE = SqliteDialect.INSTANCE;

  @Property(tries = 60)
  void random_rows_encode_to_the_decoded_values_bytes_in_every_format(
      @ForAll("values") List<Object> values, @ForAll boolean utf16) throws Exception {
    Path dir = Files.createTempDirectory("dbsnap-native");
    Path file = dir.resolve("t.db");
    try {
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
          Statement st = c.createStatement()) {
        if (utf16) {
          st.execute("PRAGMA encoding = 'UTF-16le'");
        }
        st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b, c INTEGER, d REAL, e BLOB)");
        try (PreparedStatement ps =
            c.prepareStatement("INSERT INTO t (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)")) {
          for (int i = 0; i < values.size(); i++) {
            for (int col = 1; col <= 5; col++) {
              ps.setObject(col, values.get((i + col) % values.size()));
            }
            ps.executeUpdate();
          }
        }
        // text whose bytes are not UTF-8, as another program may have stored it
        st.execute(
            "INSERT INTO t (a, b) VALUES (CAST(x'61ff62' AS TEXT), CAST(x'c3' AS TEXT)),"
                + " (CAST(x'eda080' AS TEXT), CAST(x'f4908080' AS TEXT)),"
                + " (CAST(x'00410d0a' AS TEXT), 'x''y\"z,')");
      }
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
        SQLITE.beginSnapshot(c);
        DatabaseSchema schema = SQLITE.introspect(c, TableSelection.ALL);
        TableSchema t = schema.tables().get(0);
        for (Format format : Format.values()) {
          byte[] copied = encode(c, schema, t, format, true);
          byte[] decoded = encode(c, schema, t, format, false);
          assertThat(new String(copied, UTF_8))
              .as("%s (UTF-16: %s)", format, utf16)
              .isEqualTo(new String(decoded, UTF_8));
          assertThat(copied).isEqualTo(decoded);
        }
      }
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
  }

  @Property(tries = 2000)
  void well_formed_is_exactly_what_java_decodes_without_replacement(
      @ForAll("utf8ish") byte[] bytes) {
    boolean roundTrips = Arrays.equals(new String(bytes, UTF_8).getBytes(UTF_8), bytes);
    assertThat(SqliteDialect.SqliteTableReader.wellFormed(bytes)).isEqualTo(roundTrips);
  }

  @Provide
  Arbitrary<List<Object>> values() {
    Arbitrary<Object> text =
        Arbitraries.oneOf(
            Arbitraries.strings().withChars("\",\r\n'\\ aé中\u0000\u0001\u007f\u2028"),
            Arbitraries.strings().all().filter(s -> new String(s.getBytes(UTF_8), UTF_8).equals(s)),
            Arbitraries.of("", "😀", "NULL", "\r\n", "'"));
    Arbitrary<Object> other =
        Arbitraries.oneOf(
            Arbitraries.longs().map(l -> (Object) l),
            Arbitraries.longs().map(Double::longBitsToDouble).filter(d -> !d.isNaN()).map(d -> d),
            Arbitraries.bytes().array(byte[].class).ofMaxSize(20).map(b -> (Object) b));
    return Arbitraries.oneOf(text, other).injectNull(0.15).list().ofMinSize(1).ofMaxSize(8);
  }

  @Provide
  Arbitrary<byte[]> utf8ish() {
    // mostly near-UTF-8: lead bytes, continuation bytes and ASCII, so the edges are hit often
    Arbitrary<Byte> b =
        Arbitraries.oneOf(
            Arbitraries.bytes(),
            Arbitraries.of(
                (byte) 0x41,
                (byte) 0x80,
                (byte) 0x8f,
                (byte) 0x90,
                (byte) 0x9f,
                (byte) 0xa0,
                (byte) 0xbf,
                (byte) 0xc0,
                (byte) 0xc1,
                (byte) 0xc2,
                (byte) 0xdf,
                (byte) 0xe0,
                (byte) 0xed,
                (byte) 0xef,
                (byte) 0xf0,
                (byte) 0xf4,
                (byte) 0xf5,
                (byte) 0xff));
    return b.array(byte[].class).ofMaxSize(8);
  }

  /** A table encoded from the reader (copying text) or from its decoded values. */
  private static byte[] encode(
      Connection c, DatabaseSchema schema, TableSchema t, Format format, boolean fromReader)
      throws SQLException {
    RowEncoder encoder = format.encoder(schema, 3);
    ByteBuf out = new ByteBuf(1024);
    encoder.tableStart(t, out);
    encoder.frameStart(t, true);
    try (TableReader r = SQLITE.openReader(c, t, null)) {
      while (r.next()) {
        if (fromReader) {
          encoder.row(r, out);
        } else {
          encoder.row(r.values(), out);
        }
      }
    }
    encoder.frameEnd(out);
    encoder.tableEnd(out);
    return out.toByteArray();
  }
}
