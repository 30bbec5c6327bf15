package dev.dbsnap.source;

import java.util.List;
import java.util.Objects;

/**
 * Everything an export knows about the source's structure, in the order a restore needs it.
 *
 * @param dialect the database kind
 * @param serverVersion the server's version string, for the manifest
 * @param before statements that must run before any table is created (schemas, types, sequences)
 * @param tables the selected tables, in export order
 * @param after statements run after all data: sequence values, views, triggers, and (SQLite)
 *     AUTOINCREMENT counters; table-level indexes and constraints come from each table
 */
public record DatabaseSchema(
    DialectKind dialect,
    String serverVersion,
    List<String> before,
    List<TableSchema> tables,
    List<String> after) {
  public DatabaseSchema {
    Objects.requireNonNull(dialect, "dialect");
    before = List.copyOf(before);
    tables = List.copyOf(tables);
    after = List.copyOf(after);
  }
}
