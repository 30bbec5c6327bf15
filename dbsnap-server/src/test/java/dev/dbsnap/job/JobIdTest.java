package dev.dbsnap.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobIdTest {
  @Test
  void ids_made_one_after_another_sort_in_that_order_even_within_one_millisecond() {
    Instant at = Instant.parse("2026-01-02T03:04:05.678Z");
    Ulid ulid = new Ulid();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      ids.add(ulid.generate(i < 500 ? at : at.minusMillis(3)));
    }
    ids.add(ulid.generate(at.plusMillis(1)));
    assertThat(ids).isSorted().doesNotHaveDuplicates();
    assertThat(ids).allSatisfy(id -> assertThat(id).matches("[0-9a-hjkmnp-tv-z]{26}"));
    assertThat(ids.get(0)).startsWith("01kdyak3se"); // 1767323045678 ms in Crockford base32
  }
}
