package dev.dbsnap.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations ({@code 500ms}, {@code 30s}, {@code 7d}, {@code PT30S}) of settings; sizes
 * are read by {@link dev.dbsnap.ByteSize}.
 */
public final class Units {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  private Units() {}

  /**
   * The duration written as a number and a unit (ms, s, m, h, d) or in ISO-8601 ({@code PT30S}).
   *
   * @throws IllegalArgumentException naming the text when it is neither
   */
  public static Duration duration(String text) {
    String t = text.trim();
    if (t.startsWith("P") || t.startsWith("p")) {
      try {
        return Duration.parse(t);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "'" + text + "' is not an ISO-8601 duration such as PT30S");
      }
    }
    Matcher m = DURATION.matcher(t.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration: write e.g. 500ms, 30s, 10m, 24h or 7d");
    }
    try {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("'" + text + "' is too long a duration");
    }
  }

  /**
   * The shortest way to write {@code d} in the unit syntax: {@code 30s}, {@code 3h}, {@code
   * 1500ms}.
   */
  public static String format(Duration d) {
    long ms = d.toMillis();
    long[] factors = {86_400_000L, 3_600_000L, 60_000L, 1000L};
    String[] names = {"d", "h", "m", "s"};
    for (int i = 0; i < factors.length; i++) {
      if (ms != 0 && ms % factors[i] == 0) {
        return ms / factors[i] + names[i];
      }
    }
    return ms + "ms";
  }
}
