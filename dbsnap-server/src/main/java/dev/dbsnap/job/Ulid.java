package dev.dbsnap.job;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * ULIDs in lower-case Crockford base32: 48 bits of milliseconds then 80 random bits, so ids sort by
 * creation time. Monotonic within a process (the ULID specification's monotonic mode): an id made
 * in the same millisecond as the previous one, or while the clock stepped back, is the previous one
 * plus one, so ids made one after another always sort in that order. Thread-safe.
 */
final class Ulid {
  private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long LOW_MASK = (1L << 40) - 1;

  private static final Ulid SHARED = new Ulid();

  private long lastMillis = -1;
  private long lastHigh; // upper 40 random bits
  private long lastLow; // lower 40 random bits

  /** A 26-character ULID for {@code at}, monotonic across the process. */
  static String next(Instant at) {
    return SHARED.generate(at);
  }

  /** A 26-character ULID for {@code at}, monotonic across this generator's ids. */
  synchronized String generate(Instant at) {
    long millis = at.toEpochMilli();
    if (millis <= lastMillis) {
      millis = lastMillis;
      lastLow = (lastLow + 1) & LOW_MASK;
      if (lastLow == 0) {
        lastHigh = (lastHigh + 1) & LOW_MASK;
      }
    } else {
      byte[] random = new byte[10];
      RANDOM.nextBytes(random);
      long hi = 0;
      for (int i = 0; i < 5; i++) {
        hi = (hi << 8) | (random[i] & 0xff);
      }
      long lo = 0;
      for (int i = 5; i < 10; i++) {
        lo = (lo << 8) | (random[i] & 0xff);
      }
      lastHigh = hi;
      lastLow = lo;
      lastMillis = millis;
    }
    char[] out = new char[26];
    long t = millis;
    // 10 characters of time (50 bits, the top two always zero for dates before 10889)
    for (int i = 9; i >= 0; i--) {
      out[i] = ALPHABET[(int) (t & 31)];
      t >>>= 5;
    }
    long hi = lastHigh;
    for (int i = 17; i >= 10; i--) {
      out[i] = ALPHABET[(int) (hi & 31)];
      hi >>>= 5;
    }
    long lo = lastLow;
    for (int i = 25; i >= 18; i--) {
      out[i] = ALPHABET[(int) (lo & 31)];
      lo >>>= 5;
    }
    return new String(out);
  }
}
