package dev.dbsnap.source;

import java.util.List;

/**
 * Which tables to export.
 *
 * @param schemas PostgreSQL schemas to read; empty means every non-system schema
 * @param include table names to export (plain or {@code schema.table}); empty means all
 * @param exclude table names to leave out
 */
public record TableSelection(List<String> schemas, List<String> include, List<String> exclude) {
  public static final TableSelection ALL = new TableSelection(List.of(), List.of(), List.of());

  public TableSelection {
    schemas = List.copyOf(schemas);
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
  }

  /** Whether a table passes include/exclude; names match the plain name or schema.name. */
  public boolean selects(String schema, String name) {
    boolean included = include.isEmpty() || matches(include, schema, name);
    return included && !matches(exclude, schema, name);
  }

  private static boolean matches(List<String> names, String schema, String name) {
    for (String n : names) {
      if (n.equals(name) || (schema != null && n.equals(schema + "." + name))) {
        return true;
      }
    }
    return false;
  }
}
