package dev.dbsnap.format;

import dev.dbsnap.source.Column;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * SQLite literals by storage class, so a value restores with the class it had even where that
 * differs from the column's declared type: integers as digits, reals as 17 significant digits (as
 * the sqlite3 shell's .dump writes them) always with a decimal point or exponent, text quoted,
 * BLOBs as X'..'.
 */
final class SqliteLiterals implements SqlLiterals {
  static final SqlLiterals INSTANCE = new SqliteLiterals();

  /** Binary exponents within which SQLite reads 17 significant digits of a double exactly. */
  private static final int EXACT_EXPONENT = 200;

  private static final MathContext SEVENTEEN_DIGITS = new MathContext(17, RoundingMode.HALF_EVEN);
  private static final String TWO_TO_THE_200 = seventeenDigits(Math.scalb(1.0, EXACT_EXPONENT));
  private static final String TWO_TO_THE_MINUS_200 =
      seventeenDigits(Math.scalb(1.0, -EXACT_EXPONENT));

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
      out.ascii(seventeenDigits(d));
    } else {
      scaled(out, d);
    }
  }

  /**
   * The double rounded to 17 significant digits, laid out as the sqlite3 shell's {@code .dump}
   * prints it ({@code printf("%!.17g")}: {@code 22.072240999999998}, {@code 1.0e+300}), but with
   * the sign of a negative zero kept. The shortest text that reads back ({@code 22.072241}) is not
   * used: SQLite before 3.47 computes a decimal's value with a few bits of slack, so a shortest
   * text, which may lie next to the edge of the double's rounding interval, is sometimes read one
   * unit in the last place off, while the nearest 17-digit decimal lies well inside the interval.
   * Always holds a '.', so SQLite reads a REAL, not an INTEGER.
   */
  static String seventeenDigits(double d) {
    if (d == 0) {
      return Double.doubleToRawLongBits(d) < 0 ? "-0.0" : "0.0";
    }
    BigDecimal rounded = new BigDecimal(d).round(SEVENTEEN_DIGITS);
    String digits = rounded.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - rounded.scale(); // of the first digit
    int last = digits.length();
    while (last > 1 && digits.charAt(last - 1) == '0') {
      last--;
    }
    digits = digits.substring(0, last);
    StringBuilder text = new StringBuilder(26);
    if (d < 0) {
      text.append('-');
    }
    if (exponent < -4 || exponent >= 17) {
      text.append(digits.charAt(0)).append('.');
      text.append(digits.length() > 1 ? digits.substring(1) : "0");
      text.append(exponent < 0 ? "e-" : "e+");
      int magnitude = Math.abs(exponent);
      text.append(magnitude < 10 ? "0" : "").append(magnitude);
    } else if (exponent < 0) {
      text.append("0.");
      text.append("0".repeat(-exponent - 1)).append(digits);
    } else if (digits.length() <= exponent + 1) {
      text.append(digits).append("0".repeat(exponent + 1 - digits.length())).append(".0");
    } else {
      text.append(digits, 0, exponent + 1)
          .append('.')
          .append(digits, exponent + 1, digits.length());
    }
    return text.toString();
  }

  /**
   * SQLite's text-to-double conversion is not correctly rounded far from 1: 3.50 reads a third to a
   * half of the doubles below 2^-270 (1.0E-300 among them) and about one in ten above 2^370 one
   * unit in the last place off, and 3.40 misreads some below 2^-950, whatever the number of digits.
   * Both read 2^±200 and every double in between exactly from 17 digits, and multiply by a power of
   * two without rounding, so such a value is written as a double of moderate size times powers of
   * 2^±200: the exact product is the value, so no step rounds.
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
    out.write('(').ascii(seventeenDigits(x));
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
