package dev.dbsnap.format;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.KeyKind;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.ValueKind;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Tables with rows of every value class, and the bytes an encoder gives for them when driven as the
 * exporter drives it: object start, then per table frames of a fixed number of rows, then object
 * end. Shared by the format and compression contract tests.
 */
public final class SampleObjects {
  /** Rows per frame; small, so every table has several frames and a short last one. */
  public static final int FRAME_ROWS = 5;

  /** Rows per INSERT for the SQL format: not a divisor of the frame size. */
  public static final int ROWS_PER_INSERT = 3;

  private SampleObjects() {}

  /** A table's structure and rows. */
  public record Table(TableSchema schema, List<Object[]> rows) {}

  /** The bytes of one object, split where a resumed export can start again. */
  public record Encoded(List<byte[]> segments) {
    public byte[] all() {
      return concat(segments, 0);
    }

    /** The bytes from segment {@code from} to the end. */
    public byte[] from(int from) {
      return concat(segments, from);
    }

    private static byte[] concat(List<byte[]> parts, int from) {
      ByteBuf out = new ByteBuf(1024);
      for (int i = from; i < parts.size(); i++) {
        out.write(parts.get(i));
      }
      return out.toByteArray();
    }
  }

  /** A table of every value class with {@code rows} rows, NULLs and edge values among them. */
  public static Table items(DialectKind dialect, int rows) {
    boolean pg = dialect == DialectKind.POSTGRESQL;
    List<Column> columns =
        List.of(
            new Column("id", pg ? "bigint" : "INTEGER", ValueKind.INTEGER, false, null, false),
            new Column("name", pg ? "text" : "TEXT", ValueKind.TEXT, true, null, false),
            new Column(
                "score", pg ? "double precision" : "REAL", ValueKind.FLOAT, true, null, false),
            new Column("data", pg ? "bytea" : "BLOB", ValueKind.BYTES, true, null, false),
            new Column("amount", pg ? "numeric" : "NUMERIC", ValueKind.DECIMAL, true, null, false),
            new Column("flag", pg ? "boolean" : "BOOLEAN", ValueKind.BOOLEAN, true, null, false));
    String[] names = {
      "plain", "", "with, comma", "quote \" and ' apostrophe", "line\r\nend", "😀 中文"
    };
    double[] scores = {0.1, -0.0, Double.NaN, 1e300, Double.MIN_VALUE, Double.NEGATIVE_INFINITY};
    List<Object[]> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      boolean nulls = i % 7 == 3;
      data.add(
          new Object[] {
            i == 0 ? Long.MIN_VALUE : i == 1 ? Long.MAX_VALUE : (long) i,
            nulls ? null : names[i % names.length],
            nulls ? null : scores[i % scores.length],
            nulls ? null : i % 4 == 0 ? new byte[0] : new byte[] {0, (byte) i, (byte) 0xff},
            nulls ? null : new BigDecimal("12345678901234567890.0" + i),
            nulls ? null : i % 2 == 0
          });
    }
    return table(dialect, "items", columns, data);
  }

  /** A second, narrow table, so an SQL script holds more than one. */
  public static Table notes(DialectKind dialect, int rows) {
    boolean pg = dialect == DialectKind.POSTGRESQL;
    List<Column> columns =
        List.of(
            new Column("id", pg ? "bigint" : "INTEGER", ValueKind.INTEGER, false, null, false),
            new Column("note", pg ? "text" : "TEXT", ValueKind.TEXT, true, null, false));
    List<Object[]> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      data.add(new Object[] {(long) i, "note " + i});
    }
    return table(dialect, "notes", columns, data);
  }

  private static Table table(
      DialectKind dialect, String name, List<Column> columns, List<Object[]> rows) {
    boolean pg = dialect == DialectKind.POSTGRESQL;
    StringBuilder create =
        new StringBuilder("CREATE TABLE ").append(pg ? "\"public\".\"" + name + "\"" : name);
    create.append(" (");
    for (int i = 0; i < columns.size(); i++) {
      Column c = columns.get(i);
      create.append(i == 0 ? "" : ", ").append('"').append(c.name()).append("\" ").append(c.type());
      if (i == 0) {
        create.append(" PRIMARY KEY");
      }
    }
    create.append(')');
    TableSchema schema =
        new TableSchema(
            pg ? "public" : null,
            name,
            columns,
            List.of("id"),
            KeyKind.PRIMARY_KEY,
            create.toString(),
            List.of(),
            List.of(),
            rows.size());
    return new Table(schema, rows);
  }

  /** The schema of an object holding {@code tables}. */
  public static DatabaseSchema schema(DialectKind dialect, List<Table> tables) {
    return new DatabaseSchema(
        dialect,
        dialect == DialectKind.SQLITE ? "3.50.3" : "15.8",
        List.of(),
        tables.stream().map(Table::schema).toList(),
        List.of());
  }

  /**
   * Encodes an object as the exporter does. Segments: the object start, every frame (the first of a
   * table with the table start, the last with the table end), the object end.
   */
  public static Encoded encode(Format format, DialectKind dialect, List<Table> tables) {
    return encodeFrom(format, dialect, tables, 0, 0);
  }

  /**
   * Encodes with a fresh encoder from frame {@code frame} of table {@code table} on, as a resumed
   * export does: no object start, and no table start when the frame is not the table's first.
   */
  public static Encoded encodeFrom(
      Format format, DialectKind dialect, List<Table> tables, int table, int frame) {
    RowEncoder encoder = format.encoder(schema(dialect, tables), ROWS_PER_INSERT);
    List<byte[]> segments = new ArrayList<>();
    ByteBuf buf = new ByteBuf(256);
    boolean resumed = table > 0 || frame > 0;
    if (!resumed) {
      encoder.objectStart(buf);
      segments.add(take(buf));
    }
    for (int t = table; t < tables.size(); t++) {
      TableSchema schema = tables.get(t).schema();
      List<Object[]> rows = tables.get(t).rows();
      int firstRow = t == table ? frame * FRAME_ROWS : 0;
      if (firstRow == 0) {
        encoder.tableStart(schema, buf);
      }
      encoder.frameStart(schema, firstRow == 0);
      for (int r = firstRow; r < rows.size(); r++) {
        encoder.row(rows.get(r), buf);
        if ((r + 1) % FRAME_ROWS == 0 && r + 1 < rows.size()) {
          encoder.frameEnd(buf);
          segments.add(take(buf));
          encoder.frameStart(schema, false);
        }
      }
      encoder.frameEnd(buf);
      encoder.tableEnd(buf);
      segments.add(take(buf));
    }
    encoder.objectEnd(buf);
    segments.add(take(buf));
    return new Encoded(segments);
  }

  /** The number of frames of a table of {@code rows} rows (an empty table has one). */
  public static int frames(int rows) {
    return Math.max(1, (rows + FRAME_ROWS - 1) / FRAME_ROWS);
  }

  private static byte[] take(ByteBuf buf) {
    byte[] bytes = buf.toByteArray();
    buf.clear();
    return bytes;
  }
}
