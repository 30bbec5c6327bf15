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
   */
  public record TableEntry(
      String name,
      String object,
      long rows,
      boolean consistent,
      List<ColumnEntry> columns,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long version) {
    /** An entry of a table without change tracking. */
    public TableEntry(
        String name, String object, long rows, boolean consistent, List<ColumnEntry> columns) {
      this(name, object, rows, consistent, columns, null);
    }
  }

  public record ColumnEntry(String name, String type) {}

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
