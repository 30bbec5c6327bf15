package dev.dbsnap.format;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.ValueKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Every SQLite literal the encoder writes is read back by SQLite itself ({@code SELECT <literal>}
 * on an in-memory database) as the same value with the same storage class.
 */
class SqliteLiteralsPropertyTest {
  private static final SqlLiterals LITERALS = SqlLiterals.of(DialectKind.SQLITE);
  private static final Column ANY = new Column("c", "", ValueKind.OTHER, true, null, false);
  private static Connection connection;

  @BeforeContainer
  static void openDatabase() throws SQLException {
    connection = DriverManager.getConnection("jdbc:sqlite::memory:");
  }

  @AfterContainer
  static void closeDatabase() throws SQLException {
    connection.close();
  }

  /** The literal's storage class and value, as SQLite evaluates it. */
  private record Evaluated(String storageClass, Object value) {}

  private static String literal(Object value) {
    ByteBuf out = new ByteBuf(16);
    LITERALS.write(out, value, ANY);
    return new String(out.toByteArray(), UTF_8);
  }

  private static Evaluated evaluate(Object value) throws SQLException {
    String literal = literal(value);
    try (Statement statement = connection.createStatement();
        ResultSet rs =
            statement.executeQuery("SELECT typeof(v), v FROM (SELECT " + literal + " AS v)")) {
      rs.next();
      String storageClass = rs.getString(1);
      Object read =
          switch (storageClass) {
            case "integer" -> rs.getLong(2);
            case "real" -> rs.getDouble(2);
            case "text" -> rs.getString(2);
            case "blob" -> rs.getBytes(2);
            default -> rs.getObject(2);
          };
      return new Evaluated(storageClass, read);
    }
  }

  @Property(tries = 300)
  void integers_read_back_as_the_same_integer(@ForAll long value) throws SQLException {
    assertThat(evaluate(value)).isEqualTo(new Evaluated("integer", value));
  }

  @Property(tries = 500)
  void doubles_read_back_as_the_same_real(@ForAll("doubles") double value) throws SQLException {
    Evaluated read = evaluate(value);
    if (Double.isNaN(value)) {
      // SQLite has no NaN: it stores one as NULL, so no SQLite source holds one; the encoder
      // writes NULL rather than a literal that would read back as something else.
      assertThat(read).isEqualTo(new Evaluated("null", null));
      return;
    }
    assertThat(read.storageClass()).isEqualTo("real");
    assertThat((double) read.value())
        .as("%s read back from %s", value, literal(value))
        .isEqualTo(value);
    assertThat(Double.doubleToRawLongBits((double) read.value()))
        .as("sign of %s read back from %s", value, literal(value))
        .isEqualTo(Double.doubleToRawLongBits(value));
  }

  @Property(tries = 300)
  void text_reads_back_as_the_same_text(@ForAll("text") String value) throws SQLException {
    assertThat(evaluate(value)).isEqualTo(new Evaluated("text", value));
  }

  @Property(tries = 300)
  void blobs_read_back_as_the_same_bytes(@ForAll("bytes") byte[] value) throws SQLException {
    Evaluated read = evaluate(value);
    assertThat(read.storageClass()).isEqualTo("blob");
    assertThat((byte[]) read.value()).isEqualTo(value);
  }

  /**
   * An SQLite reader never hands out a BigDecimal (its values are integer, real, text or blob), so
   * the promise is only that a decimal of up to 15 digits, which a double holds, reads back as the
   * same number: an integer when it has no fraction, else a real.
   */
  @Property(tries = 300)
  void decimals_of_up_to_15_digits_read_back_as_the_same_number(
      @ForAll("shortDecimals") BigDecimal value) throws SQLException {
    Evaluated read = evaluate(value);
    if (value.scale() == 0) {
      assertThat(read).isEqualTo(new Evaluated("integer", value.longValueExact()));
    } else {
      assertThat(read.storageClass()).isEqualTo("real");
      assertThat(new BigDecimal(Double.toString((double) read.value())))
          .isEqualByComparingTo(value);
    }
  }

  @Provide
  Arbitrary<Double> doubles() {
    return ValueArbitraries.doubles();
  }

  @Provide
  Arbitrary<String> text() {
    return ValueArbitraries.text(true);
  }

  @Provide
  Arbitrary<byte[]> bytes() {
    return ValueArbitraries.bytes();
  }

  @Provide
  Arbitrary<BigDecimal> shortDecimals() {
    return Arbitraries.longs()
        .between(-999_999_999_999_999L, 999_999_999_999_999L)
        .flatMap(
            n ->
                Arbitraries.integers()
                    .between(0, 20)
                    .map(scale -> new BigDecimal(BigInteger.valueOf(n), scale)));
  }
}
