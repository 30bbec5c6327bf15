package dev.dbsnap.track;

import java.util.Objects;

/**
 * A table with change tracking installed, and its version as of the read that produced it.
 *
 * @param table the table's display name ({@code schema.table} outside PostgreSQL's public schema)
 * @param version its data version: monotonic, changed by every committed change and by nothing else
 */
public record TrackedTable(String table, long version) {
  public TrackedTable {
    Objects.requireNonNull(table, "table");
  }
}
