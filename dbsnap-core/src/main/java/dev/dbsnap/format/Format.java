package dev.dbsnap.format;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.source.DatabaseSchema;
import java.util.Locale;

/** The output formats. */
public enum Format {
  /** One SQL script for the whole export, restorable with the database's own client. */
  SQL("sql", false),
  /** RFC 4180 CSV with a header row, one object per table. */
  CSV("csv", true),
  /** One JSON object per line, one object per table. */
  JSONL("jsonl", true),
  /** One JSON array per table. */
  JSON("json", true);

  private final String extension;
  private final boolean objectPerTable;

  Format(String extension, boolean objectPerTable) {
    this.extension = extension;
    this.objectPerTable = objectPerTable;
  }

  public String extension() {
    return extension;
  }

  /** True when every table goes to its own object; false for one script. */
  public boolean objectPerTable() {
    return objectPerTable;
  }

  /** A new encoder for one export of {@code schema}; encoders are not thread-safe. */
  public RowEncoder encoder(DatabaseSchema schema, int rowsPerInsert) {
    return encoder(schema, rowsPerInsert, ScriptPart.WHOLE);
  }

  /** A new encoder for one object holding {@code part} of the sql format (others ignore it). */
  public RowEncoder encoder(DatabaseSchema schema, int rowsPerInsert, ScriptPart part) {
    return encoder(schema, rowsPerInsert, part, ColumnTags.NONE);
  }

  /**
   * A new encoder as {@link #encoder(DatabaseSchema, int, ScriptPart)}, tagging the values of the
   * columns {@code tags} names (csv, jsonl and json; sql literals keep storage classes anyway).
   */
  public RowEncoder encoder(
      DatabaseSchema schema, int rowsPerInsert, ScriptPart part, ColumnTags tags) {
    return switch (this) {
      case SQL -> new SqlEncoder(schema, rowsPerInsert, part);
      case CSV -> new CsvEncoder(tags);
      case JSONL -> new JsonEncoder(false, tags);
      case JSON -> new JsonEncoder(true, tags);
    };
  }

  /**
   * Whether this format writes SQL NULL of {@code column} by leaving the column's key out of the
   * row (jsonl and json, for json and jsonb columns, whose JSON {@code null} is a value).
   */
  public boolean omitsSqlNull(dev.dbsnap.source.Column column) {
    return (this == JSONL || this == JSON) && JsonEncoder.omitsSqlNull(column);
  }

  /** Statements that recreate the schema before any data: types, sequences, tables. */
  public static java.util.List<String> schemaHead(DatabaseSchema schema) {
    return SqlEncoder.head(schema);
  }

  /**
   * Statements that finish the schema after all data: constraints, indexes, sequence values, views.
   */
  public static java.util.List<String> schemaTail(DatabaseSchema schema) {
    return SqlEncoder.tail(schema);
  }

  /** Parses a format name; an unknown one is an INVALID_ARGUMENT error listing the valid names. */
  public static Format parse(String name) {
    for (Format f : values()) {
      if (f.extension.equals(name.toLowerCase(Locale.ROOT))) {
        return f;
      }
    }
    throw new DbsnapException(
        ErrorCode.INVALID_ARGUMENT, "unknown format '" + name + "': use sql, csv, jsonl or json");
  }
}
