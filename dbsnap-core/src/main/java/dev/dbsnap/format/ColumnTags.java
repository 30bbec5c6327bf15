package dev.dbsnap.format;

import dev.dbsnap.source.TableSchema;
import java.util.Set;

/**
 * Which columns of a table carry a type tag on every value in the csv, jsonl and json formats:
 * SQLite columns holding a value whose storage class the plain form would not bring back (see
 * {@link dev.dbsnap.source.Dialect#taggedColumns}). Looked up when a table's frame starts; must be
 * thread-safe when an export writes several tables at once.
 */
@FunctionalInterface
public interface ColumnTags {
  /** No column is tagged. */
  ColumnTags NONE = table -> Set.of();

  /** The names of {@code table}'s tagged columns; empty when none is. */
  Set<String> of(TableSchema table);

  /** The tag of a value: its SQLite storage class, as {@code typeof()} names it. */
  static String tag(Object value) {
    if (value instanceof Long || value instanceof Integer) {
      return "integer";
    }
    if (value instanceof Double) {
      return "real";
    }
    if (value instanceof String) {
      return "text";
    }
    if (value instanceof byte[]) {
      return "blob";
    }
    throw new IllegalArgumentException(
        "an SQLite value is a Long, Double, String or byte[], not "
            + value.getClass().getSimpleName());
  }
}
