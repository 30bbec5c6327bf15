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
  void doubles_of_moderate_size_keep_their_shortest_text() {
    assertThat(literal(0.1)).isEqualTo("0.1");
    assertThat(literal(1e60)).isEqualTo("1.0E60");
    assertThat(literal(-0.0)).isEqualTo("-0.0");
    assertThat(literal(Double.MIN_NORMAL * Math.scalb(1.0, 822))).doesNotContain("*");
  }
}
