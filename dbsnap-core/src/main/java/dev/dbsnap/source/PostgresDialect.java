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
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.PGStatement;
import org.postgresql.copy.CopyOut;

/**
 * PostgreSQL: one REPEATABLE READ, READ ONLY transaction per run, catalog introspection, keyset
 * reads by primary key.
 *
 * <p>A partitioned table keeps its partitioning ({@link PostgresPartitions}): it holds no rows of
 * its own and is listed in {@link DatabaseSchema#partitioned()}; each leaf partition is a table of
 * its own, exported and resumed like any other.
 */
final class PostgresDialect implements Dialect {
  static final Dialect INSTANCE = new PostgresDialect();

  /** Rows per round trip; large enough to hide latency, small enough for wide rows. */
  private static final int FETCH_SIZE = 2000;

  private static final String SYSTEM_SCHEMA_FILTER =
      "n.nspname NOT IN ('pg_catalog', 'information_schema')"
          + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
          + " AND n.nspname <> 'dbsnap'";

  private PostgresDialect() {}

  @Override
  public DialectKind kind() {
    return DialectKind.POSTGRESQL;
  }

  @Override
  public String quote(String identifier) {
    return quoteIdent(identifier);
  }

  static String quoteIdent(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /** A string literal for the scripts dbsnap writes, which run with standard_conforming_strings. */
  static String quoteLiteral(String text) {
    return '\'' + text.replace("'", "''") + '\'';
  }

  /**
   * A string literal for a query sent to the source, whose session may have
   * standard_conforming_strings off: it reads the same either way.
   */
  private static String queryLiteral(String text) {
    return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'";
  }

  @Override
  public String qualified(TableSchema table) {
    return quoteIdent(table.schema()) + '.' + quoteIdent(table.name());
  }

  @Override
  public void beginSnapshot(Connection connection) throws SQLException {
    if (!connection.getAutoCommit()) {
      connection.rollback();
      connection.setAutoCommit(true);
    }
    try (Statement st = connection.createStatement()) {
      // Session settings, so they outlive the transaction and hold for every statement; one
      // string, so one round trip (a snapshot request's probe pays for each).
      // An empty search_path makes every generated name (format_type, pg_get_expr, ...) qualified.
      st.execute(
          "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';"
              + " SET extra_float_digits = 3; SET bytea_output = 'hex';"
              + " SET synchronize_seqscans = off; SET client_encoding = 'UTF8';"
              + " SELECT pg_catalog.set_config('search_path', '', false)");
    }
    // Also as the connection's defaults, so a transaction begun after a commit keeps the mode.
    connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    connection.setReadOnly(true);
    connection.setAutoCommit(false);
    try (Statement st = connection.createStatement()) {
      // First statement of the transaction: fixes its mode before the snapshot is taken.
      st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      st.execute("SELECT 1");
    }
  }

  @Override
  public String exportSnapshot(Connection connection) throws SQLException {
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_export_snapshot()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** As pg_dump -j: a REPEATABLE READ transaction whose first statement sets the snapshot. */
  @Override
  public void beginSnapshotAt(Connection connection, String snapshotId) throws SQLException {
    if (snapshotId == null) {
      beginSnapshot(connection);
      return;
    }
    beginSnapshot(connection);
    // beginSnapshot took a snapshot of its own: start again in the exported one.
    connection.rollback();
    try (Statement st = connection.createStatement()) {
      st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      st.execute("SET TRANSACTION SNAPSHOT '" + snapshotId.replace("'", "''") + "'");
      st.execute("SELECT 1");
    }
  }

  @Override
  public DatabaseSchema introspect(
      Connection connection, TableSelection selection, SchemaOptions options) throws SQLException {
    return PostgresObjects.complete(
        connection, selection, options, new PostgresIntrospection(connection, selection).run());
  }

  @Override
  public TableReader openReader(Connection connection, TableSchema table, List<Object> afterKey)
      throws SQLException {
    return openReader(connection, table, afterKey, true);
  }

  /** {@link #openReader}; {@code text} false keeps the reader to typed getters (tests compare). */
  TableReader openReader(
      Connection connection, TableSchema table, List<Object> afterKey, boolean text)
      throws SQLException {
    // The rows as COPY streams them, when their text can be handed out as it comes
    boolean copy = text && checksText(connection);
    StringBuilder sql = new StringBuilder("SELECT ");
    List<Column> columns = table.columns();
    for (int i = 0; i < columns.size(); i++) {
      if (i > 0) {
        sql.append(", ");
      }
      sql.append(quoteIdent(columns.get(i).name()));
    }
    // ONLY keeps rows of inheritance children out of their parent.
    sql.append(" FROM ONLY ").append(qualified(table));
    boolean keyed = table.keyKind() == KeyKind.PRIMARY_KEY && !table.primaryKey().isEmpty();
    int[] keyIndexes = new int[keyed ? table.primaryKey().size() : 0];
    if (keyed) {
      List<String> key = table.primaryKey();
      for (int i = 0; i < key.size(); i++) {
        keyIndexes[i] = table.columnIndex(key.get(i));
        if (keyIndexes[i] < 0) {
          throw new IllegalArgumentException(
              "key column " + key.get(i) + " is not a column of " + table.displayName());
        }
      }
      if (afterKey != null) {
        if (afterKey.size() != key.size()) {
          throw new DbsnapException(
              ErrorCode.RESUME_FAILED,
              "key of "
                  + table.displayName()
                  + " has "
                  + key.size()
                  + " columns, the checkpoint holds "
                  + afterKey.size());
        }
        StringBuilder left = new StringBuilder();
        StringBuilder right = new StringBuilder();
        for (int i = 0; i < key.size(); i++) {
          if (i > 0) {
            left.append(", ");
            right.append(", ");
          }
          left.append(quoteIdent(key.get(i)));
          // The key travels as the column's text form; casting it back restores it exactly. COPY
          // takes no parameters, so there it is a literal.
          right
              .append("CAST(")
              .append(copy ? queryLiteral(keyText(afterKey.get(i))) : "?")
              .append(" AS ")
              .append(columns.get(keyIndexes[i]).type())
              .append(')');
        }
        sql.append(" WHERE (").append(left).append(") > (").append(right).append(')');
      }
      sql.append(" ORDER BY ");
      for (int i = 0; i < key.size(); i++) {
        if (i > 0) {
          sql.append(", ");
        }
        sql.append(quoteIdent(key.get(i)));
      }
    } else if (afterKey != null) {
      throw new DbsnapException(
          ErrorCode.RESUME_FAILED,
          "table " + table.displayName() + " has no primary key and cannot resume inside itself");
    }
    if (copy) {
      try (Statement st = connection.createStatement()) {
        st.execute("SAVEPOINT " + PostgresTableReader.SAVEPOINT);
      }
      CopyOut out;
      try {
        out =
            connection
                .unwrap(PGConnection.class)
                .getCopyAPI()
                .copyOut("COPY (" + sql + ") TO STDOUT");
      } catch (SQLException | RuntimeException e) {
        try (Statement st = connection.createStatement()) {
          st.execute("ROLLBACK TO SAVEPOINT " + PostgresTableReader.SAVEPOINT);
        } catch (SQLException again) {
          e.addSuppressed(again);
        }
        throw e;
      }
      return PostgresTableReader.copying(connection, out, columns, keyed ? keyIndexes : null);
    }
    PreparedStatement statement =
        connection.prepareStatement(
            sql.toString(), ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
    try {
      // Never server-prepared, so results stay in text format: getString then returns the
      // server's canonical text (in UTC, ISO), never a driver-side rendering of a binary value.
      statement.unwrap(PGStatement.class).setPrepareThreshold(0);
      statement.setFetchSize(FETCH_SIZE);
      if (keyed && afterKey != null) {
        for (int i = 0; i < afterKey.size(); i++) {
          statement.setString(i + 1, keyText(afterKey.get(i)));
        }
      }
      ResultSet rows = statement.executeQuery();
      return new PostgresTableReader(statement, rows, columns, keyed ? keyIndexes : null);
    } catch (SQLException | RuntimeException e) {
      statement.close();
      throw e;
    }
  }

  /**
   * Whether the server checks that its text is valid in its encoding, so that its bytes (which the
   * driver asks for in UTF-8) are exactly what decoding into a String and encoding it again would
   * give. SQL_ASCII stores whatever bytes it was given and converts nothing.
   */
  private static boolean checksText(Connection connection) throws SQLException {
    String encoding = connection.unwrap(PGConnection.class).getParameterStatus("server_encoding");
    return encoding != null && !encoding.equalsIgnoreCase("SQL_ASCII");
  }

  private static String keyText(Object value) {
    if (value == null) {
      throw new DbsnapException(ErrorCode.RESUME_FAILED, "checkpoint key holds a null");
    }
    if (value instanceof byte[] bytes) {
      StringBuilder hex = new StringBuilder(2 + bytes.length * 2).append("\\x");
      for (byte b : bytes) {
        hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
      }
      return hex.toString();
    }
    if (value instanceof Double d) {
      return d.isNaN() ? "NaN" : d.isInfinite() ? (d > 0 ? "Infinity" : "-Infinity") : d.toString();
    }
    if (value instanceof java.math.BigDecimal d) {
      return d.toPlainString();
    }
    return value.toString();
  }

  /** One introspection run; holds the lookups it builds along the way. */
  private static final class PostgresIntrospection {
    private final Connection connection;
    private final TableSelection selection;

    /** Type oid to its description, loaded on demand. */
    private final Map<Long, TypeInfo> types = new LinkedHashMap<>();

    /** User types to create, dependencies first. */
    private final Map<Long, String> typeStatements = new LinkedHashMap<>();

    private final Set<String> extensions = new TreeSet<>();
    private final Set<String> neededSchemas = new TreeSet<>();

    PostgresIntrospection(Connection connection, TableSelection selection) {
      this.connection = connection;
      this.selection = selection;
    }

    DatabaseSchema run() throws SQLException {
      List<String> schemas = schemas();
      List<TableRow> candidates = tables(schemas);
      PostgresPartitions.rejectNamedPartitions(connection, selection);
      checkIncludes(candidates, schemas);
      List<TableRow> roots = new ArrayList<>();
      for (TableRow t : candidates) {
        if (selection.selects(t.schema, t.name)) {
          roots.add(t);
        }
      }
      // A partitioned table comes whole: its partitions follow it, each after its parent.
      Map<Long, List<PostgresPartitions.Partition>> trees =
          PostgresPartitions.trees(
              connection, roots.stream().filter(t -> t.relkind == 'p').map(t -> t.oid).toList());
      Map<Long, PostgresPartitions.Partition> partitions = new LinkedHashMap<>();
      List<TableRow> selected = new ArrayList<>();
      for (TableRow t : roots) {
        selected.add(t);
        for (PostgresPartitions.Partition p : trees.getOrDefault(t.oid, List.of())) {
          partitions.put(p.oid(), p);
          selected.add(new TableRow(p.oid(), p.schema(), p.name(), p.relkind(), p.rowEstimate()));
        }
      }
      Map<Long, TableRow> byOid = new LinkedHashMap<>();
      for (TableRow t : selected) {
        byOid.put(t.oid, t);
        neededSchemas.add(t.schema);
      }
      String oidArray = oidArray(byOid.keySet());
      Map<Long, List<ColumnRow>> columns = columns(oidArray);
      Map<Long, PrimaryKey> primaryKeys = primaryKeys(oidArray);
      Map<Long, List<String>> constraints = constraints(oidArray, byOid.keySet());
      Map<Long, List<String>> indexes = indexes(oidArray);
      PostgresPartitions.indexAttachments(connection, byOid.keySet())
          .forEach((oid, s) -> indexes.computeIfAbsent(oid, k -> new ArrayList<>()).addAll(s));
      Map<Long, List<String>> columnDifferences =
          PostgresPartitions.columnDifferences(connection, partitions.keySet());
      Map<Long, String> partitionKeys =
          PostgresPartitions.partitionKeys(
              connection, selected.stream().filter(t -> t.relkind == 'p').map(t -> t.oid).toList());
      List<SequenceRow> sequences = sequences(oidArray, byOid);

      List<TableSchema> tables = new ArrayList<>();
      List<TableSchema> partitioned = new ArrayList<>();
      for (TableRow t : selected) {
        List<ColumnRow> cols = columns.getOrDefault(t.oid, List.of());
        if (cols.isEmpty()) {
          continue; // a table without columns has no data to export
        }
        List<Column> out = new ArrayList<>(cols.size());
        for (ColumnRow c : cols) {
          out.add(
              new Column(
                  c.name,
                  c.type,
                  kindOf(c.typeOid),
                  !c.notNull,
                  c.generated || c.identity != 0 ? null : c.defaultExpr,
                  c.generated));
          requireType(c.typeOid);
        }
        PrimaryKey pk = primaryKeys.get(t.oid);
        Map<String, SequenceRow> identitySequences = new LinkedHashMap<>();
        for (SequenceRow s : sequences) {
          if (s.identity && s.ownerOid == t.oid) {
            identitySequences.put(s.ownerColumn, s);
          }
        }
        String create;
        List<String> tableConstraints =
            new ArrayList<>(columnDifferences.getOrDefault(t.oid, List.of()));
        PostgresPartitions.Partition partition = partitions.get(t.oid);
        String partitionKey = partitionKeys.get(t.oid);
        if (t.relkind == 'p' && pk != null) {
          // As pg_dump: the key of a partitioned table is added to it alone after the data, and
          // its partitions' keys are attached to it.
          tableConstraints.add(
              0,
              "ALTER TABLE ONLY "
                  + quoteIdent(t.schema)
                  + '.'
                  + quoteIdent(t.name)
                  + " ADD CONSTRAINT "
                  + quoteIdent(pk.name)
                  + ' '
                  + pk.definition);
        }
        if (partition != null) {
          TableRow parent = byOid.get(partition.parent());
          boolean leafKey = t.relkind != 'p' && pk != null;
          create =
              PostgresPartitions.createPartition(
                  quoteIdent(t.schema) + '.' + quoteIdent(t.name),
                  quoteIdent(parent.schema) + '.' + quoteIdent(parent.name),
                  leafKey ? pk.name : null,
                  leafKey ? pk.definition : null,
                  partition.bound(),
                  partitionKey);
        } else if (partitionKey != null) {
          create = createTable(t, cols, null, identitySequences) + "\nPARTITION BY " + partitionKey;
        } else {
          create = createTable(t, cols, pk, identitySequences);
        }
        tableConstraints.addAll(constraints.getOrDefault(t.oid, List.of()));
        (t.relkind == 'p' ? partitioned : tables)
            .add(
                new TableSchema(
                    t.schema,
                    t.name,
                    out,
                    pk == null ? List.of() : pk.columns,
                    pk == null ? KeyKind.NONE : KeyKind.PRIMARY_KEY,
                    create,
                    tableConstraints,
                    indexes.getOrDefault(t.oid, List.of()),
                    t.rowEstimate));
      }

      List<String> after = new ArrayList<>();
      List<String> sequenceStatements = new ArrayList<>();
      for (SequenceRow s : sequences) {
        neededSchemas.add(s.schema);
        String name = quoteIdent(s.schema) + '.' + quoteIdent(s.name);
        if (!s.identity) {
          sequenceStatements.add(
              "CREATE SEQUENCE "
                  + name
                  + " AS "
                  + s.type
                  + sequenceOptions(s)
                  + (s.cycle ? " CYCLE" : ""));
        }
        after.add(
            "SELECT pg_catalog.setval("
                + quoteLiteral(name)
                + ", "
                + s.lastValue
                + ", "
                + s.isCalled
                + ")");
        if (!s.identity && s.ownerOid != 0 && byOid.containsKey(s.ownerOid)) {
          TableRow owner = byOid.get(s.ownerOid);
          after.add(
              "ALTER SEQUENCE "
                  + name
                  + " OWNED BY "
                  + quoteIdent(owner.schema)
                  + '.'
                  + quoteIdent(owner.name)
                  + '.'
                  + quoteIdent(s.ownerColumn));
        }
      }
      for (TableSchema t : tables) {
        for (ColumnRow c : columns.get(tableOid(byOid, t))) {
          if (c.identity == 'a') {
            after.add(
                "ALTER TABLE ONLY "
                    + quoteIdent(t.schema())
                    + '.'
                    + quoteIdent(t.name())
                    + " ALTER COLUMN "
                    + quoteIdent(c.name)
                    + " SET GENERATED ALWAYS");
          }
        }
      }

      List<String> before = new ArrayList<>();
      for (String schema : neededSchemas) {
        if (!schema.equals("public")) {
          before.add("CREATE SCHEMA IF NOT EXISTS " + quoteIdent(schema));
        }
      }
      for (String ext : extensions) {
        before.add(ext);
      }
      before.addAll(typeStatements.values());
      before.addAll(sequenceStatements);
      return new DatabaseSchema(
          DialectKind.POSTGRESQL, serverVersion(), before, tables, after, List.of(), partitioned);
    }

    private static long tableOid(Map<Long, TableRow> byOid, TableSchema table) {
      for (TableRow t : byOid.values()) {
        if (t.schema.equals(table.schema()) && t.name.equals(table.name())) {
          return t.oid;
        }
      }
      throw new IllegalStateException("no oid for " + table.displayName());
    }

    private String serverVersion() throws SQLException {
      try (Statement st = connection.createStatement();
          ResultSet rs = st.executeQuery("SHOW server_version")) {
        rs.next();
        return rs.getString(1);
      }
    }

    private List<String> schemas() throws SQLException {
      List<String> all = new ArrayList<>();
      try (Statement st = connection.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE "
                      + SYSTEM_SCHEMA_FILTER
                      + " ORDER BY n.nspname COLLATE \"C\"")) {
        while (rs.next()) {
          all.add(rs.getString(1));
        }
      }
      if (selection.schemas().isEmpty()) {
        return all;
      }
      for (String s : selection.schemas()) {
        if (!all.contains(s)) {
          throw new DbsnapException(
              ErrorCode.INVALID_ARGUMENT,
              "schema '" + s + "' does not exist; schemas: " + String.join(", ", all));
        }
      }
      return selection.schemas();
    }

    private List<TableRow> tables(List<String> schemas) throws SQLException {
      List<TableRow> out = new ArrayList<>();
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT c.oid, n.nspname, c.relname, c.relkind,"
                  + " CASE WHEN c.relkind = 'p' THEN coalesce((SELECT sum(l.reltuples) FROM"
                  + "   pg_catalog.pg_partition_tree(c.oid) pt JOIN pg_catalog.pg_class l ON l.oid = pt.relid"
                  + "   WHERE pt.isleaf AND l.reltuples >= 0), -1) ELSE c.reltuples END"
                  + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                  + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY (?)"
                  + " ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"")) {
        st.setArray(1, connection.createArrayOf("text", schemas.toArray()));
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            String name = rs.getString(3);
            if (name.startsWith("dbsnap_")) {
              continue; // dbsnap's own bookkeeping tables
            }
            double estimate = rs.getDouble(5);
            out.add(
                new TableRow(
                    rs.getLong(1),
                    rs.getString(2),
                    name,
                    rs.getString(4).charAt(0),
                    estimate < 0 ? -1 : (long) estimate));
          }
        }
      }
      return out;
    }

