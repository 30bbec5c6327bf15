package dev.dbsnap.format;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/** Number rules shared by the text formats. */
final class Numbers {
  /** Integers a JSON reader using doubles (JavaScript) holds exactly: |v| <= 2^53. */
  static final long MAX_SAFE_INTEGER = 9_007_199_254_740_992L;

  private Numbers() {}

  /** Shortest text that reads back to the same double; NaN and infinities by name. */
  static String doubleText(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    return Double.toString(d);
  }

  /** Double.valueOf of ASCII text (a PostgreSQL float, NaN or ±Infinity) given as bytes. */
  static double parseDouble(byte[] ascii) {
    return Double.parseDouble(new String(ascii, StandardCharsets.ISO_8859_1));
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
