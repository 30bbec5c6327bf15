package dev.dbsnap.format;

import com.fasterxml.jackson.core.io.NumberInput;
import com.fasterxml.jackson.core.io.NumberOutput;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/** Number rules shared by the text formats. */
final class Numbers {
  /** Integers a JSON reader using doubles (JavaScript) holds exactly: |v| <= 2^53. */
  static final long MAX_SAFE_INTEGER = 9_007_199_254_740_992L;

  private Numbers() {}

  /**
   * Shortest text that reads back to the same double, laid out as {@link Double#toString(double)}
   * lays it out ({@code 100.0}, {@code 1.0E-5}); NaN and infinities by name. The digits are the
   * shortest on every JDK (Schubfach, as Java 19 and later print them; Java 17's own {@code
   * Double.toString} sometimes prints a digit more), so the bytes do not depend on the JVM.
   */
  static String doubleText(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    return NumberOutput.toString(d, true);
  }

  /**
   * The most significant digits PostgreSQL's shortest text may have to be Java's shortest too: at
   * 16 and 17 digits their choice may differ (PostgreSQL leaves out a decimal that sits exactly
   * halfway to the next double, so it prints {@code 9.999999999999999e+22} where Java prints {@code
   * 1.0E23}); up to 15 digits the shortest decimal is the only one of its length in reach.
   */
  private static final int MAX_SAME_DIGITS = 15;

  /**
   * Writes {@link #doubleText} of a float PostgreSQL printed (12 and later, with {@code
   * extra_float_digits} above 0: the shortest digits that read back to the same value, as in {@code
   * 1e-05}, {@code 123.5}, {@code -1.2345e+20}). Up to 15 significant digits (prices, coordinates,
   * measurements) the digits are moved into Java's layout without parsing and printing the number;
   * longer text, values near the subnormal range (where Java may prefer two digits to one) and
   * whatever else a server might print are parsed and printed.
   */
  static void writeDoubleText(byte[] t, ByteBuf out) {
    int n = t.length;
    int i = t.length > 0 && t[0] == '-' ? 1 : 0;
    byte[] digits = new byte[MAX_SAME_DIGITS];
    int count = 0;
    int point = -1; // digits (leading zeros included) before the decimal point
    int seen = 0; // digits read, leading zeros included
    int leadingZeros = 0;
    int exponent = 0;
    for (; i < n; i++) {
      byte c = t[i];
      if (c >= '0' && c <= '9') {
        seen++;
        if (count == 0 && c == '0') {
          leadingZeros++;
          continue;
        }
        if (count == MAX_SAME_DIGITS) {
          out.ascii(doubleText(parseDouble(t)));
          return;
        }
        digits[count++] = c;
      } else if (c == '.' && point < 0) {
        point = seen;
      } else if ((c == 'e' || c == 'E') && seen > 0) {
        exponent = exponent(t, i + 1);
        if (exponent == Integer.MIN_VALUE) {
          out.ascii(doubleText(parseDouble(t)));
          return;
        }
        break;
      } else {
        // NaN, Infinity, or text no server prints
        out.ascii(doubleText(parseDouble(t)));
        return;
      }
    }
    if (seen == 0) {
      out.ascii(doubleText(parseDouble(t)));
      return;
    }
    boolean negative = t[0] == '-';
    if (count == 0) {
      out.ascii(negative ? "-0.0" : "0.0");
      return;
    }
    while (digits[count - 1] == '0') {
      count--;
    }
    // the value is 0.d1d2…dn × 10^decimalExponent, so d1.d2…dn × 10^e
    int e = (point < 0 ? seen : point) - leadingZeros + exponent - 1;
    if (e < -300) {
      out.ascii(doubleText(parseDouble(t)));
      return;
    }
    if (negative) {
      out.write('-');
    }
    if (e >= -3 && e < 7) {
      if (e >= 0) {
        for (int k = 0; k <= e; k++) {
          out.write(k < count ? digits[k] : '0');
        }
        out.write('.');
        if (count > e + 1) {
          out.write(digits, e + 1, count - e - 1);
        } else {
          out.write('0');
        }
      } else {
        out.write('0').write('.');
        for (int k = -1; k > e; k--) {
          out.write('0');
        }
        out.write(digits, 0, count);
      }
    } else {
      out.write(digits[0]).write('.');
      if (count > 1) {
        out.write(digits, 1, count - 1);
      } else {
        out.write('0');
      }
      out.write('E').ascii(Integer.toString(e));
    }
  }

  /** The exponent after 'e' (an optional sign, then digits), or MIN_VALUE when it is not one. */
  private static int exponent(byte[] t, int from) {
    int i = from;
    boolean negative = false;
    if (i < t.length && (t[i] == '+' || t[i] == '-')) {
      negative = t[i] == '-';
      i++;
    }
    if (i == t.length || t.length - i > 4) {
      return Integer.MIN_VALUE;
    }
    int v = 0;
    for (; i < t.length; i++) {
      if (t[i] < '0' || t[i] > '9') {
        return Integer.MIN_VALUE;
      }
      v = v * 10 + (t[i] - '0');
    }
    return negative ? -v : v;
  }

  /** Double.valueOf of ASCII text (a PostgreSQL float, NaN or ±Infinity) given as bytes. */
  static double parseDouble(byte[] ascii) {
    String text = new String(ascii, StandardCharsets.ISO_8859_1);
    byte last = ascii.length > 0 ? ascii[ascii.length - 1] : 0;
    // FastDoubleParser, as Jackson ships it, for numbers; Java's own for NaN and infinities
    return last >= '0' && last <= '9' || last == '.'
        ? NumberInput.parseDouble(text, true)
        : Double.parseDouble(text);
  }

  static boolean safeInteger(long v) {
    return v >= -MAX_SAFE_INTEGER && v <= MAX_SAFE_INTEGER;
  }

  /**
   * Whether a decimal has at most 15 significant digits, which any double holds, so a JSON reader
   * that parses numbers as doubles prints it back with the same digits.
   */
  static boolean safeDecimal(BigDecimal d) {
    return d.precision() <= 15;
  }

  static boolean safeInteger(BigInteger v) {
    return v.bitLength() <= 53;
  }
}
