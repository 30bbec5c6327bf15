package dev.dbsnap.restore;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Column;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.Dialect;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.SourceException;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.ValueKind;
import dev.dbsnap.storage.ObjectStore;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Base64;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.zip.GZIPInputStream;

/**
 * Loads an export into an empty database of the same kind: an SQL dump statement by statement, the
 * other formats from the manifest's schema with batched INSERTs and one transaction per table.
 * Streaming: memory does not grow with the export's size. Not thread-safe.
 */
public final class Restorer {
  private static final int BATCH = 1000;
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .configure(
              JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false); // 123.400 stays 123.400
  private final ObjectStore store;
  private final String exportDir;
  private final Source target;
  private final LongConsumer rowsRestored;

  /**
   * @param exportDir the export's key prefix, ending in '/' (where manifest.json is)
   * @param rowsRestored told the running count of rows restored
   */
  public Restorer(ObjectStore store, String exportDir, Source target, LongConsumer rowsRestored) {
    this.store = store;
    this.exportDir = exportDir.isEmpty() || exportDir.endsWith("/") ? exportDir : exportDir + "/";
    this.target = target;
    this.rowsRestored = rowsRestored;
  }

  /**
   * Restores the export.
   *
   * @return the manifest of what was restored
   * @throws DbsnapException RESTORE_FAILED naming the table and row (or statement) that failed, a
   *     {@link SourceException} with its SQLState when the database refused it (and
   *     SOURCE_AUTHENTICATION_FAILED, SOURCE_UNKNOWN_DATABASE or SOURCE_PERMISSION_DENIED when that
   *     is why); INVALID_ARGUMENT when the target is of another kind or already holds a table of
   *     the export, or (an SQLite export with virtual tables) holds anything at all
   */
  public Manifest run() {
    Manifest manifest = Manifest.read(store.get(exportDir + Manifest.FILE));
    DatabaseSchema schema = manifest.schema();
    if (schema.dialect() != target.kind()) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "the export is of a "
              + name(schema.dialect())
              + " database and cannot be restored into "
              + name(target.kind()));
    }
    Format format = Format.parse(manifest.format());
    try (Connection c = target.connectForWriting()) {
      ensureEmpty(c, schema);
      if (format == Format.SQL) {
        restoreScript(c, manifest);
      } else {
        restoreTables(c, manifest, format);
      }
    } catch (SQLException e) {
      throw SourceException.from(
          e, ErrorCode.RESTORE_FAILED, "restore into " + target + " failed", null);
    }
    return manifest;
  }

  private static String name(DialectKind kind) {
    return kind == DialectKind.SQLITE ? "SQLite" : "PostgreSQL";
  }

  private void ensureEmpty(Connection c, DatabaseSchema schema) throws SQLException {
    if (schema.dialect() == DialectKind.SQLITE && !schema.before().isEmpty()) {
      // an SQLite schema has statements before its tables only for virtual tables, which are
      // written into sqlite_schema directly: no name check protects that
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT type, name FROM sqlite_master LIMIT 1")) {
        if (rs.next()) {
          throw new DbsnapException(
              ErrorCode.INVALID_ARGUMENT,
              "the export holds virtual tables, which restore only into an empty database, and"
                  + " the target already has "
                  + rs.getString(1)
                  + " "
                  + rs.getString(2));
        }
      }
    }
    List<TableSchema> all = new java.util.ArrayList<>(schema.partitioned());
    all.addAll(schema.tables());
    for (TableSchema t : all) {
      boolean exists;
      if (schema.dialect() == DialectKind.SQLITE) {
        try (PreparedStatement ps =
            c.prepareStatement("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?")) {
          ps.setString(1, t.name());
          try (ResultSet rs = ps.executeQuery()) {
            exists = rs.next();
          }
        }
      } else {
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = ? AND tablename = ?")) {
          ps.setString(1, t.schema());
          ps.setString(2, t.name());
          try (ResultSet rs = ps.executeQuery()) {
            exists = rs.next();
          }
        }
      }
      if (exists) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT,
            "the target already has table " + t.displayName() + "; restore into an empty database");
      }
    }
  }

  /**
   * The compression the manifest records for every object of the export; an object's name is not
   * asked, since a renamed or re-keyed object keeps its bytes.
   */
  private static Compression compression(Manifest manifest) {
    if (manifest.compression() == null) {
      throw new DbsnapException(
          ErrorCode.RESTORE_FAILED, "the manifest does not say how the objects are compressed");
    }
    return Compression.parse(manifest.compression());
  }

  private InputStream open(String name, Compression compression) throws IOException {
    InputStream raw = new BufferedInputStream(store.get(exportDir + name), 256 * 1024);
    return switch (compression) {
      case GZIP -> new GZIPInputStream(raw, 64 * 1024); // reads concatenated members
      case ZSTD -> {
        ZstdInputStreamNoFinalizer z = new ZstdInputStreamNoFinalizer(raw);
        z.setContinuous(false);
        yield new BufferedInputStream(z, 256 * 1024);
      }
      case NONE -> raw;
    };
  }

  /**
   * Runs the export's scripts in order in one session: one script, or (written by several jobs)
   * pre-data, one script per table, post-data, which together hold one BEGIN and one COMMIT.
   */
  private void restoreScript(Connection c, Manifest manifest) throws SQLException {
    c.setAutoCommit(true); // the scripts hold their own BEGIN and COMMIT
    long rows = 0;
    for (Manifest.ObjectEntry o : manifest.objects()) {
      rows = restoreScript(c, manifest, o.key(), rows);
    }
  }

  private long restoreScript(Connection c, Manifest manifest, String object, long rowsBefore)
      throws SQLException {
    long rows = rowsBefore;
    String statement = null;
    String table = null;
    try (Reader reader =
            new InputStreamReader(open(object, compression(manifest)), StandardCharsets.UTF_8);
        Statement st = c.createStatement()) {
      SqlScriptReader script = new SqlScriptReader(reader);
      int batched = 0;
      while ((statement = script.next()) != null) {
        boolean insert = statement.regionMatches(true, 0, "INSERT INTO ", 0, 12);
        if (insert) {
          table =
              statement.substring(
                  12,
                  Math.min(
                      statement.length(),
                      statement.indexOf(" (") > 0 ? statement.indexOf(" (") : 80));
          st.addBatch(statement);
          if (++batched == 50) {
            st.executeBatch();
            batched = 0;
          }
          rows += countRows(statement);
          rowsRestored.accept(rows);
        } else {
          if (batched > 0) {
            st.executeBatch();
            batched = 0;
          }
          st.execute(statement);
        }
      }
      if (batched > 0) {
        st.executeBatch();
      }
      return rows;
    } catch (SQLException e) {
      rollbackQuietly(c);
      throw SourceException.from(
          e,
          ErrorCode.RESTORE_FAILED,
          "restoring "
              + object
              + (table != null
                  ? " failed at table " + table + " near row " + (rows + 1)
                  : " failed")
              + (statement != null ? " (statement: " + abbreviate(statement) + ")" : ""),
          table);
    } catch (IOException e) {
      rollbackQuietly(c);
      throw new DbsnapException(
          ErrorCode.RESTORE_FAILED, "cannot read " + object + ": " + e.getMessage(), e);
    }
  }

  /** Rows in one multi-row INSERT: the script puts each row on its own line. */
  private static long countRows(String insert) {
    long n = 0;
    for (int i = insert.indexOf(") VALUES\n"); i >= 0; i = insert.indexOf("),\n(", i + 1)) {
      n++;
    }
    return n;
  }

  private static void rollbackQuietly(Connection c) {
    try (Statement st = c.createStatement()) {
      st.execute("ROLLBACK");
    } catch (SQLException ignored) {
      // nothing was open, or the connection is gone: either way nothing is committed
    }
  }

  private void restoreTables(Connection c, Manifest manifest, Format format) throws SQLException {
    DatabaseSchema schema = manifest.schema();
    Dialect dialect = Dialect.of(schema.dialect());
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      if (schema.dialect() == DialectKind.POSTGRESQL) {
        // As a pg_dump script: function bodies are checked when they run, not when created (a
        // body may name what comes later), and every name in the statements is qualified.
        st.execute("SET check_function_bodies = false");
        st.execute("SELECT pg_catalog.set_config('search_path', '', false)");
      }
      for (String s : Format.schemaHead(schema)) {
        st.execute(s);
      }
      c.commit();
    }
    Compression compression = compression(manifest);
    long total = 0;
    for (TableSchema table : schema.tables()) {
      Manifest.TableEntry entry =
          manifest.tables().stream()
              .filter(t -> t.name().equals(table.displayName()))
              .findFirst()
              .orElseThrow(
                  () ->
                      new DbsnapException(
                          ErrorCode.RESTORE_FAILED,
                          "the manifest lists no object for table " + table.displayName()));
      total = restoreTable(c, dialect, table, entry, format, compression, total);
    }
    try (Statement st = c.createStatement()) {
      for (String s : Format.schemaTail(schema)) {
        st.execute(s);
      }
      c.commit();
    }
  }

  private long restoreTable(
      Connection c,
      Dialect dialect,
      TableSchema table,
      Manifest.TableEntry entry,
      Format format,
      Compression compression,
      long total)
      throws SQLException {
    String object = entry.object();
    List<Column> columns = table.columns();
    boolean[] tagged = new boolean[columns.size()];
    boolean[] nullIsJson = new boolean[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      String name = columns.get(i).name();
      tagged[i] = entry.tagged().contains(name);
      nullIsJson[i] =
          entry.columns() != null
              && entry.columns().stream()
                  .anyMatch(
                      e ->
                          e.name().equals(name)
                              && Manifest.ColumnEntry.OMITTED.equals(e.sqlNull()));
    }
    StringBuilder sql =
        new StringBuilder("INSERT INTO ").append(dialect.qualified(table)).append(" (");
    StringBuilder marks = new StringBuilder();
    boolean first = true;
    for (Column col : columns) {
      if (col.generated()) {
        continue;
      }
      sql.append(first ? "" : ", ").append(dialect.quote(col.name()));
      marks.append(first ? "" : ", ").append(placeholder(dialect.kind(), col));
      first = false;
    }
    sql.append(") VALUES (").append(marks).append(')');
    long row = 0;
    try (PreparedStatement ps = c.prepareStatement(sql.toString());
        InputStream in = open(object, compression)) {
      RowSource rows =
          format == Format.CSV ? csvRows(in, table, tagged) : jsonRows(in, table, tagged);
      Object[] values;
      while ((values = rows.next()) != null) {
        row++;
        int p = 1;
        for (int i = 0; i < columns.size(); i++) {
          if (!columns.get(i).generated()) {
            Object v = values[i];
            if (nullIsJson[i] && v instanceof JsonNode n && n.isNull()) {
              v = "null"; // SQL NULL is a missing key: this is the JSON value null
            }
            bind(ps, p++, v, columns.get(i), dialect.kind());
          }
        }
        ps.addBatch();
        if (row % BATCH == 0) {
          ps.executeBatch();
          rowsRestored.accept(total + row);
        }
      }
      ps.executeBatch();
      c.commit();
      rowsRestored.accept(total + row);
      return total + row;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      if (e instanceof DbsnapException d) {
        throw d;
      }
      String what =
          "restoring table "
              + table.displayName()
              + " failed"
              + (row > 0 ? " in the batch ending at row " + row : "");
      if (e instanceof SQLException s) {
        throw SourceException.from(s, ErrorCode.RESTORE_FAILED, what, table.displayName());
      }
      throw new DbsnapException(
          ErrorCode.RESTORE_FAILED, what + ": " + firstLine(e.getMessage()), e);
    } catch (IOException e) {
      c.rollback();
      throw new DbsnapException(
          ErrorCode.RESTORE_FAILED,
          "cannot read "
              + object
              + " for table "
              + table.displayName()
              + " at row "
              + (row + 1)
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private static String placeholder(DialectKind kind, Column col) {
    if (kind == DialectKind.SQLITE || col.kind() == ValueKind.BYTES) {
      return "?";
    }
    return "CAST(? AS " + col.type() + ")";
  }

  /** Binds one value read from CSV (a string) or JSON (a node) for the target's dialect. */
  private static void bind(
      PreparedStatement ps, int index, Object value, Column col, DialectKind kind)
      throws SQLException {
    if (value instanceof TaggedValue tagged) {
      tagged.bind(ps, index);
      return;
    }
    if (value instanceof NumberText number) {
      if (kind == DialectKind.POSTGRESQL) {
        ps.setString(index, number.text());
        return;
      }
      value = number.node();
    }
    if (value == null || value instanceof JsonNode n && n.isNull()) {
      ps.setNull(index, col.kind() == ValueKind.BYTES ? Types.BINARY : Types.VARCHAR);
      return;
    }
    if (col.kind() == ValueKind.BYTES
        && (value instanceof String || value instanceof JsonNode n && n.isTextual())) {
      String text = value instanceof JsonNode n ? n.textValue() : (String) value;
      try {
        ps.setBytes(index, Base64.getDecoder().decode(text));
      } catch (IllegalArgumentException notBase64) {
        if (kind != DialectKind.SQLITE) {
          throw notBase64;
        }
        ps.setString(index, text); // SQLite text stored in a BLOB column is exported as text
      }
      return;
    }
    if (value instanceof JsonNode n) {
      if (kind == DialectKind.SQLITE && n.isIntegralNumber() && n.canConvertToLong()) {
        ps.setLong(index, n.longValue());
      } else if (kind == DialectKind.SQLITE && n.isNumber()) {
        ps.setDouble(index, n.doubleValue());
      } else if (n.isTextual() && col.kind() == ValueKind.JSON && col.type().equals("jsonb")) {
        ps.setString(index, n.toString()); // a jsonb string is embedded as JSON: keep its quotes
      } else if (n.isTextual()) {
        bindText(ps, index, n.textValue(), col, kind);
      } else if (n.isNumber()) {
        ps.setString(index, n.decimalValue().toPlainString());
      } else if (n.isBoolean()) {
        ps.setString(index, Boolean.toString(n.booleanValue()));
      } else {
        ps.setString(index, n.toString()); // embedded jsonb
      }
      return;
    }
    String text = (String) value;
    if (kind == DialectKind.SQLITE
        && col.kind() != ValueKind.TEXT
        && NUMBER.matcher(text).matches()) {
      // Bind numbers as numbers: SQLite's own text-to-double conversion misrounds a few 17-digit
      // values, and CSV cannot say whether a value in a column without a declared type was a
      // number; one that reads as a number is taken as one, as such columns nearly always hold.
      if (text.indexOf('.') < 0 && text.indexOf('E') < 0) {
        try {
          ps.setLong(index, Long.parseLong(text));
          return;
        } catch (NumberFormatException tooLarge) {
          // falls through to a real
        }
      }
      ps.setDouble(index, Double.parseDouble(text));
      return;
    }
    bindText(ps, index, text, col, kind);
  }

  private static final java.util.regex.Pattern NUMBER =
      java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?(E-?[0-9]+)?");

  private static void bindText(
      PreparedStatement ps, int index, String text, Column col, DialectKind kind)
      throws SQLException {
    if (kind == DialectKind.SQLITE && col.kind() == ValueKind.FLOAT) {
      switch (text) {
        case "Infinity" -> ps.setDouble(index, Double.POSITIVE_INFINITY);
        case "-Infinity" -> ps.setDouble(index, Double.NEGATIVE_INFINITY);
        default -> ps.setString(index, text); // SQLite's REAL affinity converts numeric text
      }
      return;
    }
    ps.setString(index, text);
  }

  private interface RowSource {
    Object[] next() throws IOException;
  }

  private static RowSource csvRows(InputStream in, TableSchema table, boolean[] tagged)
      throws IOException {
    CsvRecordReader csv = new CsvRecordReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    csv.next(); // header
    int width = tagged.length;
    return () -> {
      List<String> record = csv.next();
      if (record == null) {
        return null;
      }
      if (record.size() != width) {
        throw new IOException(
            "a record has " + record.size() + " fields, the table has " + width + " columns");
      }
      Object[] values = record.toArray();
      for (int i = 0; i < width; i++) {
        if (tagged[i] && values[i] != null) {
          try {
            values[i] = TaggedValue.fromCsv((String) values[i]);
          } catch (IOException e) {
            throw new IOException(
                "column " + table.columns().get(i).name() + ": " + e.getMessage(), e);
          }
        }
      }
      return values;
    };
  }

  /**
   * A number as the JSON text wrote it, with its parsed node: a BigDecimal has no negative zero, so
   * PostgreSQL gets the text ("-0.0", "123.400") and SQLite the node.
   */
  private record NumberText(String text, JsonNode node) {}

  private static RowSource jsonRows(InputStream in, TableSchema table, boolean[] tagged)
      throws IOException {
    JsonParser parser = JSON.getFactory().createParser(in);
    JsonToken firstToken = parser.nextToken();
    boolean array = firstToken == JsonToken.START_ARRAY;
    java.util.Map<String, Integer> index = new java.util.HashMap<>();
    for (int i = 0; i < table.columns().size(); i++) {
      index.put(table.columns().get(i).name(), i);
    }
    boolean[] pending = {!array && firstToken != null};
    return () -> {
      JsonToken t = pending[0] ? parser.currentToken() : parser.nextToken();
      pending[0] = false;
      if (t == null || t == JsonToken.END_ARRAY) {
        return null;
      }
      if (t != JsonToken.START_OBJECT) {
        throw new IOException("a row is not a JSON object");
      }
      Object[] values = new Object[index.size()];
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        Integer i = index.get(parser.currentName());
        JsonToken v = parser.nextToken();
        if (i == null) {
          parser.skipChildren();
        } else if (tagged[i] && v != JsonToken.VALUE_NULL) {
          try {
            values[i] = TaggedValue.fromJson(parser);
          } catch (IOException e) {
            throw new IOException(
                "column " + table.columns().get(i).name() + ": " + e.getMessage(), e);
          }
        } else if (v.isNumeric()) {
          String text = parser.getText();
          values[i] = new NumberText(text, JSON.readTree(parser));
        } else {
          values[i] = JSON.readTree(parser);
        }
      }
      return values;
    };
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unknown error";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static String abbreviate(String s) {
    String one = s.replace('\n', ' ');
    return one.length() > 120 ? one.substring(0, 117) + "..." : one;
  }
}
