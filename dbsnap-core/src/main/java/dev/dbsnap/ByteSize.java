package dev.dbsnap;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way dbsnap reads and writes byte counts, on the command line, in the configuration file
 * and environment, and in HTTP requests. Every unit is binary: {@code K}, {@code KiB}, {@code kB}
 * and {@code KB} all mean 1024 bytes, and likewise for {@code M} and {@code G}, so that {@code
 * 64MB} is 67,108,864 bytes wherever it is written. Stateless and thread-safe.
 */
public final class ByteSize {
  public static final long KIB = 1L << 10;
  public static final long MIB = 1L << 20;
  public static final long GIB = 1L << 30;

  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(?:([kmg])(?:i?b|i)?|b)?", Pattern.CASE_INSENSITIVE);
  private static final int MAX_QUOTED = 100;

  private ByteSize() {}

  /**
   * The byte count written as a whole number with an optional unit, in any case and with or without
   * a space before the unit: {@code 8388608}, {@code 512B}, {@code 64KiB}, {@code 8 MiB}, {@code
   * 8M}, {@code 8MB}, {@code 1GiB}. {@code Ki}, {@code Mi} and {@code Gi} are accepted too.
   *
   * @throws DbsnapException {@link ErrorCode#INVALID_ARGUMENT} quoting the text when it is not a
   *     size or is more than {@link Long#MAX_VALUE} bytes
   */
  public static long parse(String text) {
    if (text == null) {
      throw new DbsnapException(ErrorCode.INVALID_ARGUMENT, "no size given");
    }
    Matcher m = SIZE.matcher(text.strip());
    if (!m.matches()) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          quote(text) + " is not a size: write e.g. 8388608, 8MiB or 8MB");
    }
    long factor =
        m.group(2) == null
            ? 1
            : switch (m.group(2).toLowerCase(Locale.ROOT)) {
              case "k" -> KIB;
              case "m" -> MIB;
              default -> GIB;
            };
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), factor);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new DbsnapException(ErrorCode.INVALID_ARGUMENT, quote(text) + " is too large a size");
    }
  }

  /**
   * The shortest exact way to write {@code bytes} that {@link #parse} reads back: {@code 8MiB},
   * {@code 1536KiB}, {@code 1000}.
   *
   * @throws IllegalArgumentException for a negative count
   */
  public static String format(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("byte count " + bytes + " is negative");
    }
    if (bytes == 0) {
      return "0";
    }
    if (bytes % GIB == 0) {
      return bytes / GIB + "GiB";
    }
    if (bytes % MIB == 0) {
      return bytes / MIB + "MiB";
    }
    if (bytes % KIB == 0) {
      return bytes / KIB + "KiB";
    }
    return Long.toString(bytes);
  }

  private static String quote(String text) {
    return "'" + (text.length() <= MAX_QUOTED ? text : text.substring(0, MAX_QUOTED) + "...") + "'";
  }
}
