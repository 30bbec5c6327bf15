package dev.dbsnap.job;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * ULIDs in lower-case Crockford base32: 48 bits of milliseconds then 80 random bits, so ids sort by
 * creation time. Thread-safe.
 */
final class Ulid {
  private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ulid() {}

  /** A 26-character ULID for {@code at}. */
  static String next(Instant at) {
    long millis = at.toEpochMilli();
    byte[] random = new byte[10];
    RANDOM.nextBytes(random);
    char[] out = new char[26];
    // 10 characters of time (50 bits, the top two always zero for dates before 10889)
    for (int i = 9; i >= 0; i--) {
      out[i] = ALPHABET[(int) (millis & 31)];
      millis >>>= 5;
    }
    // 16 characters of randomness: 80 bits, five at a time
    long hi = 0;
    for (int i = 0; i < 5; i++) {
      hi = (hi << 8) | (random[i] & 0xff);
    }
    long lo = 0;
    for (int i = 5; i < 10; i++) {
      lo = (lo << 8) | (random[i] & 0xff);
    }
    for (int i = 17; i >= 10; i--) {
      out[i] = ALPHABET[(int) (hi & 31)];
      hi >>>= 5;
    }
    for (int i = 25; i >= 18; i--) {
      out[i] = ALPHABET[(int) (lo & 31)];
      lo >>>= 5;
    }
    return new String(out);
  }
}
