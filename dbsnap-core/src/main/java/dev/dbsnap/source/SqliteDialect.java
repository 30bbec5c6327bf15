package dev.dbsnap.source;

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
    Map<String, MasterRow> userTables = new LinkedHashMap<>();
    for (MasterRow row : master) {
      if (row.type().equals("table")
          && !internal(row.name())
          && row.sql() != null
          && !row.sql().regionMatches(true, 0, "CREATE VIRTUAL", 0, 14)) {
        userTables.put(row.name(), row);
      }
    }
    for (String name : selection.include()) {
      if (!userTables.containsKey(name)) {
        throw new DbsnapException(
            ErrorCode.UNKNOWN_TABLE,
            "table '"
                + name
                + "' does not exist in the SQLite database (it has: "
                + String.join(", ", userTables.keySet())
                + ")");
      }
    }
    List<TableSchema> tables = new ArrayList<>();
    List<String> names = new ArrayList<>(userTables.keySet());
    names.sort(null);
    for (String name : names) {
      if (!selection.selects(null, name)) {
        continue;
      }
      List<String> indexes = new ArrayList<>();
      for (MasterRow row : master) {
        if (row.type().equals("index") && row.table().equals(name) && row.sql() != null) {
          indexes.add(row.sql());
        }
      }
      tables.add(describe(connection, name, userTables.get(name).sql(), indexes));
    }
    List<String> after = new ArrayList<>();
    for (MasterRow row : master) {
      boolean selectedTable = tables.stream().anyMatch(t -> t.name().equals(row.table()));
      // dbsnap_ triggers are change tracking (dev.dbsnap.track): the source's, not the data's
      if ((row.type().equals("view")
              || (row.type().equals("trigger") && selectedTable && !internal(row.name())))
          && row.sql() != null) {
        after.add(row.sql());
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
    String version;
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("SELECT sqlite_version()")) {
      rs.next();
      version = rs.getString(1);
    }
    return new DatabaseSchema(DialectKind.SQLITE, version, List.of(), tables, after);
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
    return new SqliteTableReader(
        ps, ps.executeQuery(), table.columns().size(), extraRowid ? 1 : 0, keyIndexes);
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

  private static final class SqliteTableReader implements TableReader {
    private final PreparedStatement statement;
    private final ResultSet rs;
    private final int width;
    private final int offset;
    private final int[] keyIndexes;
    private Object[] values;

    SqliteTableReader(
        PreparedStatement statement, ResultSet rs, int width, int offset, int[] keyIndexes) {
      this.statement = statement;
      this.rs = rs;
      this.width = width;
      this.offset = offset;
      this.keyIndexes = keyIndexes;
    }

    @Override
    public boolean next() throws SQLException {
      if (!rs.next()) {
        return false;
      }
      Object[] row = new Object[width];
      for (int i = 0; i < width; i++) {
        row[i] = normalize(rs.getObject(i + 1 + offset));
      }
      values = row;
      return true;
    }

    private static Object normalize(Object value) {
      return value instanceof Integer i ? Long.valueOf(i) : value;
    }

    @Override
    public Object[] values() {
      return values;
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
}
