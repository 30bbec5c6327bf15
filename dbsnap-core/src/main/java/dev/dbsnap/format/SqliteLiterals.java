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

  // before the constants below, which are computed by seventeenDigits
  private static final long TEN_TO_THE_16 = 10_000_000_000_000_000L;
  private static final long TEN_TO_THE_17 = 100_000_000_000_000_000L;
  private static final long[] POWERS_OF_5 = new long[28];

  static {
    POWERS_OF_5[0] = 1;
    for (int i = 1; i < POWERS_OF_5.length; i++) {
      POWERS_OF_5[i] = POWERS_OF_5[i - 1] * 5;
    }
  }

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
    String digits;
    int exponent; // of the first digit
    long fast = fastSeventeenDigits(Math.abs(d));
    if (fast >= 0) {
      digits = Long.toString(fast);
      exponent = 16 - scaleOf(Math.abs(d));
    } else {
      BigDecimal rounded = new BigDecimal(d).round(SEVENTEEN_DIGITS);
      digits = rounded.unscaledValue().abs().toString();
      exponent = digits.length() - 1 - rounded.scale();
    }
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

  /** The power of ten p with v * 10^p in [10^16, 10^17), from log10 (may be one off). */
  private static int scaleOf(double v) {
    return 16 - (int) Math.floor(Math.log10(v));
  }

  /**
   * The 17 significant digits of a positive double as an integer in [10^16, 10^17), rounded half to
   * even from the exact binary value, without BigDecimal: v * 10^p = m * 5^p * 2^(e + p) is exact
   * in 128 bits for 0 <= p <= 27 (values from about 1e-11 to 1e16, coordinates and prices among
   * them). -1 when v is outside that range or log10 misjudged its decade, which {@link #scaleOf}
   * then reports the same way: the caller falls back to BigDecimal.
   */
  static long fastSeventeenDigits(double v) {
    int p = scaleOf(v);
    if (p < 0 || p >= POWERS_OF_5.length || Math.getExponent(v) < Double.MIN_EXPONENT) {
      return -1;
    }
    long bits = Double.doubleToRawLongBits(v);
    long m = (bits & 0x000f_ffff_ffff_ffffL) | 0x0010_0000_0000_0000L;
    int shift = Math.getExponent(v) - 52 + p; // v * 10^p = m * 5^p * 2^shift
    long lo = m * POWERS_OF_5[p];
    long hi = Math.multiplyHigh(m, POWERS_OF_5[p]);
    long n;
    if (shift >= 0) {
      if (hi != 0 || shift >= 63 || lo >>> (63 - shift) != 0) {
        return -1;
      }
      n = lo << shift;
    } else {
      int r = -shift;
      if (r >= 127) {
        return -1;
      }
      // q = (hi:lo) >> r, rest = the bits shifted out
      long q;
      boolean half;
      boolean sticky;
      if (r < 64) {
        q = (lo >>> r) | (r == 0 ? 0 : hi << (64 - r));
        if (hi >>> r != 0) {
          return -1;
        }
        half = ((lo >>> (r - 1)) & 1) != 0;
        sticky = r > 1 && (lo & ((1L << (r - 1)) - 1)) != 0;
      } else {
        int h = r - 64;
        q = hi >>> h;
        half = h == 0 ? lo < 0 : ((hi >>> (h - 1)) & 1) != 0;
        sticky =
            h == 0
                ? (lo & Long.MAX_VALUE) != 0
                : lo != 0 || (h > 1 && (hi & ((1L << (h - 1)) - 1)) != 0);
      }
      n = q + (half && (sticky || (q & 1) != 0) ? 1 : 0);
    }
    return n >= TEN_TO_THE_16 && n < TEN_TO_THE_17 ? n : -1;
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

  /** {@link #text(ByteBuf, String)} for the UTF-8 bytes of a string. */
  static void text(ByteBuf out, byte[] s) {
    int special = nextSpecial(s, 0);
    if (special < 0) {
      quoted(out, s, 0, s.length);
      return;
    }
    out.write('(');
    int from = 0;
    while (special >= 0) {
      quoted(out, s, from, special);
      out.ascii("||char(").decimal(s[special]).ascii(")||");
      from = special + 1;
      special = nextSpecial(s, from);
    }
    quoted(out, s, from, s.length);
    out.write(')');
  }

  private static void quoted(ByteBuf out, byte[] s, int from, int to) {
    out.write('\'').writeDoubling(s, from, to - from, (byte) '\'').write('\'');
  }

  private static int nextSpecial(byte[] s, int from) {
    for (int i = from; i < s.length; i++) {
      if (s[i] == 0 || s[i] == '\r') {
        return i;
      }
    }
    return -1;
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
