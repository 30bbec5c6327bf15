package dev.dbsnap.export;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.source.DatabaseSchema;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * What an export holds, written last as {@code manifest.json}: its objects with sizes and SHA-256,
 * its tables with row counts, the full schema a restore needs, and whether it is one consistent
 * snapshot (DESIGN 7). Times live here and never in data files (DESIGN 2).
 *
 * @param consistent true when the export is one snapshot: every table was read in one read
 *     transaction, or, after a resume, every table read by an earlier run is tracked and its
 *     version did not change since
 */
public record Manifest(
    String dbsnapVersion,
    String exportId,
    String format,
    String compression,
    String source,
    String sourceVersion,
    String startedAt,
    String finishedAt,
    boolean consistent,
    boolean resumed,
    int rowsPerInsert,
    List<TableEntry> tables,
    List<ObjectEntry> objects,
    DatabaseSchema schema) {
  public static final String FILE = "manifest.json";
  static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /**
   * A table of the export.
   *
   * @param name its display name ({@code schema.table} outside public)
   * @param object the object holding its data, relative to the export
   * @param rows rows exported
   * @param consistent whether its rows are the table as of the export's snapshot: read in this
   *     export's last run, or read earlier and unchanged since by its version
   * @param version the table's data version when read (change tracking, DESIGN 9), or null when the
   *     table is not tracked
   * @param tagged the columns whose values carry their SQLite storage class in csv, jsonl and json
   *     ({@code integer:42}, {@code {"integer":42}}), in table order; empty (and left out) when
   *     none does
   */
  public record TableEntry(
      String name,
      String object,
      long rows,
      boolean consistent,
      List<ColumnEntry> columns,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long version,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> tagged) {
    public TableEntry {
      tagged = tagged == null ? List.of() : List.copyOf(tagged);
    }

    /** An entry without tagged columns. */
    public TableEntry(
        String name,
        String object,
        long rows,
        boolean consistent,
        List<ColumnEntry> columns,
        Long version) {
      this(name, object, rows, consistent, columns, version, List.of());
    }

    /** An entry of a table without change tracking or tagged columns. */
    public TableEntry(
        String name, String object, long rows, boolean consistent, List<ColumnEntry> columns) {
      this(name, object, rows, consistent, columns, null, List.of());
    }
  }

  /**
   * A column of a table.
   *
   * @param sqlNull {@value #OMITTED} when jsonl and json write the column's SQL NULL by leaving its
   *     key out of the row (json and jsonb, where {@code null} is the JSON value); null (and left
   *     out) when SQL NULL is written {@code null}
   */
  public record ColumnEntry(
      String name, String type, @JsonInclude(JsonInclude.Include.NON_NULL) String sqlNull) {
    /** The value of {@link #sqlNull} for a column whose SQL NULL is a missing key. */
    public static final String OMITTED = "omitted";

    public ColumnEntry(String name, String type) {
      this(name, type, null);
    }
  }

  /** An object, its key relative to the export directory, size and SHA-256 (hex). */
  public record ObjectEntry(String key, long bytes, String sha256) {}

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Reads a manifest.
   *
   * @throws DbsnapException VERIFY_FAILED when it is not a dbsnap manifest
   */
  public static Manifest read(InputStream in) {
    try (in) {
      return JSON.readValue(in, Manifest.class);
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.VERIFY_FAILED, "manifest.json is unreadable: " + e.getMessage(), e);
    }
  }
}
