package dev.dbsnap.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.testing.PgTestServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Floats as PostgreSQL prints them, moved into Java's layout without parsing, are exactly the text
 * the parse-and-print path gives: for random bit patterns (subnormals and extremes included), GPS
 * coordinates, whole numbers and the values around each switch between fixed and exponent layout.
 */
class DoubleTextTest {
  @Test
  void postgres_float_text_in_java_layout_equals_parse_and_print() throws Exception {
    List<Double> values = new ArrayList<>();
    Random random = new Random(20261201);
    for (int i = 0; i < 40_000; i++) {
      double d = Double.longBitsToDouble(random.nextLong());
      if (Double.isFinite(d) && (d == 0 || Math.abs(d) >= Double.MIN_NORMAL)) {
        values.add(d); // the server refuses subnormals
      }
    }
    for (int i = 0; i < 15_000; i++) {
      values.add(Math.round((random.nextDouble() * 180 - 90) * 1e6) / 1e6);
      values.add((double) (random.nextLong() >> random.nextInt(64)));
      values.add(random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
    }
    for (int e = -12; e <= 12; e++) {
      double p = Math.pow(10, e);
      for (double d : new double[] {p, Math.nextUp(p), Math.nextDown(p), -p, 1.5 * p}) {
        values.add(d);
      }
    }
    for (double d :
        new double[] {
          0.0,
          -0.0,
          Double.MIN_VALUE,
          -Double.MIN_VALUE,
          Double.MIN_NORMAL,
          Double.MAX_VALUE,
          1e-300,
          2.2250738585072014E-308,
          1e23,
          9007199254740993.0,
          0.1,
          0.30000000000000004
        }) {
      values.add(d);
    }
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db)) {
      try (Statement st = c.createStatement()) {
        st.execute("SET extra_float_digits = 3");
      }
      int checked = 0;
      for (int from = 0; from < values.size(); from += 10_000) {
        List<Double> batch = values.subList(from, Math.min(values.size(), from + 10_000));
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT x::text, CASE WHEN abs(x) BETWEEN 1e-37 AND 1e38 THEN x::real::text END"
                    + " FROM unnest(?::float8[]) WITH ORDINALITY AS u(x, n) ORDER BY n")) {
          ps.setArray(1, c.createArrayOf("float8", batch.toArray()));
          try (ResultSet rs = ps.executeQuery()) {
            for (double d : batch) {
              rs.next();
              for (int column = 1; column <= 2; column++) {
                String text = rs.getString(column);
                if (text == null) {
                  continue; // out of a real's range
                }
                ByteBuf out = new ByteBuf(32);
                Numbers.writeDoubleText(text.getBytes(StandardCharsets.US_ASCII), out);
                String expected = Numbers.doubleText(Double.parseDouble(text));
                assertThat(new String(out.toByteArray(), StandardCharsets.US_ASCII))
                    .as("%s printed by the server as %s", d, text)
                    .isEqualTo(expected);
                checked++;
              }
            }
          }
        }
      }
      assertThat(checked).isGreaterThan(120_000);
    }
  }

  @Test
  void text_no_server_prints_is_parsed_and_printed() {
    for (String text :
        new String[] {
          "NaN", "Infinity", "-Infinity", "1e5", "0", "-0", "1.e2", "4.9e-324", "1e-310", "1e+308"
        }) {
      ByteBuf out = new ByteBuf(16);
      Numbers.writeDoubleText(text.getBytes(StandardCharsets.US_ASCII), out);
      assertThat(new String(out.toByteArray(), StandardCharsets.US_ASCII))
          .as(text)
          .isEqualTo(Numbers.doubleText(Double.parseDouble(text)));
    }
  }
}
