package dev.dbsnap.snapshot;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.TableSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A table's column names and types in one catalog query, as the dialect's full introspection
 * reports them, so a request can tell that a table it introspected before still has the same shape
 * without introspecting it again (the hit path's main cost). Run it in a connection whose snapshot
 * the dialect began (PostgreSQL type names depend on the search path it sets).
 */
final class Columns {
  private Columns() {}

  /** {@code name:type} of each column in order, or an empty list when the table is gone. */
  static List<String> of(Connection c, DialectKind kind, TableSchema t) throws SQLException {
    List<String> columns = new ArrayList<>();
    if (kind == DialectKind.POSTGRESQL) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)"
                  + " FROM pg_catalog.pg_attribute a"
                  + " JOIN pg_catalog.pg_class r ON r.oid = a.attrelid"
                  + " JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
                  + " WHERE n.nspname = ? AND r.relname = ? AND a.attnum > 0"
                  + " AND NOT a.attisdropped ORDER BY a.attnum")) {
        ps.setString(1, t.schema());
        ps.setString(2, t.name());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            columns.add(rs.getString(1) + ":" + rs.getString(2));
          }
        }
      }
      return columns;
    }
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("PRAGMA table_xinfo(\"" + t.name().replace("\"", "\"\"") + "\")")) {
      while (rs.next()) {
        if (rs.getInt("hidden") == 1) {
          continue;
        }
        String type = rs.getString("type");
        columns.add(rs.getString("name") + ":" + (type == null ? "" : type));
      }
    }
    return columns;
  }

  /** The same list from an introspected table. */
  static List<String> of(TableSchema t) {
    List<String> columns = new ArrayList<>();
    for (Column c : t.columns()) {
      columns.add(c.name() + ":" + c.type());
    }
    return columns;
  }
}
