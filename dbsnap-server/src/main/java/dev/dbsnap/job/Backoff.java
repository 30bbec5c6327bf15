package dev.dbsnap.job;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff for retries: the wait after the n-th failed attempt is {@code base *
 * 2^(n-1)}, capped. Jitter only ever shortens a wait, so that the cap holds and a schedule with
 * jitter makes at least as many attempts in a window as {@link #attemptsWithin} counts for the one
 * without.
 */
final class Backoff {
  private Backoff() {}

  /**
   * The wait before the next attempt after {@code failedAttempts} failed ones.
   *
   * @param jitterFraction how much of the wait may be taken off at random, 0 (none) to 1
   * @param random the source of jitter; may be null when {@code jitterFraction} is 0
   * @throws IllegalArgumentException if {@code failedAttempts} is below 1, {@code base} is not
   *     positive, {@code cap} is below {@code base}, or {@code jitterFraction} is outside 0..1
   */
  static Duration delay(
      int failedAttempts,
      Duration base,
      Duration cap,
      double jitterFraction,
      RandomGenerator random) {
    if (failedAttempts < 1) {
      throw new IllegalArgumentException("failed attempts " + failedAttempts + " is below 1");
    }
    checkSchedule(base, cap);
    if (!(jitterFraction >= 0 && jitterFraction <= 1)) {
      throw new IllegalArgumentException("jitter fraction " + jitterFraction + " is outside 0..1");
    }
    Duration delay = unjittered(failedAttempts, base, cap);
    if (jitterFraction == 0) {
      return delay;
    }
    Objects.requireNonNull(random, "random");
    double cut = jitterFraction * random.nextDouble();
    if (delay.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L) {
      // Beyond what nanoseconds hold (292 years) whole seconds are precise enough.
      return Duration.ofSeconds(delay.getSeconds() - (long) (delay.getSeconds() * cut));
    }
    long nanos = delay.toNanos();
    return Duration.ofNanos(nanos - (long) (nanos * cut));
  }

  /**
   * How many attempts the schedule without jitter starts within {@code window} of the first one,
   * counting the first; with jitter at least as many start.
   *
   * @throws IllegalArgumentException if {@code base} is not positive, {@code cap} is below {@code
   *     base}, or {@code window} is negative
   */
  static int attemptsWithin(Duration base, Duration cap, Duration window) {
    checkSchedule(base, cap);
    if (window.isNegative()) {
      throw new IllegalArgumentException("window " + window + " is negative");
    }
    int attempts = 1;
    Duration elapsed = Duration.ZERO;
    for (int failed = 1; ; failed++) {
      Duration delay = unjittered(failed, base, cap);
      if (delay.equals(cap)) {
        // From here on every wait is the cap: count the rest instead of walking them.
        BigInteger rest = nanos(window.minus(elapsed)).divide(nanos(cap));
        return rest.add(BigInteger.valueOf(attempts))
            .min(BigInteger.valueOf(Integer.MAX_VALUE))
            .intValue();
      }
      elapsed = elapsed.plus(delay);
      if (elapsed.compareTo(window) > 0) {
        return attempts;
      }
      attempts++;
    }
  }

  private static Duration unjittered(int failedAttempts, Duration base, Duration cap) {
    int doublings = failedAttempts - 1;
    if (doublings >= 62) {
      return cap;
    }
    try {
      Duration delay = base.multipliedBy(1L << doublings);
      return delay.compareTo(cap) > 0 ? cap : delay;
    } catch (ArithmeticException e) {
      return cap;
    }
  }

  /** Nanoseconds without overflow: Duration.toNanos() overflows past 292 years. */
  private static BigInteger nanos(Duration duration) {
    return BigInteger.valueOf(duration.getSeconds())
        .multiply(BigInteger.valueOf(1_000_000_000L))
        .add(BigInteger.valueOf(duration.getNano()));
  }

  private static void checkSchedule(Duration base, Duration cap) {
    if (base == null || base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("retry base " + base + " is not positive");
    }
    if (cap == null || cap.compareTo(base) < 0) {
      throw new IllegalArgumentException("retry cap " + cap + " is below the base " + base);
    }
  }
}
