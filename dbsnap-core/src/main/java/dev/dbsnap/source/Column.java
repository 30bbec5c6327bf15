package dev.dbsnap.source;

import java.util.Objects;

/**
 * One column of a table.
 *
 * @param name the column name, unquoted
 * @param type the declared type as DDL would write it ({@code numeric(12,2)}, {@code public.mood});
 *     empty for an SQLite column declared without a type
 * @param kind how its values are represented
 * @param nullable whether NULL is allowed
 * @param defaultExpr the default expression as SQL, or null
 * @param generated true for a generated (computed) column, which is never inserted
 */
public record Column(
    String name,
    String type,
    ValueKind kind,
    boolean nullable,
    String defaultExpr,
    boolean generated) {
  public Column {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(kind, "kind");
  }
}
