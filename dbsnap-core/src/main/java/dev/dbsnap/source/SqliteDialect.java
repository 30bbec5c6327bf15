package dev.dbsnap.source;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sqlite.core.Codes;

/**
 * SQLite: tables are recreated from their original CREATE statements (as the sqlite3 shell's .dump
 * does), read in primary-key order or rowid order, and values keep their storage class.
 */
final class SqliteDialect implements Dialect {
  static final Dialect INSTANCE = new SqliteDialect();

  private SqliteDialect() {}

  @Override
  public DialectKind kind() {
    return DialectKind.SQLITE;
  }

  @Override
  public String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  @Override
  public String qualified(TableSchema table) {
    return quote(table.name());
  }

  @Override
  public void beginSnapshot(Connection connection) throws SQLException {
    connection.setAutoCommit(false);
    // A deferred transaction takes its read snapshot at the first read: take it now.
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master")) {
      rs.next();
    }
  }

  /**
   * Holds the write lock of the file (BEGIN IMMEDIATE on a connection of its own): in WAL mode no
   * writer commits while it is held, and in rollback-journal mode no writer can take the pending
   * lock that would keep new readers out, so every read transaction begun meanwhile sees the same
   * data. The lock's connection is opened for writing (the file exists: the first connection opened
   * it): on a read-only connection BEGIN IMMEDIATE succeeds but, in WAL mode, does not keep a
   * writer from committing.
   */
  @Override
  public WriterHold holdWriters(Source source) throws SQLException {
    Connection lock = source.connectForWriting();
    try (Statement st = lock.createStatement()) {
      st.execute("PRAGMA busy_timeout = 30000");
      st.execute("BEGIN IMMEDIATE");
    } catch (SQLException e) {
      lock.close();
      if ((e.getErrorCode() & 0xff) == 8) { // SQLITE_READONLY: cannot hold writers off
        return null;
      }
      throw e;
    }
    return new WriterHold() {
      private boolean released;

      @Override
      public void release() throws SQLException {
        if (released) {
          return;
        }
        released = true;
        try (lock;
            Statement st = lock.createStatement()) {
          st.execute("ROLLBACK");
        }
      }
    };
  }

  @Override
  public DatabaseSchema introspect(
      Connection connection, TableSelection selection, SchemaOptions options) throws SQLException {
    record MasterRow(String type, String name, String table, String sql) {}
    List<MasterRow> master = new ArrayList<>();
    try (Statement st = connection.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid")) {
      while (rs.next()) {
        master.add(
            new MasterRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
      }
    }
    Map<String, String> tableKinds = tableKinds(connection);
    List<DatabaseSchema.Skipped> skipped = new ArrayList<>();
    Map<String, MasterRow> userTables = new LinkedHashMap<>();
    Map<String, MasterRow> virtualTables = new LinkedHashMap<>();
    for (MasterRow row : master) {
      if (!row.type().equals("table") || row.sql() == null) {
        continue;
      }
      if (row.sql().regionMatches(true, 0, "CREATE VIRTUAL", 0, 14)) {
        virtualTables.put(row.name(), row);
      } else if (!internal(row.name()) && !"shadow".equals(tableKinds.get(row.name()))) {
        userTables.put(row.name(), row);
      } else if (row.name().equalsIgnoreCase("sqlite_stat4")) {
        // Samples for the planner that only builds with SQLITE_ENABLE_STAT4 can hold (sqlite-jdbc's
        // can, Debian's sqlite3 cannot, so a script inserting them would fail there): left out,
        // listed, and rebuilt by ANALYZE in the restored database.
        skipped.add(
            new DatabaseSchema.Skipped(
                "internal table",
                row.name(),
                "ANALYZE samples need an SQLite built with SQLITE_ENABLE_STAT4; run ANALYZE after"
                    + " the restore to rebuild them"));
      } else if (row.name().toLowerCase(Locale.ROOT).startsWith("sqlite_")
          && !KNOWN_INTERNAL.contains(row.name().toLowerCase(Locale.ROOT))) {
        unsupported(
            skipped,
            options,
            new DatabaseSchema.Skipped(
                "internal table",
                row.name(),
                "dbsnap carries sqlite_sequence and sqlite_stat1 only"));
      }
    }
    // A shadow table (an FTS index's _data, an R*Tree's _node) belongs to the virtual table whose
    // name, followed by '_', is the longest prefix of its own.
    Map<String, List<String>> shadowsOf = new LinkedHashMap<>();
    for (MasterRow row : master) {
      if (row.type().equals("table") && "shadow".equals(tableKinds.get(row.name()))) {
        String owner = null;
        for (String v : virtualTables.keySet()) {
          if (row.name().startsWith(v + "_") && (owner == null || v.length() > owner.length())) {
            owner = v;
          }
        }
        if (owner == null) {
          unsupported(
              skipped,
              options,
              new DatabaseSchema.Skipped(
                  "shadow table", row.name(), "no virtual table of the database owns it"));
        } else {
          shadowsOf.computeIfAbsent(owner, k -> new ArrayList<>()).add(row.name());
        }
      }
    }
    Map<String, MasterRow> selectable = new LinkedHashMap<>(userTables);
    selectable.putAll(virtualTables);
    for (String name : selection.include()) {
      if (!selectable.containsKey(name)) {
        throw new DbsnapException(
            ErrorCode.UNKNOWN_TABLE,
            "table '"
                + name
                + "' does not exist in the SQLite database (it has: "
                + String.join(", ", selectable.keySet())
                + ")");
      }
    }
    // Virtual tables as sqlite3 .dump carries them: the CREATE VIRTUAL TABLE statement goes into
    // sqlite_schema directly (creating it would create empty shadow tables), and the shadow tables
    // are created and filled as ordinary tables, so the index is restored as it was.
    List<String> before = new ArrayList<>();
    java.util.Set<String> shadowNames = new java.util.HashSet<>();
    for (MasterRow v : virtualTables.values()) {
      if (!selection.selects(null, v.name())) {
        continue;
      }
      if (before.isEmpty()) {
        before.add("PRAGMA writable_schema=ON");
      }
      before.add(
          "INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql) VALUES('table',"
              + text(v.name())
              + ","
              + text(v.table())
              + ",0,"
              + text(v.sql())
              + ")");
      shadowNames.addAll(shadowsOf.getOrDefault(v.name(), List.of()));
    }
    List<TableSchema> tables = new ArrayList<>();
    List<String> names = new ArrayList<>(userTables.keySet());
    names.addAll(shadowNames);
    names.sort(null);
    for (String name : names) {
      boolean shadow = shadowNames.contains(name);
      if (!shadow && !selection.selects(null, name)) {
        continue;
      }
      MasterRow row =
          master.stream()
              .filter(r -> r.type().equals("table") && r.name().equals(name))
              .findFirst()
              .orElseThrow();
      List<String> indexes = new ArrayList<>();
      for (MasterRow r : master) {
        if (r.type().equals("index") && r.table().equals(name) && r.sql() != null) {
          indexes.add(r.sql());
        }
      }
      String create = shadow ? ifNotExists(row.sql()) : row.sql();
      tables.add(describe(connection, name, create, indexes));
    }
    java.util.Set<String> carried = new java.util.HashSet<>();
    tables.forEach(t -> carried.add(t.name()));
    for (MasterRow v : virtualTables.values()) {
      if (selection.selects(null, v.name())) {
        carried.add(v.name());
      }
    }
    // SQLite checks a view's or trigger's references only when it runs: one that names a table the
    // export leaves out would restore, then fail every query or write that reaches it. Such objects
    // are left out and listed (views first, as a view may rest on a left-out view).
    Map<String, String> leftOut = new java.util.HashMap<>();
    for (MasterRow r : master) {
      if (r.type().equals("table")
          && !r.name().startsWith("sqlite_")
          && !carried.contains(r.name())) {
        leftOut.put(r.name().toLowerCase(java.util.Locale.ROOT), r.name());
      }
    }
    List<MasterRow> views = new ArrayList<>();
    master.stream().filter(r -> r.type().equals("view") && r.sql() != null).forEach(views::add);
    for (boolean changed = true; changed; ) {
      changed = false;
      for (java.util.Iterator<MasterRow> it = views.iterator(); it.hasNext(); ) {
        MasterRow view = it.next();
        String missing = firstName(view.sql(), leftOut);
        if (missing != null) {
          it.remove();
          skipped.add(
              new DatabaseSchema.Skipped(
                  "view", view.name(), "it uses " + missing + ", which the export leaves out"));
          leftOut.put(view.name().toLowerCase(java.util.Locale.ROOT), view.name());
          changed = true;
        }
      }
    }
    java.util.Set<String> viewNames = new java.util.HashSet<>();
    List<String> after = new ArrayList<>();
    for (MasterRow view : views) {
      viewNames.add(view.name());
      after.add(view.sql());
    }
    for (MasterRow row : master) {
      // dbsnap_ triggers are change tracking (dev.dbsnap.track): the source's, not the data's
      if (row.type().equals("trigger")
          && row.sql() != null
          && !internal(row.name())
          && (carried.contains(row.table()) || viewNames.contains(row.table()))) {
        String missing = firstName(row.sql(), leftOut);
        if (missing == null) {
          after.add(row.sql());
        } else {
          skipped.add(
              new DatabaseSchema.Skipped(
                  "trigger", row.name(), "it uses " + missing + ", which the export leaves out"));
        }
      }
    }
    if (master.stream().anyMatch(r -> r.name().equals("sqlite_sequence"))) {
      try (Statement st = connection.createStatement();
          ResultSet rs = st.executeQuery("SELECT name, seq FROM sqlite_sequence ORDER BY name")) {
        while (rs.next()) {
          String table = rs.getString(1);
          if (tables.stream().anyMatch(t -> t.name().equals(table))) {
            String lit = "'" + table.replace("'", "''") + "'";
            long seq = rs.getLong(2);
            // The table's own inserts already created a row; set it to the source's counter,
            // which can be above the largest key.
            after.add("UPDATE sqlite_sequence SET seq = " + seq + " WHERE name = " + lit);
            after.add(
                "INSERT INTO sqlite_sequence(name, seq) SELECT "
                    + lit
                    + ", "
                    + seq
                    + " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = "
                    + lit
                    + ")");
          }
        }
      }
    }
    if (master.stream().anyMatch(r -> r.name().equals("sqlite_stat1"))) {
      statistics(connection, carried, after);
    }
    for (String pragma : List.of("user_version", "application_id")) {
      try (Statement st = connection.createStatement();
          ResultSet rs = st.executeQuery("PRAGMA " + pragma)) {
        if (rs.next() && rs.getLong(1) != 0) {
          after.add("PRAGMA " + pragma + "=" + rs.getLong(1));
        }
      }
    }
    if (!before.isEmpty()) {
      after.add("PRAGMA writable_schema=OFF");
    }
    String version;
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("SELECT sqlite_version()")) {
      rs.next();
      version = rs.getString(1);
    }
    return new DatabaseSchema(DialectKind.SQLITE, version, before, tables, after, skipped);
  }

  /** Internal tables dbsnap carries (their contents, not their CREATE statements). */
  private static final java.util.Set<String> KNOWN_INTERNAL =
      java.util.Set.of("sqlite_sequence", "sqlite_stat1");

  private static void unsupported(
      List<DatabaseSchema.Skipped> skipped, SchemaOptions options, DatabaseSchema.Skipped object) {
    if (!options.skipUnsupported()) {
      throw new DbsnapException(
          ErrorCode.UNSUPPORTED_OBJECT,
          "cannot export " + object + " (skip such objects with skipUnsupported)");
    }
    skipped.add(object);
  }

  /** Table name to its kind in {@code PRAGMA table_list}: table, view, virtual or shadow. */
  private static Map<String, String> tableKinds(Connection connection) throws SQLException {
    Map<String, String> kinds = new java.util.HashMap<>();
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA main.table_list")) {
      while (rs.next()) {
        kinds.put(rs.getString("name"), rs.getString("type"));
      }
    }
    return kinds;
  }

  /**
   * ANALYZE statistics as sqlite3 .dump carries them: {@code ANALYZE sqlite_schema} creates an
   * empty sqlite_stat1, then its rows for the exported tables.
   */
  private static void statistics(
      Connection connection, java.util.Set<String> carried, List<String> after)
      throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY rowid")) {
      while (rs.next()) {
        if (carried.contains(rs.getString(1))) {
          rows.add(
              "INSERT INTO sqlite_stat1(tbl,idx,stat) VALUES("
                  + text(rs.getString(1))
                  + ","
                  + text(rs.getString(2))
                  + ","
                  + text(rs.getString(3))
                  + ")");
        }
      }
    }
    after.add("ANALYZE sqlite_schema");
    after.addAll(rows);
  }

  private static String text(String s) {
    return s == null ? "NULL" : "'" + s.replace("'", "''") + "'";
  }

  /** A shadow table's CREATE as .dump writes it: another shadow table's module may have made it. */
  private static String ifNotExists(String create) {
    return create.regionMatches(true, 0, "CREATE TABLE ", 0, 13)
            && !create.regionMatches(true, 13, "IF NOT EXISTS", 0, 13)
        ? "CREATE TABLE IF NOT EXISTS " + create.substring(13)
        : create;
  }

  private static boolean internal(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.startsWith("sqlite_") || lower.startsWith("dbsnap_");
  }

  private TableSchema describe(
      Connection connection, String name, String createSql, List<String> indexes)
      throws SQLException {
    List<Column> columns = new ArrayList<>();
    Map<Integer, String> keyByPosition = new java.util.TreeMap<>();
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA table_xinfo(" + quote(name) + ")")) {
      while (rs.next()) {
        int hidden = rs.getInt("hidden");
        if (hidden == 1) {
          continue; // hidden column of a virtual table
        }
        String colName = rs.getString("name");
        String type = rs.getString("type") == null ? "" : rs.getString("type");
        int pk = rs.getInt("pk");
        if (pk > 0) {
          keyByPosition.put(pk, colName);
        }
        columns.add(
            new Column(
                colName,
                type,
                affinity(type),
                rs.getInt("notnull") == 0,
                rs.getString("dflt_value"),
                hidden == 2 || hidden == 3));
      }
    }
    List<String> key = new ArrayList<>(keyByPosition.values());
    KeyKind keyKind = key.isEmpty() ? KeyKind.ROWID : KeyKind.PRIMARY_KEY;
    return new TableSchema(null, name, columns, key, keyKind, createSql, List.of(), indexes, -1);
  }

  /** The column affinity rules of SQLite's datatype documentation, section 3.1. */
  static ValueKind affinity(String declared) {
    String t = declared.toUpperCase(Locale.ROOT);
    if (t.contains("INT")) {
      return ValueKind.INTEGER;
    }
    if (t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT")) {
      return ValueKind.TEXT;
    }
    if (t.contains("BLOB")) {
      return ValueKind.BYTES;
    }
    if (t.isEmpty()) {
      return ValueKind.OTHER;
    }
    if (t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB")) {
      return ValueKind.FLOAT;
    }
    return ValueKind.DECIMAL;
  }

  /**
   * A column is tagged when one of its values would come back in another storage class from its
   * plain csv/json form: a value of another class than the one its declared type gives (integer for
   * INTEGER affinity, real for REAL, text for TEXT, blob for a type naming BLOB; integer or finite
   * real for NUMERIC), and in a column without a declared type (or of type ANY) any value but an
   * integer within ±2^53, which is the only one every plain form reads back as itself.
   */
  @Override
  public List<String> taggedColumns(Connection connection, TableSchema table) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT ");
    List<Column> columns = table.columns();
    for (int i = 0; i < columns.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append("max(").append(offClass(columns.get(i))).append(')');
    }
    sql.append(" FROM ").append(qualified(table));
    List<String> tagged = new ArrayList<>();
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery(sql.toString())) {
      rs.next();
      for (int i = 0; i < columns.size(); i++) {
        if (rs.getInt(i + 1) == 1) {
          tagged.add(columns.get(i).name());
        }
      }
    }
    return tagged;
  }

  /**
   * {@link #offClass} for values as the reader gives them (Long, Double, String, byte[]); null for
   * a table with a column without a declared type, whose integers need a range check the scan does
   * better.
   */
  @Override
  public java.util.function.Predicate<TableReader> needsTag(TableSchema table) {
    List<Column> columns = table.columns();
    Class<?>[] expected = new Class<?>[columns.size()];
    for (int i = 0; i < expected.length; i++) {
      String declared = columns.get(i).type().trim();
      if (declared.isEmpty() || declared.equalsIgnoreCase("ANY")) {
        return null;
      }
      expected[i] =
          switch (affinity(declared)) {
            case INTEGER -> Long.class;
            case TEXT -> String.class;
            case BYTES -> byte[].class;
            case FLOAT -> Double.class;
            default -> null; // NUMERIC: an integer or a finite real
          };
    }
    return reader -> {
      for (int i = 0; i < expected.length; i++) {
        Class<?> c = reader.valueClass(i);
        if (c != null
            && (expected[i] != null
                ? c != expected[i]
                : c != Long.class
                    && !(c == Double.class && !((Double) reader.value(i)).isInfinite()))) {
          return true;
        }
      }
      return false;
    };
  }

  /** An SQL expression that is 1 when the column's value needs a tag, else 0 or NULL. */
  private String offClass(Column column) {
    String c = quote(column.name());
    String declared = column.type().trim();
    if (declared.isEmpty() || declared.equalsIgnoreCase("ANY")) {
      return "CASE typeof("
          + c
          + ") WHEN 'null' THEN 0 WHEN 'integer' THEN "
          + c
          + " NOT BETWEEN -9007199254740992 AND 9007199254740992 ELSE 1 END";
    }
    return switch (affinity(declared)) {
      case INTEGER -> "typeof(" + c + ") NOT IN ('null', 'integer')";
      case TEXT -> "typeof(" + c + ") NOT IN ('null', 'text')";
      case BYTES -> "typeof(" + c + ") NOT IN ('null', 'blob')";
      case FLOAT -> "typeof(" + c + ") NOT IN ('null', 'real')";
      // NUMERIC affinity: a plain Infinity would come back as text
      default ->
          "CASE typeof("
              + c
              + ") WHEN 'null' THEN 0 WHEN 'integer' THEN 0 WHEN 'real' THEN "
              + c
              + " IN (9e999, -9e999) ELSE 1 END";
    };
  }

  @Override
  public TableReader openReader(Connection connection, TableSchema table, List<Object> afterKey)
      throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT ");
    List<String> keyColumns =
        table.keyKind() == KeyKind.ROWID ? List.of(rowidName(table)) : table.primaryKey();
    boolean extraRowid = table.keyKind() == KeyKind.ROWID;
    if (extraRowid) {
      sql.append(keyColumns.get(0)).append(", ");
    }
    for (int i = 0; i < table.columns().size(); i++) {
      sql.append(i == 0 ? "" : ", ").append(quote(table.columns().get(i).name()));
    }
    sql.append(" FROM ").append(qualified(table));
    String keyList =
        String.join(", ", keyColumns.stream().map(k -> extraRowid ? k : quote(k)).toList());
    if (afterKey != null) {
      String marks = String.join(", ", java.util.Collections.nCopies(keyColumns.size(), "?"));
      sql.append(" WHERE (").append(keyList).append(") > (").append(marks).append(')');
    }
    sql.append(" ORDER BY ").append(keyList);
    PreparedStatement ps = connection.prepareStatement(sql.toString());
    if (afterKey != null) {
      for (int i = 0; i < afterKey.size(); i++) {
        ps.setObject(i + 1, afterKey.get(i));
      }
    }
    ps.setFetchSize(1000);
    int[] keyIndexes = new int[keyColumns.size()];
    for (int i = 0; i < keyIndexes.length; i++) {
      keyIndexes[i] = extraRowid ? 1 : table.columnIndex(keyColumns.get(i)) + 1;
    }
    boolean utf8;
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA encoding")) {
      utf8 = rs.next() && "UTF-8".equalsIgnoreCase(rs.getString(1));
    }
    return new SqliteTableReader(
        ps, ps.executeQuery(), table.columns().size(), extraRowid ? 1 : 0, keyIndexes, utf8);
  }

  /** The first of SQLite's rowid names that no column shadows. */
  private static String rowidName(TableSchema table) {
    for (String candidate : List.of("rowid", "_rowid_", "oid")) {
      boolean shadowed =
          table.columns().stream().anyMatch(c -> c.name().equalsIgnoreCase(candidate));
      if (!shadowed) {
        return candidate;
      }
    }
    // the table's structure, not the moment, is at fault: trying again cannot help
    throw new SourceException(
        ErrorCode.SOURCE_READ_FAILED,
        "table "
            + table.name()
            + " has no primary key and columns named rowid, _rowid_ and oid hide its rowid",
        null,
        table.displayName(),
        false,
        null);
  }

  /**
   * Reads rows through the driver's native calls, one lock per row instead of two calls per value
   * (JDBC's {@code getObject} asks for the type, then the value), and keeps text values as the
   * UTF-8 bytes SQLite stores ({@code sqlite3_column_blob} of a text value), decoding them into
   * Strings only when {@link #values()} or {@link #value(int)} is asked: csv and sql copy the
   * bytes.
   */
  static final class SqliteTableReader implements TableReader {
    private final PreparedStatement statement;
    private final ResultSet rs;
    private final int width;
    private final int offset;
    private final int[] keyIndexes;

    /** The driver's statement handle, or null when the driver is not sqlite-jdbc's own. */
    private final org.sqlite.core.SafeStmtPtr pointer;

    /**
     * The current row: Long, Double, byte[], null, or for text its UTF-8 bytes in {@link #text}.
     */
    private final Object[] raw;

    private final byte[][] text;
    private Object[] values;

    /** Whether the database stores text as UTF-8 (else UTF-16, which only the driver decodes). */
    private final boolean utf8;

    SqliteTableReader(
        PreparedStatement statement,
        ResultSet rs,
        int width,
        int offset,
        int[] keyIndexes,
        boolean utf8) {
      this.utf8 = utf8;
      this.statement = statement;
      this.rs = rs;
      this.width = width;
      this.offset = offset;
      this.keyIndexes = keyIndexes;
      org.sqlite.core.SafeStmtPtr p = null;
      try {
        if (statement.isWrapperFor(org.sqlite.core.CoreStatement.class)) {
          p = statement.unwrap(org.sqlite.core.CoreStatement.class).pointer;
        }
      } catch (SQLException | LinkageError e) {
        p = null; // read through JDBC
      }
      this.pointer = p;
      this.raw = new Object[width];
      this.text = new byte[width][];
    }

    @Override
    public boolean next() throws SQLException {
      if (!rs.next()) {
        return false;
      }
      values = null;
      if (pointer == null) {
        Object[] row = new Object[width];
        for (int i = 0; i < width; i++) {
          row[i] = normalize(rs.getObject(i + 1 + offset));
        }
        values = row;
        return true;
      }
      Object[] r = raw;
      byte[][] t = text;
      int off = offset;
      pointer.safeRunConsume(
          (db, stmt) -> {
            for (int i = 0; i < r.length; i++) {
              int col = i + off; // the native calls count from 0
              t[i] = null;
              switch (db.column_type(stmt, col)) {
                case Codes.SQLITE_INTEGER -> r[i] = db.column_long(stmt, col);
                case Codes.SQLITE_FLOAT -> r[i] = db.column_double(stmt, col);
                case Codes.SQLITE_TEXT -> {
                  byte[] b = utf8 ? db.column_blob(stmt, col) : null;
                  if (b != null && wellFormed(b)) {
                    r[i] = null;
                    t[i] = b;
                  } else {
                    // UTF-16 storage, or bytes that are not UTF-8: decoded as the driver decodes
                    r[i] = b == null ? db.column_text(stmt, col) : new String(b, UTF_8);
                  }
                }
                case Codes.SQLITE_BLOB -> r[i] = db.column_blob(stmt, col);
                default -> r[i] = null;
              }
            }
          });
      return true;
    }

    private static Object normalize(Object value) {
      return value instanceof Integer i ? Long.valueOf(i) : value;
    }

    /**
     * Whether {@code b} is well-formed UTF-8 (no overlong forms, surrogates or values past
     * U+10FFFF): exactly the bytes Java decodes without a replacement character, so copying them
     * writes what decoding and encoding again would.
     */
    static boolean wellFormed(byte[] b) {
      int n = b.length;
      int i = 0;
      while (i < n) {
        int c = b[i];
        if (c >= 0) {
          i++;
          continue;
        }
        c &= 0xFF;
        if (c < 0xC2 || c > 0xF4) {
          return false;
        }
        int len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (i + len > n) {
          return false;
        }
        int c1 = b[i + 1] & 0xFF;
        if ((c1 & 0xC0) != 0x80
            || c == 0xE0 && c1 < 0xA0
            || c == 0xED && c1 >= 0xA0
            || c == 0xF0 && c1 < 0x90
            || c == 0xF4 && c1 >= 0x90) {
          return false;
        }
        for (int k = 2; k < len; k++) {
          if ((b[i + k] & 0xC0) != 0x80) {
            return false;
          }
        }
        i += len;
      }
      return true;
    }

    @Override
    public Object[] values() {
      if (values == null) {
        Object[] row = new Object[width];
        for (int i = 0; i < width; i++) {
          row[i] = value(i);
        }
        values = row;
      }
      return values;
    }

    @Override
    public Object value(int column) {
      if (values != null) {
        return values[column];
      }
      byte[] t = text[column];
      return t != null ? new String(t, UTF_8) : raw[column];
    }

    @Override
    public byte[] utf8(int column) {
      return text[column];
    }

    @Override
    public Class<?> valueClass(int column) {
      if (text[column] != null) {
        return String.class;
      }
      Object v = values != null ? values[column] : raw[column];
      return v == null ? null : v.getClass();
    }

    @Override
    public List<Object> key() throws SQLException {
      List<Object> key = new ArrayList<>(keyIndexes.length);
      for (int index : keyIndexes) {
        key.add(normalize(rs.getObject(index)));
      }
      return key;
    }

    @Override
    public void close() throws SQLException {
      try {
        rs.close();
      } finally {
        statement.close();
      }
    }
  }

  /**
   * The first word or quoted identifier of {@code sql} that names one of {@code names} (keys in
   * lower case), or null. String literals are passed over; a column that shares a left-out table's
   * name counts too, which leaves the object out and says so rather than risking a broken one.
   */
  static String firstName(String sql, Map<String, String> names) {
    if (names.isEmpty()) {
      return null;
    }
    int i = 0;
    int n = sql.length();
    while (i < n) {
      char c = sql.charAt(i);
      if (c == '\'') {
        int j = i + 1;
        while (j < n) {
          if (sql.charAt(j) == '\'') {
            if (j + 1 < n && sql.charAt(j + 1) == '\'') {
              j += 2;
              continue;
            }
            break;
          }
          j++;
        }
        i = j + 1;
      } else if (c == '"' || c == '`' || c == '[') {
        char close = c == '[' ? ']' : c;
        StringBuilder word = new StringBuilder();
        int j = i + 1;
        while (j < n) {
          char d = sql.charAt(j);
          if (d == close) {
            if (close != ']' && j + 1 < n && sql.charAt(j + 1) == close) {
              word.append(d);
              j += 2;
              continue;
            }
            break;
          }
          word.append(d);
          j++;
        }
        String hit = names.get(word.toString().toLowerCase(java.util.Locale.ROOT));
        if (hit != null) {
          return hit;
        }
        i = j + 1;
      } else if (Character.isLetter(c) || c == '_') {
        int j = i + 1;
        while (j < n
            && (Character.isLetterOrDigit(sql.charAt(j))
                || sql.charAt(j) == '_'
                || sql.charAt(j) == '$')) {
          j++;
        }
        String hit = names.get(sql.substring(i, j).toLowerCase(java.util.Locale.ROOT));
        if (hit != null) {
          return hit;
        }
        i = j;
      } else {
        i++;
      }
    }
    return null;
  }
}
