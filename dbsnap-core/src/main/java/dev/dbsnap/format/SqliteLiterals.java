package dev.dbsnap.format;

import dev.dbsnap.source.Column;
import java.math.BigDecimal;

/**
 * SQLite literals by storage class, so a value restores with the class it had even where that
 * differs from the column's declared type: integers as digits, reals always with a decimal point or
 * exponent, text quoted, BLOBs as X'..'.
 */
final class SqliteLiterals implements SqlLiterals {
  static final SqlLiterals INSTANCE = new SqliteLiterals();

  /** Binary exponents within which SQLite reads the shortest decimal text of a double exactly. */
  private static final int EXACT_EXPONENT = 200;

  private static final String TWO_TO_THE_200 = Double.toString(Math.scalb(1.0, EXACT_EXPONENT));
  private static final String TWO_TO_THE_MINUS_200 =
      Double.toString(Math.scalb(1.0, -EXACT_EXPONENT));

  private SqliteLiterals() {}

  @Override
  public void write(ByteBuf out, Object value, Column column) {
    if (value == null) {
      out.ascii("NULL");
    } else if (value instanceof Long l) {
      out.decimal(l);
    } else if (value instanceof String s) {
      text(out, s);
    } else if (value instanceof Double d) {
      real(out, d);
    } else if (value instanceof byte[] b) {
      out.ascii("X'").hex(b).write('\'');
    } else if (value instanceof Boolean b) {
      out.write(b ? '1' : '0');
    } else if (value instanceof BigDecimal d) {
      out.ascii(d.toPlainString());
    } else {
      out.ascii(value.toString());
    }
  }

  static void real(ByteBuf out, double d) {
    if (Double.isNaN(d)) {
      out.ascii("NULL"); // SQLite stores NaN as NULL; it cannot be read back as anything else
    } else if (Double.isInfinite(d)) {
      out.ascii(d > 0 ? "1e999" : "-1e999");
    } else if (d == 0 || Math.abs(Math.getExponent(d)) <= EXACT_EXPONENT) {
      // Double.toString is the shortest text that reads back to the same double, and always has
      // a '.' or exponent, so SQLite parses it as REAL, not INTEGER.
      out.ascii(Double.toString(d));
    } else {
      scaled(out, d);
    }
  }

  /**
   * SQLite's text-to-double conversion is not correctly rounded far from 1: 3.50 reads a third to a
   * half of the doubles below 2^-270 (1.0E-300 among them) and about one in ten above 2^370 one
   * unit in the last place off, whatever the number of digits. It does read 2^±200 and every double
   * in between exactly, and multiplies by a power of two without rounding, so such a value is
   * written as a double of moderate size times powers of 2^±200: the exact product is the value, so
   * no step rounds.
   */
  private static void scaled(ByteBuf out, double d) {
    double x = d;
    int steps = 0;
    while (Math.getExponent(x) > EXACT_EXPONENT) {
      x = Math.scalb(x, -EXACT_EXPONENT);
      steps++;
    }
    while (Math.getExponent(x) < -EXACT_EXPONENT) {
      x = Math.scalb(x, EXACT_EXPONENT);
      steps--;
    }
    out.write('(').ascii(Double.toString(x));
    for (int i = 0; i < Math.abs(steps); i++) {
      out.write('*').ascii(steps > 0 ? TWO_TO_THE_200 : TWO_TO_THE_MINUS_200);
    }
    out.write(')');
  }

  static void text(ByteBuf out, String s) {
    int special = nextSpecial(s, 0);
    if (special < 0) {
      quoted(out, s, 0, s.length());
      return;
    }
    // A quoted literal cannot hold NUL, and the sqlite3 shell drops a CR before a line end:
    // write those characters as char(n) joined to the quoted pieces, as the shell's .dump does.
    out.write('(');
    int from = 0;
    while (special >= 0) {
      quoted(out, s, from, special);
      out.ascii("||char(").decimal(s.charAt(special)).ascii(")||");
      from = special + 1;
      special = nextSpecial(s, from);
    }
    quoted(out, s, from, s.length());
    out.write(')');
  }

  private static int nextSpecial(String s, int from) {
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\0' || c == '\r') {
        return i;
      }
    }
    return -1;
  }

  private static void quoted(ByteBuf out, String s, int from, int to) {
    out.write('\'');
    int start = from;
    for (int i = from; i < to; i++) {
      if (s.charAt(i) == '\'') {
        out.utf8(s, start, i + 1).write('\'');
        start = i + 1;
      }
    }
    out.utf8(s, start, to).write('\'');
  }
}
