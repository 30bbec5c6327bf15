package dev.dbsnap.source;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Orders objects so each comes after what it depends on, as pg_dump does: among the objects that
 * are ready, the first by a fixed tie-break (kind, then name), so the order is the same on every
 * run. A cycle is broken by taking its first object by the same tie-break; the statements that make
 * a cycle possible (functions created with {@code check_function_bodies = false}, views with {@code
 * CREATE OR REPLACE}) keep such an order restorable.
 */
final class DependencySort {
  private DependencySort() {}

  /**
   * @param items what to order
   * @param key each item's identity
   * @param dependsOn each item's key to the keys it depends on; keys not among the items are
   *     ignored
   * @param order the tie-break
   */
  static <T, K> List<T> sort(
      List<T> items, Function<T, K> key, Map<K, Set<K>> dependsOn, Comparator<T> order) {
    Map<K, T> byKey = new HashMap<>();
    for (T item : items) {
      byKey.put(key.apply(item), item);
    }
    Map<K, Set<K>> waitingOn = new HashMap<>();
    Map<K, List<K>> dependents = new HashMap<>();
    for (T item : items) {
      K k = key.apply(item);
      Set<K> deps = new LinkedHashSet<>();
      for (K d : dependsOn.getOrDefault(k, Set.of())) {
        if (!d.equals(k) && byKey.containsKey(d)) {
          deps.add(d);
          dependents.computeIfAbsent(d, x -> new ArrayList<>()).add(k);
        }
      }
      waitingOn.put(k, deps);
    }
    TreeSet<T> ready = new TreeSet<>(order);
    TreeSet<T> pending = new TreeSet<>(order);
    for (T item : items) {
      (waitingOn.get(key.apply(item)).isEmpty() ? ready : pending).add(item);
    }
    List<T> out = new ArrayList<>(items.size());
    while (!ready.isEmpty() || !pending.isEmpty()) {
      // An empty ready set with objects pending is a cycle: the first pending object breaks it.
      T next = ready.isEmpty() ? pending.pollFirst() : ready.pollFirst();
      out.add(next);
      K k = key.apply(next);
      for (K d : dependents.getOrDefault(k, List.of())) {
        Set<K> w = waitingOn.get(d);
        if (w.remove(k) && w.isEmpty()) {
          T item = byKey.get(d);
          if (pending.remove(item)) {
            ready.add(item);
          }
        }
      }
    }
    return out;
  }
}
