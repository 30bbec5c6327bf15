package dev.dbsnap.track;

import java.util.Objects;

/**
 * A table with change tracking installed, and its version as of the read that produced it.
 *
 * @param table the table's display name ({@code schema.table} outside PostgreSQL's public schema)
 * @param version its data version: monotonic, changed by every committed change; 0 when {@code
 *     problem} says why it has none
 * @param problem null, or why the table has no version now: a trigger of its was dropped or
 *     disabled (SQLite: the table was dropped and created again), or (PostgreSQL) it gained or lost
 *     an inheritance or partition parent since tracking was installed; installing again mends it
 */
public record TrackedTable(String table, long version, String problem) {
  public TrackedTable {
    Objects.requireNonNull(table, "table");
  }

  public TrackedTable(String table, long version) {
    this(table, version, null);
  }
}
