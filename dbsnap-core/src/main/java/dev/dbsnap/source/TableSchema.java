package dev.dbsnap.source;

import java.util.List;
import java.util.Objects;

/**
 * A table as introspected: its columns, key and the DDL to recreate it.
 *
 * @param schema the schema (namespace) for PostgreSQL; null for SQLite
 * @param name the table name, unquoted
 * @param columns all columns in table order
 * @param primaryKey the key column names in key order; empty when there is none
 * @param keyKind how rows are ordered for reading
 * @param createSql the statement that creates the table (without trailing semicolon)
 * @param constraints statements run after the data: unique keys, foreign keys, checks (PostgreSQL)
 * @param indexes statements that create the table's indexes, run after the data
 * @param rowEstimate the database's estimate of the row count, or -1 when unknown
 */
public record TableSchema(
    String schema,
    String name,
    List<Column> columns,
    List<String> primaryKey,
    KeyKind keyKind,
    String createSql,
    List<String> constraints,
    List<String> indexes,
    long rowEstimate) {
  public TableSchema {
    Objects.requireNonNull(name, "name");
    columns = List.copyOf(columns);
    primaryKey = List.copyOf(primaryKey);
    Objects.requireNonNull(keyKind, "keyKind");
    Objects.requireNonNull(createSql, "createSql");
    constraints = List.copyOf(constraints);
    indexes = List.copyOf(indexes);
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("table " + name + " has no columns");
    }
  }

  /** The name users write: {@code schema.name} for PostgreSQL outside public, else the name. */
  public String displayName() {
    return schema == null || schema.equals("public") ? name : schema + "." + name;
  }

  /** Index of a column by name, or -1. */
  public int columnIndex(String column) {
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).name().equals(column)) {
        return i;
      }
    }
    return -1;
  }
}
