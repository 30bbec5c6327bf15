package dev.dbsnap.format;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.ValueKind;
import dev.dbsnap.testing.PgTestServer;
import java.math.BigDecimal;
import java.sql.Connection;
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
 * Every PostgreSQL literal the encoder writes, inserted into a column of its type as the SQL dump
 * does, is stored as the same value: read back in the text form dbsnap's reader uses, it parses to
 * what was written. One connection to the embedded server serves every try.
 */
class PostgresLiteralsPropertyTest {
  private static final SqlLiterals LITERALS = SqlLiterals.of(DialectKind.POSTGRESQL);
  private static Connection connection;
  private static Statement statement;

  @BeforeContainer
  static void createTables() throws SQLException {
    connection = PgTestServer.connect(PgTestServer.createDatabase());
    statement = connection.createStatement();
    // The session settings of dbsnap's reader (PostgresDialect.beginSnapshot) that shape text
    // forms.
    statement.execute("SET extra_float_digits = 3");
    statement.execute("SET bytea_output = 'hex'");
    statement.execute(
        "CREATE TABLE v (i bigint, d double precision, r real, n numeric, s text, b bytea)");
  }

  @AfterContainer
  static void closeConnection() throws SQLException {
    connection.close();
  }

  private static String literal(Object value, String type, ValueKind kind) {
    ByteBuf out = new ByteBuf(16);
    LITERALS.write(out, value, new Column("c", type, kind, true, null, false));
    return new String(out.toByteArray(), UTF_8);
  }

  /** Inserts the literal into column {@code column} of type {@code type} and reads it back. */
  private static ResultSet insert(String column, String type, ValueKind kind, Object value)
      throws SQLException {
    ResultSet rs =
        statement.executeQuery(
            "INSERT INTO v ("
                + column
                + ") VALUES ("
                + literal(value, type, kind)
                + ") RETURNING "
                + column
                + ", "
                + column
                + "::text");
    rs.next();
    return rs;
  }

  @Property(tries = 200)
  void bigints_are_stored_as_the_same_integer(@ForAll long value) throws SQLException {
    try (ResultSet rs = insert("i", "bigint", ValueKind.INTEGER, value)) {
      assertThat(rs.getLong(1)).isEqualTo(value);
    }
  }

  @Property(tries = 200)
  void doubles_are_stored_as_the_same_double_including_nan_infinities_and_negative_zero(
      @ForAll("doubles") double value) throws SQLException {
    try (ResultSet rs = insert("d", "double precision", ValueKind.FLOAT, value)) {
      // The reader parses the text form (PostgresTableReader.floating).
      double read = Double.valueOf(rs.getString(2));
      assertThat(Double.doubleToLongBits(read))
          .as("%s read back as %s from %s", value, read, literal(value, "float8", ValueKind.FLOAT))
          .isEqualTo(Double.doubleToLongBits(value));
    }
  }

  @Property(tries = 100)
  void reals_are_stored_as_the_same_float(@ForAll("floats") float value) throws SQLException {
    // A real column reads as the Double of its text form; that double is what the encoder gets.
    double asRead = Double.valueOf(Float.toString(value));
    try (ResultSet rs = insert("r", "real", ValueKind.FLOAT, asRead)) {
      assertThat(Float.floatToIntBits(Float.parseFloat(rs.getString(2))))
          .as("%s read back as %s", value, rs.getString(2))
          .isEqualTo(Float.floatToIntBits(value));
    }
  }

  @Property(tries = 200)
  void numerics_are_stored_with_the_same_digits_and_scale(@ForAll("decimals") BigDecimal value)
      throws SQLException {
    try (ResultSet rs = insert("n", "numeric", ValueKind.DECIMAL, value)) {
      assertThat(new BigDecimal(rs.getString(2))).isEqualTo(value);
    }
  }

  @Property(tries = 10)
  void numeric_nan_and_infinities_are_stored_as_themselves(@ForAll("numericSpecials") double value)
      throws SQLException {
    // PostgresTableReader hands out these numeric values as doubles.
    try (ResultSet rs = insert("n", "numeric", ValueKind.DECIMAL, value)) {
      assertThat(rs.getString(2))
          .isEqualTo(Double.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }
  }

  /**
   * PostgreSQL text cannot hold NUL (so no source value has one); every other Unicode scalar value
   * comes back.
   */
  @Property(tries = 200)
  void text_is_stored_as_the_same_string(@ForAll("text") String value) throws SQLException {
    try (ResultSet rs = insert("s", "text", ValueKind.TEXT, value)) {
      assertThat(rs.getString(1)).isEqualTo(value);
    }
  }

  @Property(tries = 200)
  void bytea_is_stored_as_the_same_bytes(@ForAll("bytes") byte[] value) throws SQLException {
    try (ResultSet rs = insert("b", "bytea", ValueKind.BYTES, value)) {
      assertThat(rs.getBytes(1)).isEqualTo(value);
    }
  }

  @Provide
  Arbitrary<Double> doubles() {
    return ValueArbitraries.doubles();
  }

  @Provide
  Arbitrary<Float> floats() {
    return Arbitraries.oneOf(
        Arbitraries.integers().map(Float::intBitsToFloat),
        Arbitraries.of(
            0.0f,
            -0.0f,
            Float.NaN,
            Float.MIN_VALUE,
            Float.MIN_NORMAL,
            Float.MAX_VALUE,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            0.1f));
  }

  @Provide
  Arbitrary<BigDecimal> decimals() {
    return ValueArbitraries.decimals();
  }

  @Provide
  Arbitrary<Double> numericSpecials() {
    return Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
  }

  @Provide
  Arbitrary<String> text() {
    return ValueArbitraries.text(false);
  }

  @Provide
  Arbitrary<byte[]> bytes() {
    return ValueArbitraries.bytes();
  }
}
