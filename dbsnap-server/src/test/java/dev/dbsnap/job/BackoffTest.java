package dev.dbsnap.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static final Duration BASE = Duration.ofSeconds(30);
  private static final Duration CAP = Duration.ofMinutes(15);

  @Test
  void waits_double_from_the_base_until_the_cap() {
    assertThat(Backoff.delay(1, BASE, CAP, 0, null)).isEqualTo(Duration.ofSeconds(30));
    assertThat(Backoff.delay(2, BASE, CAP, 0, null)).isEqualTo(Duration.ofSeconds(60));
    assertThat(Backoff.delay(5, BASE, CAP, 0, null)).isEqualTo(Duration.ofSeconds(480));
    assertThat(Backoff.delay(6, BASE, CAP, 0, null)).isEqualTo(CAP);
    assertThat(Backoff.delay(7, BASE, CAP, 0, null)).isEqualTo(CAP);
  }

  @Test
  void very_many_failures_stay_at_the_cap_without_overflow() {
    assertThat(Backoff.delay(63, BASE, CAP, 0, null)).isEqualTo(CAP);
    assertThat(Backoff.delay(Integer.MAX_VALUE, BASE, CAP, 0, null)).isEqualTo(CAP);
    assertThat(Backoff.delay(40, Duration.ofDays(365), Duration.ofDays(3650), 0, null))
        .isEqualTo(Duration.ofDays(3650));
    assertThat(
            Backoff.delay(
                40, Duration.ofDays(365), Duration.ofDays(365_000), 0.5, new SplittableRandom(1)))
        .isBetween(Duration.ofDays(182_500), Duration.ofDays(365_000));
  }

  @Test
  void jitter_only_shortens_a_wait_by_at_most_its_fraction() {
    SplittableRandom random = new SplittableRandom(42);
    for (int failed = 1; failed <= 10; failed++) {
      Duration full = Backoff.delay(failed, BASE, CAP, 0, null);
      for (int i = 0; i < 100; i++) {
        Duration jittered = Backoff.delay(failed, BASE, CAP, 0.25, random);
        assertThat(jittered)
            .isLessThanOrEqualTo(full)
            .isGreaterThanOrEqualTo(Duration.ofNanos(full.toNanos() * 3 / 4));
      }
    }
  }

  @Test
  void jitter_varies_the_wait() {
    SplittableRandom random = new SplittableRandom(7);
    assertThat(Backoff.delay(3, BASE, CAP, 0.5, random))
        .isNotEqualTo(Backoff.delay(3, BASE, CAP, 0.5, random));
  }

  @Test
  void attempts_within_counts_the_first_and_every_retry_that_starts_inside_the_window() {
    // Attempts start at 0, 30 s, 90 s, 210 s, 450 s, 930 s, 1830 s, 2730 s; the next would be 3630
    // s.
    assertThat(Backoff.attemptsWithin(BASE, CAP, Duration.ofHours(1))).isEqualTo(8);
    assertThat(Backoff.attemptsWithin(BASE, CAP, Duration.ofSeconds(2730))).isEqualTo(8);
    assertThat(Backoff.attemptsWithin(BASE, CAP, Duration.ofSeconds(2729))).isEqualTo(7);
    assertThat(Backoff.attemptsWithin(BASE, CAP, Duration.ofSeconds(89))).isEqualTo(2);
    assertThat(Backoff.attemptsWithin(BASE, CAP, Duration.ZERO)).isEqualTo(1);
  }

  @Test
  void attempts_within_agrees_with_walking_the_schedule() {
    Duration base = Duration.ofMillis(700);
    Duration cap = Duration.ofSeconds(50);
    for (long seconds = 0; seconds < 600; seconds += 7) {
      Duration window = Duration.ofSeconds(seconds);
      int walked = 1;
      Duration at = Duration.ZERO;
      for (int failed = 1; ; failed++) {
        at = at.plus(Backoff.delay(failed, base, cap, 0, null));
        if (at.compareTo(window) > 0) {
          break;
        }
        walked++;
      }
      assertThat(Backoff.attemptsWithin(base, cap, window))
          .as("window %s", window)
          .isEqualTo(walked);
    }
  }

  @Test
  void a_huge_window_is_counted_without_walking_it() {
    assertThat(
            Backoff.attemptsWithin(
                Duration.ofNanos(1), Duration.ofNanos(1), Duration.ofDays(365 * 1000)))
        .isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void bad_schedules_are_refused_naming_the_value() {
    assertThatThrownBy(() -> Backoff.delay(0, BASE, CAP, 0, null))
        .hasMessage("failed attempts 0 is below 1");
    assertThatThrownBy(() -> Backoff.delay(1, Duration.ZERO, CAP, 0, null))
        .hasMessageContaining("PT0S");
    assertThatThrownBy(() -> Backoff.delay(1, CAP, BASE, 0, null))
        .hasMessageContaining("below the base");
    assertThatThrownBy(() -> Backoff.delay(1, BASE, CAP, 1.5, new SplittableRandom()))
        .hasMessageContaining("1.5");
    assertThatThrownBy(() -> Backoff.attemptsWithin(BASE, CAP, Duration.ofSeconds(-1)))
        .hasMessageContaining("negative");
  }
}
