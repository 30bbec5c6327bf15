package dev.dbsnap.format;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.Dialect;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.TableReader;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.ValueKind;
import java.util.ArrayList;
import java.util.List;

/**
 * A script the database's own client restores into an empty database, in one transaction: what
 * tables need (schemas, types, sequences), the tables, multi-row INSERTs with explicit column
 * lists, then constraints, indexes, sequence values, views and triggers. An INSERT never spans a
 * frame boundary, so a frame re-encoded on resume gives the same statements. Split into parts
 * ({@link ScriptPart}), the pre-data script opens the transaction, each data script repeats the
 * session settings its literals need, and the post-data script commits.
 */
final class SqlEncoder implements RowEncoder {
  private final DatabaseSchema schema;
  private final Dialect dialect;
  private final SqlLiterals literals;
  private final int rowsPerInsert;
  private final ScriptPart part;
  private byte[] insertHead;
  private Column[] columns;
  private boolean[] skip;
  private int rowsInStatement;

  SqlEncoder(DatabaseSchema schema, int rowsPerInsert, ScriptPart part) {
    if (rowsPerInsert < 1) {
      throw new IllegalArgumentException("rows per insert " + rowsPerInsert + " is below 1");
    }
    this.schema = schema;
    this.dialect = Dialect.of(schema.dialect());
    this.literals = SqlLiterals.of(schema.dialect());
    this.rowsPerInsert = rowsPerInsert;
    this.part = part;
  }

  /** The statements a restore runs before any data: session settings, types, tables. */
  static List<String> head(DatabaseSchema schema) {
    List<String> statements = new ArrayList<>();
    statements.addAll(schema.before());
    // Partitioned tables first, parents before their partitions, so a leaf can attach to its own.
    for (TableSchema t : schema.partitioned()) {
      statements.add(t.createSql());
    }
    for (TableSchema t : schema.tables()) {
      statements.add(t.createSql());
    }
    return statements;
  }

  /** The statements a restore runs after all data: constraints, indexes, then the rest. */
  static List<String> tail(DatabaseSchema schema) {
    List<String> statements = new ArrayList<>();
    // A partitioned table's keys and indexes exist before its partitions' attach to them, and a
    // foreign key to a partitioned table comes once every partition's key index is attached.
    List<TableSchema> all = new ArrayList<>(schema.partitioned());
    all.addAll(schema.tables());
    for (TableSchema t : all) {
      statements.addAll(
          t.constraints().stream().filter(c -> !c.contains(" FOREIGN KEY ")).toList());
    }
    for (TableSchema t : all) {
      statements.addAll(t.indexes());
    }
    for (TableSchema t : all) {
      statements.addAll(t.constraints().stream().filter(c -> c.contains(" FOREIGN KEY ")).toList());
    }
    statements.addAll(schema.after());
    return statements;
  }

  @Override
  public void objectStart(ByteBuf out) {
    if (part == ScriptPart.POST_DATA) {
      return;
    }
    if (part == ScriptPart.DATA) {
      if (schema.dialect() == DialectKind.POSTGRESQL) {
        // what the literals need when the script runs alone; run after pre-data it changes nothing
        out.ascii("SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n");
      }
      return;
    }
    out.utf8(
        "-- dbsnap dump of a "
            + (schema.dialect() == DialectKind.SQLITE ? "SQLite" : "PostgreSQL")
            + " "
            + schema.serverVersion()
            + " database\n");
    if (schema.dialect() == DialectKind.SQLITE) {
      out.ascii("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
    } else {
      out.ascii(
          "SET client_encoding = 'UTF8';\n"
              + "SET standard_conforming_strings = on;\n"
              + "SET check_function_bodies = false;\n"
              + "SET client_min_messages = warning;\n"
              + "BEGIN;\n"
              + "SELECT pg_catalog.set_config('search_path', '', true);\n");
    }
    statements(head(schema), out);
  }

  private static void statements(List<String> statements, ByteBuf out) {
    for (String s : statements) {
      out.utf8(s).ascii(";\n");
    }
  }

  @Override
  public void tableStart(TableSchema table, ByteBuf out) {
    prepare(table);
  }

  private void prepare(TableSchema table) {
    ByteBuf head = new ByteBuf(256);
    head.ascii("INSERT INTO ").utf8(dialect.qualified(table)).ascii(" (");
    List<Column> cols = table.columns();
    columns = cols.toArray(new Column[0]);
    skip = new boolean[columns.length];
    boolean first = true;
    for (int i = 0; i < columns.length; i++) {
      skip[i] = columns[i].generated();
      if (!skip[i]) {
        head.ascii(first ? "" : ", ").utf8(dialect.quote(columns[i].name()));
        first = false;
      }
    }
    head.ascii(") VALUES\n");
    insertHead = head.toByteArray();
  }

  @Override
  public void frameStart(TableSchema table, boolean firstRowOfTable) {
    if (insertHead == null) {
      prepare(table);
    }
    rowsInStatement = 0;
  }

  @Override
  public void row(Object[] values, ByteBuf out) {
    row(out, values, null, VALUES);
  }

  /**
   * The same bytes as {@link #row(Object[], ByteBuf)}; on PostgreSQL from the server's text where
   * {@link PostgresLiterals#writeText} can copy it, on SQLite with text the reader holds as UTF-8
   * copied.
   */
  @Override
  public void row(TableReader reader, ByteBuf out) {
    if (schema.dialect() == DialectKind.SQLITE) {
      row(out, null, reader, SQLITE_UTF8);
    } else if (reader.hasText()) {
      row(out, null, reader, POSTGRES_TEXT);
    } else {
      row(reader.values(), out);
    }
  }

  /** Where a row's values come from: decoded values, PostgreSQL's text, SQLite's UTF-8. */
  private static final int VALUES = 0;

  private static final int POSTGRES_TEXT = 1;
  private static final int SQLITE_UTF8 = 2;

  private void row(ByteBuf out, Object[] values, TableReader reader, int from) {
    if (rowsInStatement == 0) {
      out.write(insertHead);
    } else {
      out.write(',').write('\n');
    }
    out.write('(');
    boolean first = true;
    Column[] cols = columns;
    for (int i = 0; i < cols.length; i++) {
      if (skip[i]) {
        continue;
      }
      if (!first) {
        out.write(',');
      }
      first = false;
      switch (from) {
        case VALUES -> literals.write(out, values[i], cols[i]);
        case POSTGRES_TEXT -> {
          ValueKind kind = cols[i].kind();
          if (kind == ValueKind.BYTES) {
            literals.write(out, reader.value(i), cols[i]);
          } else {
            PostgresLiterals.writeText(out, reader.text(i), kind);
          }
        }
        default -> {
          byte[] u = reader.utf8(i);
          if (u != null) {
            SqliteLiterals.text(out, u);
          } else {
            literals.write(out, reader.value(i), cols[i]);
          }
        }
      }
    }
    out.write(')');
    if (++rowsInStatement == rowsPerInsert) {
      out.write(';').write('\n');
      rowsInStatement = 0;
    }
  }

  @Override
  public void frameEnd(ByteBuf out) {
    if (rowsInStatement > 0) {
      out.write(';').write('\n');
      rowsInStatement = 0;
    }
  }

  @Override
  public void tableEnd(ByteBuf out) {
    insertHead = null;
  }

  @Override
  public void objectEnd(ByteBuf out) {
    if (part == ScriptPart.PRE_DATA || part == ScriptPart.DATA) {
      return;
    }
    statements(tail(schema), out);
    out.ascii("COMMIT;\n");
  }
}