    private void checkIncludes(List<TableRow> candidates, List<String> schemas) {
      for (String include : selection.include()) {
        boolean found = false;
        for (TableRow t : candidates) {
          if (include.equals(t.name) || include.equals(t.schema + "." + t.name)) {
            found = true;
            break;
          }
        }
        if (!found) {
          String where =
              schemas.size() == 1
                  ? "schema " + schemas.get(0)
                  : "schemas " + String.join(", ", schemas);
          String message = "table '" + include + "' does not exist in " + where;
          if (candidates.isEmpty()) {
            message += " (which hold no tables)";
          } else if (candidates.size() <= 20) {
            message +=
                "; tables: "
                    + candidates.stream()
                        .map(t -> t.schema.equals("public") ? t.name : t.schema + "." + t.name)
                        .collect(Collectors.joining(", "));
          }
          throw new DbsnapException(ErrorCode.UNKNOWN_TABLE, message);
        }
      }
    }

    private static String oidArray(Iterable<Long> oids) {
      StringBuilder sb = new StringBuilder("{");
      for (Long oid : oids) {
        if (sb.length() > 1) {
          sb.append(',');
        }
        sb.append(oid);
      }
      return sb.append('}').toString();
    }

    private Map<Long, List<ColumnRow>> columns(String oidArray) throws SQLException {
      Map<Long, List<ColumnRow>> out = new LinkedHashMap<>();
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,"
                  + " pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attgenerated = 's', a.attidentity, a.atttypid,"
                  + " CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN"
                  + "   pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END"
                  + " FROM pg_catalog.pg_attribute a"
                  + " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
                  + " LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                  + " LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation"
                  + " LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
                  + " WHERE a.attrelid = ANY (CAST(? AS pg_catalog.oid[])) AND a.attnum > 0 AND NOT a.attisdropped"
                  + " ORDER BY a.attrelid, a.attnum")) {
        st.setString(1, oidArray);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            String identity = rs.getString(7);
            out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                .add(
                    new ColumnRow(
                        rs.getString(2),
                        rs.getString(3),
                        rs.getBoolean(4),
                        rs.getString(5),
                        rs.getBoolean(6),
                        identity == null || identity.isEmpty() ? 0 : identity.charAt(0),
                        rs.getLong(8),
                        rs.getString(9)));
          }
        }
      }
      return out;
    }

    private Map<Long, PrimaryKey> primaryKeys(String oidArray) throws SQLException {
      Map<Long, PrimaryKey> out = new LinkedHashMap<>();
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT con.conrelid, con.conname, pg_catalog.pg_get_constraintdef(con.oid), a.attname"
                  + " FROM pg_catalog.pg_constraint con"
                  + " CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY k(attnum, ord)"
                  + " JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum"
                  + " WHERE con.contype = 'p' AND con.conrelid = ANY (CAST(? AS pg_catalog.oid[]))"
                  + " ORDER BY con.conrelid, k.ord")) {
        st.setString(1, oidArray);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            long oid = rs.getLong(1);
            PrimaryKey pk = out.get(oid);
            if (pk == null) {
              pk = new PrimaryKey(rs.getString(2), rs.getString(3), new ArrayList<>());
              out.put(oid, pk);
            }
            pk.columns.add(rs.getString(4));
          }
        }
      }
      return out;
    }

    /**
     * Unique, check and exclusion constraints, then foreign keys. A foreign key to a table that is
     * not exported is left out: its rows would not be there to satisfy it.
     */
    private Map<Long, List<String>> constraints(String oidArray, Set<Long> selected)
        throws SQLException {
      Map<Long, List<String>> out = new LinkedHashMap<>();
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT con.conrelid, n.nspname, c.relname, con.conname, con.contype, con.confrelid,"
                  + " pg_catalog.pg_get_constraintdef(con.oid), c.relkind, c.relispartition,"
                  + " con.conparentid <> 0, con.conislocal AND con.coninhcount = 0"
                  + " FROM pg_catalog.pg_constraint con"
                  + " JOIN pg_catalog.pg_class c ON c.oid = con.conrelid"
                  + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                  + " WHERE con.contype IN ('u', 'c', 'x', 'f') AND con.conrelid = ANY (CAST(? AS pg_catalog.oid[]))"
                  + " ORDER BY con.conrelid, con.contype = 'f', con.conname COLLATE \"C\"")) {
        st.setString(1, oidArray);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            String type = rs.getString(5);
            if (type.equals("f") && !selected.contains(rs.getLong(6))) {
              continue;
            }
            // A foreign key of or to a partitioned table is cloned for each partition, and a
            // partition inherits its parent's checks: both come back with the parent's.
            if ((type.equals("f") && rs.getBoolean(10))
                || (type.equals("c") && rs.getBoolean(9) && !rs.getBoolean(11))) {
              continue;
            }
            // ONLY is refused for a check or foreign key on a partitioned table.
            boolean recurse = rs.getString(8).equals("p") && (type.equals("c") || type.equals("f"));
            out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                .add(
                    (recurse ? "ALTER TABLE " : "ALTER TABLE ONLY ")
                        + quoteIdent(rs.getString(2))
                        + '.'
                        + quoteIdent(rs.getString(3))
                        + " ADD CONSTRAINT "
                        + quoteIdent(rs.getString(4))
                        + ' '
                        + rs.getString(7));
          }
        }
      }
      return out;
    }

    private Map<Long, List<String>> indexes(String oidArray) throws SQLException {
      Map<Long, List<String>> out = new LinkedHashMap<>();
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT i.indrelid, pg_catalog.pg_get_indexdef(i.indexrelid)"
                  + " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
                  + " WHERE i.indrelid = ANY (CAST(? AS pg_catalog.oid[]))"
                  + " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conrelid = i.indrelid"
                  + "   AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))"
                  + " ORDER BY i.indrelid, ic.relname COLLATE \"C\"")) {
        st.setString(1, oidArray);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            // A partitioned table's index reads "ON ONLY": its partitions' indexes are attached.
            out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>()).add(rs.getString(2));
          }
        }
      }
      return out;
    }

    /** Sequences owned by a selected table's column or used by one of their defaults. */
    private List<SequenceRow> sequences(String oidArray, Map<Long, TableRow> selected)
        throws SQLException {
      List<SequenceRow> out = new ArrayList<>();
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT s.seqrelid, n.nspname, c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart,"
                  + " s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, o.refobjid, o.attname, o.deptype"
                  + " FROM pg_catalog.pg_sequence s"
                  + " JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid"
                  + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                  + " LEFT JOIN LATERAL (SELECT d.refobjid, a.attname, d.deptype FROM pg_catalog.pg_depend d"
                  + "   JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
                  + "   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.seqrelid"
                  + "   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')"
                  + "   LIMIT 1) o ON true"
                  + " WHERE o.refobjid = ANY (CAST(? AS pg_catalog.oid[])) OR s.seqrelid IN ("
                  + "   SELECT d.refobjid FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_depend d"
                  + "   ON d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND d.objid = ad.oid"
                  + "   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
                  + "   WHERE ad.adrelid = ANY (CAST(? AS pg_catalog.oid[])))"
                  + " ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"")) {
        st.setString(1, oidArray);
        st.setString(2, oidArray);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            String deptype = rs.getString(13);
            long owner = rs.getLong(11);
            // An identity sequence comes with its table, so only when that table is exported.
            boolean identity = "i".equals(deptype) && selected.containsKey(owner);
            out.add(
                new SequenceRow(
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getLong(5),
                    rs.getLong(6),
                    rs.getLong(7),
                    rs.getLong(8),
                    rs.getLong(9),
                    rs.getBoolean(10),
                    selected.containsKey(owner) ? owner : 0,
                    rs.getString(12),
                    identity));
          }
        }
      }
      for (SequenceRow s : out) {
        // The live value is in the sequence relation itself; the catalog holds only its options.
        try (Statement st = connection.createStatement();
            ResultSet rs =
                st.executeQuery(
                    "SELECT last_value, is_called FROM "
                        + quoteIdent(s.schema)
                        + '.'
                        + quoteIdent(s.name))) {
          rs.next();
          s.lastValue = rs.getLong(1);
          s.isCalled = rs.getBoolean(2);
        }
      }
      return out;
    }

    private static String sequenceOptions(SequenceRow s) {
      return " INCREMENT BY "
          + s.increment
          + " MINVALUE "
          + s.min
          + " MAXVALUE "
          + s.max
          + " START WITH "
          + s.start
          + " CACHE "
          + s.cache;
    }

    private static String createTable(
        TableRow t,
        List<ColumnRow> cols,
        PrimaryKey pk,
        Map<String, SequenceRow> identitySequences) {
      StringBuilder sql =
          new StringBuilder("CREATE TABLE ")
              .append(quoteIdent(t.schema))
              .append('.')
              .append(quoteIdent(t.name))
              .append(" (");
      boolean first = true;
      for (ColumnRow c : cols) {
        sql.append(first ? "\n  " : ",\n  ");
        first = false;
        sql.append(quoteIdent(c.name)).append(' ').append(c.type);
        if (c.collation != null) {
          sql.append(" COLLATE ").append(c.collation);
        }
        if (c.generated) {
          sql.append(" GENERATED ALWAYS AS (").append(c.defaultExpr).append(") STORED");
        } else if (c.identity != 0) {
          // Always BY DEFAULT here, so a plain INSERT can load the exported values; an ALWAYS
          // column gets its mode back from a statement in DatabaseSchema.after.
          sql.append(" GENERATED BY DEFAULT AS IDENTITY");
          SequenceRow s = identitySequences.get(c.name);
          if (s != null) {
            // Naming the sequence keeps it where the after-data setval looks for it.
            sql.append(" (SEQUENCE NAME ")
                .append(quoteIdent(s.schema))
                .append('.')
                .append(quoteIdent(s.name))
                .append(sequenceOptions(s))
                .append(s.cycle ? " CYCLE" : "")
                .append(')');
          }
        } else if (c.defaultExpr != null) {
          sql.append(" DEFAULT ").append(c.defaultExpr);
        }
        if (c.notNull) {
          sql.append(" NOT NULL");
        }
      }
      if (pk != null) {
        sql.append(",\n  CONSTRAINT ")
            .append(quoteIdent(pk.name))
            .append(' ')
            .append(pk.definition);
      }
      return sql.append("\n)").toString();
    }

    private ValueKind kindOf(long typeOid) throws SQLException {
      TypeInfo t = type(typeOid);
      while (t.kind == 'd') {
        t = type(t.baseType);
      }
      return switch ((int) t.oid) {
        case 20, 21, 23, 26 -> ValueKind.INTEGER;
        case 1700 -> ValueKind.DECIMAL;
        case 700, 701 -> ValueKind.FLOAT;
        case 16 -> ValueKind.BOOLEAN;
        case 25, 1043, 1042, 19 -> ValueKind.TEXT;
        case 17 -> ValueKind.BYTES;
        case 114, 3802 -> ValueKind.JSON;
        default -> t.name.equals("citext") ? ValueKind.TEXT : ValueKind.OTHER;
      };
    }

    private TypeInfo type(long oid) throws SQLException {
      TypeInfo cached = types.get(oid);
      if (cached != null) {
        return cached;
      }
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT t.typname, n.nspname, t.typtype, t.typbasetype, t.typelem, t.typcategory,"
                  + " pg_catalog.format_type(t.oid, NULL), t.typrelid,"
                  + " (SELECT e.extname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid"
                  + "  WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objid = t.oid"
                  + "  AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e' LIMIT 1)"
                  + " FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
                  + " WHERE t.oid = ?")) {
        st.setLong(1, oid);
        try (ResultSet rs = st.executeQuery()) {
          if (!rs.next()) {
            throw new SQLException("type " + oid + " vanished during introspection");
          }
          TypeInfo t =
              new TypeInfo(
                  oid,
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3).charAt(0),
                  rs.getLong(4),
                  rs.getLong(5),
                  rs.getString(6).charAt(0),
                  rs.getString(7),
                  rs.getLong(8),
                  rs.getString(9));
          types.put(oid, t);
          return t;
        }
      }
    }

    /** Records the statements that create a user type and what it builds on, dependencies first. */
    private void requireType(long oid) throws SQLException {
      if (oid == 0 || typeStatements.containsKey(oid)) {
        return;
      }
      TypeInfo t = type(oid);
      if (t.schema.equals("pg_catalog") || t.schema.equals("information_schema")) {
        return;
      }
      if (t.category == 'A' && t.elem != 0) {
        requireType(t.elem);
        return;
      }
      if (t.extension != null) {
        neededSchemas.add(t.schema);
        extensions.add(
            "CREATE EXTENSION IF NOT EXISTS "
                + quoteIdent(t.extension)
                + " WITH SCHEMA "
                + quoteIdent(t.schema));
        return;
      }
      typeStatements.put(oid, null); // guards against cycles while the dependencies are visited
      String name = quoteIdent(t.schema) + '.' + quoteIdent(t.name);
      String statement =
          switch (t.kind) {
            case 'e' -> enumStatement(oid, name);
            case 'd' -> {
              requireType(t.baseType);
              yield domainStatement(oid, name);
            }
            case 'c' -> compositeStatement(t, name);
            default -> null; // ranges and base types need functions dbsnap does not export
          };
      if (statement == null) {
        typeStatements.remove(oid);
        return;
      }
      typeStatements.remove(oid);
      typeStatements.put(oid, statement);
      neededSchemas.add(t.schema);
    }

    private String enumStatement(long oid, String name) throws SQLException {
      List<String> labels = new ArrayList<>();
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = ? ORDER BY enumsortorder")) {
        st.setLong(1, oid);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            labels.add(quoteLiteral(rs.getString(1)));
          }
        }
      }
      return "CREATE TYPE " + name + " AS ENUM (" + String.join(", ", labels) + ")";
    }

    private String domainStatement(long oid, String name) throws SQLException {
      StringBuilder sql = new StringBuilder("CREATE DOMAIN ").append(name).append(" AS ");
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull,"
                  + " pg_catalog.pg_get_expr(t.typdefaultbin, 0),"
                  + " CASE WHEN t.typcollation <> b.typcollation AND t.typcollation <> 0 THEN"
                  + "   pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END"
                  + " FROM pg_catalog.pg_type t JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype"
                  + " LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation"
                  + " LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
                  + " WHERE t.oid = ?")) {
        st.setLong(1, oid);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          sql.append(rs.getString(1));
          if (rs.getString(4) != null) {
            sql.append(" COLLATE ").append(rs.getString(4));
          }
          if (rs.getString(3) != null) {
            sql.append(" DEFAULT ").append(rs.getString(3));
          }
          if (rs.getBoolean(2)) {
            sql.append(" NOT NULL");
          }
        }
      }
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint"
                  + " WHERE contypid = ? AND contype = 'c' ORDER BY conname COLLATE \"C\"")) {
        st.setLong(1, oid);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            sql.append(" CONSTRAINT ")
                .append(quoteIdent(rs.getString(1)))
                .append(' ')
                .append(rs.getString(2));
          }
        }
      }
      return sql.toString();
    }

    private String compositeStatement(TypeInfo t, String name) throws SQLException {
      if (t.relid == 0) {
        return null;
      }
      // A table's row type comes with its table; only free-standing composite types are created.
      List<String> attributes = new ArrayList<>();
      List<Long> attributeTypes = new ArrayList<>();
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT c.relkind, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid"
                  + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid"
                  + " WHERE c.oid = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
        st.setLong(1, t.relid);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            if (!rs.getString(1).equals("c")) {
              return null;
            }
            attributes.add(quoteIdent(rs.getString(2)) + ' ' + rs.getString(3));
            attributeTypes.add(rs.getLong(4));
          }
        }
      }
      for (long attributeType : attributeTypes) {
        requireType(attributeType);
      }
      return "CREATE TYPE " + name + " AS (" + String.join(", ", attributes) + ")";
    }
  }

  private record TableRow(long oid, String schema, String name, char relkind, long rowEstimate) {}

  private record ColumnRow(
      String name,
      String type,
      boolean notNull,
      String defaultExpr,
      boolean generated,
      char identity,
      long typeOid,
      String collation) {}

  private record PrimaryKey(String name, String definition, List<String> columns) {}

  private record TypeInfo(
      long oid,
      String name,
      String schema,
      char kind,
      long baseType,
      long elem,
      char category,
      String formatted,
      long relid,
      String extension) {}

  private static final class SequenceRow {
    final String schema;
    final String name;
    final String type;
    final long start;
    final long increment;
    final long min;
    final long max;
    final long cache;
    final boolean cycle;
    final long ownerOid;
    final String ownerColumn;
    final boolean identity;
    long lastValue;
    boolean isCalled;

    SequenceRow(
        String schema,
        String name,
        String type,
        long start,
        long increment,
        long min,
        long max,
        long cache,
        boolean cycle,
        long ownerOid,
        String ownerColumn,
        boolean identity) {
      this.schema = schema;
      this.name = name;
      this.type = type;
      this.start = start;
      this.increment = increment;
      this.min = min;
      this.max = max;
      this.cache = cache;
      this.cycle = cycle;
      this.ownerOid = ownerOid;
      this.ownerColumn = ownerColumn;
      this.identity = identity;
    }
  }
}
