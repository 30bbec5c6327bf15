package dev.dbsnap.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class DependencySortTest {
  private static List<String> sort(List<String> items, Map<String, Set<String>> deps) {
    return DependencySort.sort(items, Function.identity(), deps, Comparator.naturalOrder());
  }

  @Test
  void each_item_comes_after_what_it_depends_on_and_ties_go_by_order() {
    assertThat(
            sort(
                List.of("d", "c", "b", "a"),
                Map.of("a", Set.of("c"), "b", Set.of("d"), "c", Set.of("d"))))
        .containsExactly("d", "b", "c", "a");
  }

  @Test
  void dependencies_outside_the_items_are_ignored() {
    assertThat(sort(List.of("b", "a"), Map.of("a", Set.of("zzz"), "b", Set.of("a"))))
        .containsExactly("a", "b");
  }

  @Test
  void a_cycle_is_broken_at_its_first_item_and_the_rest_still_follows_it() {
    assertThat(
            sort(
                List.of("x", "b", "a"),
                Map.of("a", Set.of("b"), "b", Set.of("a"), "x", Set.of("a"))))
        .containsExactly("a", "b", "x");
  }
}
