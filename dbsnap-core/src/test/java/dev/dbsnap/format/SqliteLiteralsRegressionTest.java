package dev.dbsnap.format;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.ValueKind;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class SqliteLiteralsRegressionTest {
  private static final Column REAL = new Column("c", "REAL", ValueKind.FLOAT, true, null, false);

  private static String literal(double value) {
    ByteBuf out = new ByteBuf(16);
    SqliteLiterals.INSTANCE.write(out, value, REAL);
    return new String(out.toByteArray(), UTF_8);
  }

  private static double evaluate(String literal) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT " + literal)) {
      rs.next();
      return rs.getDouble(1);
    }
  }

  @Test
  void sqlite_misreads_the_shortest_text_of_a_subnormal_or_huge_double() throws SQLException {
    // Why the encoder scales such values: SQLite's own parser is one unit in the last place off.
    assertThat(evaluate("2.840896E-317")).isNotEqualTo(2.840896E-317);
    assertThat(evaluate("1.0866506359498185E-165")).isNotEqualTo(1.0866506359498185E-165);
  }

  @Test
  void doubles_sqlite_misparses_are_written_as_a_product_that_reads_back_exactly()
      throws SQLException {
    for (double d :
        new double[] {
          2.840896E-317,
          1.0866506359498185E-165,
          -1.3386647393169468E-213,
          Double.MIN_VALUE,
          -Double.MAX_VALUE,
          1.7256078683137282E295
        }) {
      String literal = literal(d);
      assertThat(literal).startsWith("(").endsWith(")");
      assertThat(evaluate(literal)).as(literal).isEqualTo(d);
    }
  }

  @Test
  void doubles_of_moderate_size_are_written_with_17_digits_as_sqlite3_dump_writes_them() {
    assertThat(literal(0.1)).isEqualTo("0.10000000000000001");
    assertThat(literal(1.0)).isEqualTo("1.0");
    assertThat(literal(1e16)).isEqualTo("10000000000000000.0");
    assertThat(literal(1e17)).isEqualTo("1.0e+17");
    assertThat(literal(1.5e-7)).isEqualTo("1.4999999999999999e-07");
    assertThat(literal(0.0001)).isEqualTo("0.0001");
    assertThat(literal(-0.0)).isEqualTo("-0.0");
    assertThat(literal(Double.MIN_NORMAL * Math.scalb(1.0, 822))).doesNotContain("*");
  }

  /**
   * sqlite3 3.40.1 (Debian 12) reads the shortest text 22.072241 as the double below it,
   * 22.072240999999998; the 17 digits of the double itself lie well inside its rounding interval.
   */
  @Test
  void a_gps_coordinate_is_written_with_17_digits() throws SQLException {
    assertThat(literal(22.072241)).isEqualTo("22.072241000000002");
    assertThat(evaluate(literal(22.072241))).isEqualTo(22.072241);
  }

  /** The BigDecimal-free 17 digits agree with BigDecimal's rounding wherever they answer. */
  @Test
  void seventeen_digits_without_bigdecimal_are_bigdecimals_digits() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(17);
    java.math.MathContext mc = new java.math.MathContext(17, java.math.RoundingMode.HALF_EVEN);
    int answered = 0;
    for (int i = 0; i < 1_000_000; i++) {
      double v =
          switch (i % 4) {
            case 0 -> Math.abs(Double.longBitsToDouble(random.nextLong()));
            case 1 -> random.nextDouble() * Math.pow(10, random.nextInt(-12, 18));
            case 2 -> Math.round(random.nextDouble() * 360_000_000) / 1e6; // coordinates
            default -> (double) random.nextLong(1L << 60) / (1L << random.nextInt(64));
          };
      if (!(v > 0) || Double.isInfinite(v)) {
        continue;
      }
      long fast = SqliteLiterals.fastSeventeenDigits(v);
      if (fast < 0) {
        continue;
      }
      answered++;
      java.math.BigDecimal exact = new java.math.BigDecimal(v).round(mc);
      // BigDecimal keeps fewer digits when the value has fewer: compare without trailing zeros
      assertThat(java.math.BigDecimal.valueOf(fast).stripTrailingZeros().unscaledValue())
          .as("%s", v)
          .isEqualTo(exact.stripTrailingZeros().unscaledValue());
    }
    assertThat(answered).isGreaterThan(500_000);
    assertThat(SqliteLiterals.fastSeventeenDigits(22.072241)).isEqualTo(22_072_241_000_000_002L);
  }
}
