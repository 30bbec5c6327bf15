package dev.dbsnap.source;

import static dev.dbsnap.source.PostgresDialect.quoteIdent;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PostgreSQL declarative partitioning as the catalog describes it, turned into the statements
 * pg_dump would write: a partitioned table is created with its {@code PARTITION BY}, each partition
 * as {@code PARTITION OF} its parent with its bound, and an index of a partition is attached to its
 * parent's index. A partitioned table is always exported whole: selecting one partition alone is
 * refused.
 */
final class PostgresPartitions {
  private PostgresPartitions() {}

  /**
   * A partition of an exported partitioned table.
   *
   * @param relkind {@code r} for a leaf holding rows, {@code p} for a partition partitioned again
   * @param parent the oid of the table it is a partition of
   * @param bound its bound as written after {@code FOR VALUES}, or {@code DEFAULT}
   */
  record Partition(
      long oid,
      String schema,
      String name,
      char relkind,
      long parent,
      String bound,
      long rowEstimate) {}

  /**
   * Refuses a selection that names a partition (to include or exclude): a partitioned table is
   * exported whole, through its root.
   *
   * @throws DbsnapException INVALID_ARGUMENT naming the partition and the table to select instead
   */
  static void rejectNamedPartitions(Connection connection, TableSelection selection)
      throws SQLException {
    if (selection.include().isEmpty() && selection.exclude().isEmpty()) {
      return;
    }
    try (PreparedStatement st =
            connection.prepareStatement(
                "SELECT n.nspname, c.relname, rn.nspname, r.relname"
                    + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                    + " JOIN pg_catalog.pg_class r ON r.oid = pg_catalog.pg_partition_root(c.oid)"
                    + " JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace"
                    + " WHERE c.relispartition AND c.relkind IN ('r', 'p', 'f')"
                    + " ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"");
        ResultSet rs = st.executeQuery()) {
      TableSelection includes = new TableSelection(List.of(), List.of(), selection.include());
      TableSelection excludes = new TableSelection(List.of(), List.of(), selection.exclude());
      while (rs.next()) {
        String schema = rs.getString(1);
        String name = rs.getString(2);
        String root = display(rs.getString(3), rs.getString(4));
        String partition = display(schema, name);
        // A TableSelection whose exclude list holds the names selects a table none of them names.
        if (!includes.selects(schema, name)) {
          throw new DbsnapException(
              ErrorCode.INVALID_ARGUMENT,
              "table '"
                  + partition
                  + "' is a partition of '"
                  + root
                  + "' and cannot be exported alone; select '"
                  + root
                  + "', which is exported with all its partitions");
        }
        if (!excludes.selects(schema, name)) {
          throw new DbsnapException(
              ErrorCode.INVALID_ARGUMENT,
              "table '"
                  + partition
                  + "' is a partition of '"
                  + root
                  + "' and cannot be left out alone; exclude '"
                  + root
                  + "' to leave out the whole partitioned table");
        }
      }
    }
  }

  private static String display(String schema, String name) {
    return schema.equals("public") ? name : schema + "." + name;
  }

  /**
   * Every partition below the given partitioned tables, each after the table it is a partition of.
   *
   * @return per root oid, its partitions by level, then schema and name
   * @throws DbsnapException UNSUPPORTED_OBJECT for a partition that is a foreign table
   */
  static Map<Long, List<Partition>> trees(Connection connection, Collection<Long> roots)
      throws SQLException {
    Map<Long, List<Partition>> out = new LinkedHashMap<>();
    if (roots.isEmpty()) {
      return out;
    }
    try (PreparedStatement st =
        connection.prepareStatement(
            "SELECT r.oid, c.oid, n.nspname, c.relname, c.relkind, CAST(pt.parentrelid AS pg_catalog.oid),"
                + " pg_catalog.pg_get_expr(c.relpartbound, c.oid), c.reltuples"
                + " FROM unnest(CAST(? AS pg_catalog.oid[])) r(oid)"
                + " CROSS JOIN LATERAL pg_catalog.pg_partition_tree(r.oid) pt"
                + " JOIN pg_catalog.pg_class c ON c.oid = pt.relid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE pt.level > 0"
                + " ORDER BY r.oid, pt.level, n.nspname COLLATE \"C\", c.relname COLLATE \"C\"")) {
      st.setString(1, oidArray(roots));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          char relkind = rs.getString(5).charAt(0);
          String name = display(rs.getString(3), rs.getString(4));
          if (relkind != 'r' && relkind != 'p') {
            throw new DbsnapException(
                ErrorCode.UNSUPPORTED_OBJECT,
                "partition "
                    + name
                    + " is a "
                    + (relkind == 'f' ? "foreign table" : "relation of kind " + relkind)
                    + ", whose rows dbsnap cannot export; exclude its partitioned table");
          }
          String bound = rs.getString(7);
          if (bound == null || !(bound.startsWith("FOR VALUES ") || bound.equals("DEFAULT"))) {
            throw new SQLException("partition " + name + " has no readable bound: " + bound);
          }
          double estimate = rs.getDouble(8);
          out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
              .add(
                  new Partition(
                      rs.getLong(2),
                      rs.getString(3),
                      rs.getString(4),
                      relkind,
                      rs.getLong(6),
                      bound,
                      estimate < 0 ? -1 : (long) estimate));
        }
      }
    }
    return out;
  }

  /** The {@code PARTITION BY} clause of each of the given partitioned tables. */
  static Map<Long, String> partitionKeys(Connection connection, Collection<Long> oids)
      throws SQLException {
    Map<Long, String> out = new LinkedHashMap<>();
    if (oids.isEmpty()) {
      return out;
    }
    try (PreparedStatement st =
        connection.prepareStatement(
            "SELECT c.oid, pg_catalog.pg_get_partkeydef(c.oid) FROM pg_catalog.pg_class c"
                + " WHERE c.oid = ANY (CAST(? AS pg_catalog.oid[])) AND c.relkind = 'p'")) {
      st.setString(1, oidArray(oids));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getLong(1), rs.getString(2));
        }
      }
    }
    return out;
  }

  /**
   * {@code CREATE TABLE name PARTITION OF parent [(CONSTRAINT pk ...)] bound [PARTITION BY key]}:
   * the columns come from the parent; a leaf's primary key is created with it, so its rows load
   * into a keyed table, and is attached to the parent's key after the data.
   */
  static String createPartition(
      String qualified,
      String qualifiedParent,
      String primaryKeyName,
      String primaryKeyDefinition,
      String bound,
      String partitionKey) {
    StringBuilder sql =
        new StringBuilder("CREATE TABLE ")
            .append(qualified)
            .append(" PARTITION OF ")
            .append(qualifiedParent);
    if (primaryKeyName != null) {
      sql.append(" (\n  CONSTRAINT ")
          .append(quoteIdent(primaryKeyName))
          .append(' ')
          .append(primaryKeyDefinition)
          .append("\n)");
    }
    sql.append('\n').append(bound);
    if (partitionKey != null) {
      sql.append("\nPARTITION BY ").append(partitionKey);
    }
    return sql.toString();
  }

  /**
   * Where a partition's columns differ from its parent's, which {@code PARTITION OF} copies: a NOT
   * NULL of its own and a default of its own (or none where the parent has one). Run after the
   * data, ahead of the partition's constraints.
   *
   * @return per partition oid, the {@code ALTER TABLE} statements
   */
  static Map<Long, List<String>> columnDifferences(Connection connection, Collection<Long> oids)
      throws SQLException {
    Map<Long, List<String>> out = new LinkedHashMap<>();
    if (oids.isEmpty()) {
      return out;
    }
    try (PreparedStatement st =
        connection.prepareStatement(
            "SELECT c.oid, n.nspname, c.relname, c.relkind, a.attname, a.attnotnull AND NOT pa.attnotnull,"
                + " pg_catalog.pg_get_expr(d.adbin, d.adrelid), pg_catalog.pg_get_expr(pd.adbin, pd.adrelid)"
                + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " JOIN pg_catalog.pg_inherits h ON h.inhrelid = c.oid"
                + " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
                + " JOIN pg_catalog.pg_attribute pa ON pa.attrelid = h.inhparent AND pa.attname = a.attname"
                + " LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                + " LEFT JOIN pg_catalog.pg_attrdef pd ON pd.adrelid = pa.attrelid AND pd.adnum = pa.attnum"
                + " WHERE c.oid = ANY (CAST(? AS pg_catalog.oid[])) AND c.relispartition"
                + " AND a.attgenerated = '' AND a.attidentity = ''"
                + " ORDER BY c.oid, a.attnum")) {
      st.setString(1, oidArray(oids));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          String table = quoteIdent(rs.getString(2)) + '.' + quoteIdent(rs.getString(3));
          boolean partitioned = rs.getString(4).equals("p");
          String column = quoteIdent(rs.getString(5));
          List<String> statements = out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>());
          if (rs.getBoolean(6)) {
            // ONLY is refused for a NOT NULL on a table with partitions; they share it anyway.
            statements.add(
                (partitioned ? "ALTER TABLE " : "ALTER TABLE ONLY ")
                    + table
                    + " ALTER COLUMN "
                    + column
                    + " SET NOT NULL");
          }
          String own = rs.getString(7);
          String inherited = rs.getString(8);
          if (own != null && !own.equals(inherited)) {
            statements.add(
                "ALTER TABLE ONLY " + table + " ALTER COLUMN " + column + " SET DEFAULT " + own);
          } else if (own == null && inherited != null) {
            statements.add(
                "ALTER TABLE ONLY " + table + " ALTER COLUMN " + column + " DROP DEFAULT");
          }
        }
      }
    }
    return out;
  }

  /**
   * {@code ALTER INDEX parent ATTACH PARTITION child} for every index of the given tables that
   * belongs to an index of the table they are a partition of, as pg_dump writes it; key indexes
   * included.
   *
   * @return per table oid (the child index's table), the statements
   */
  static Map<Long, List<String>> indexAttachments(Connection connection, Collection<Long> oids)
      throws SQLException {
    Map<Long, List<String>> out = new LinkedHashMap<>();
    if (oids.isEmpty()) {
      return out;
    }
    try (PreparedStatement st =
        connection.prepareStatement(
            "SELECT i.indrelid, pn.nspname, p.relname, cn.nspname, c.relname"
                + " FROM pg_catalog.pg_inherits h"
                + " JOIN pg_catalog.pg_index i ON i.indexrelid = h.inhrelid"
                + " JOIN pg_catalog.pg_class c ON c.oid = h.inhrelid"
                + " JOIN pg_catalog.pg_namespace cn ON cn.oid = c.relnamespace"
                + " JOIN pg_catalog.pg_class p ON p.oid = h.inhparent"
                + " JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace"
                + " WHERE i.indrelid = ANY (CAST(? AS pg_catalog.oid[]))"
                + " ORDER BY i.indrelid, c.relname COLLATE \"C\"")) {
      st.setString(1, oidArray(oids));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
              .add(
                  "ALTER INDEX "
                      + quoteIdent(rs.getString(2))
                      + '.'
                      + quoteIdent(rs.getString(3))
                      + " ATTACH PARTITION "
                      + quoteIdent(rs.getString(4))
                      + '.'
                      + quoteIdent(rs.getString(5)));
        }
      }
    }
    return out;
  }

  private static String oidArray(Collection<Long> oids) {
    StringBuilder sb = new StringBuilder("{");
    for (Long oid : oids) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append(oid);
    }
    return sb.append('}').toString();
  }
}
