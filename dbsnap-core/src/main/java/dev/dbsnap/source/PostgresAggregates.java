package dev.dbsnap.source;

import static dev.dbsnap.source.PostgresDialect.quoteLiteral;

import dev.dbsnap.source.PostgresCatalogGraph.Node;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * {@code CREATE AGGREGATE} from pg_aggregate, as pg_dump builds it: the server has no
 * pg_get_aggregatedef.
 */
final class PostgresAggregates {
  private static final String QUERY =
      "SELECT pg_catalog.pg_get_function_arguments(p.oid), a.aggkind,"
          + " CAST(CAST(a.aggtransfn AS pg_catalog.regproc) AS text), pg_catalog.format_type(a.aggtranstype, NULL),"
          + " a.aggtransspace,"
          + " CASE WHEN a.aggfinalfn <> 0 THEN CAST(CAST(a.aggfinalfn AS pg_catalog.regproc) AS text) END,"
          + " a.aggfinalextra, a.aggfinalmodify,"
          + " CASE WHEN a.aggcombinefn <> 0 THEN CAST(CAST(a.aggcombinefn AS pg_catalog.regproc) AS text) END,"
          + " CASE WHEN a.aggserialfn <> 0 THEN CAST(CAST(a.aggserialfn AS pg_catalog.regproc) AS text) END,"
          + " CASE WHEN a.aggdeserialfn <> 0 THEN CAST(CAST(a.aggdeserialfn AS pg_catalog.regproc) AS text) END,"
          + " a.agginitval,"
          + " CASE WHEN a.aggmtransfn <> 0 THEN CAST(CAST(a.aggmtransfn AS pg_catalog.regproc) AS text) END,"
          + " CASE WHEN a.aggminvtransfn <> 0 THEN CAST(CAST(a.aggminvtransfn AS pg_catalog.regproc) AS text) END,"
          + " CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END,"
          + " a.aggmtransspace,"
          + " CASE WHEN a.aggmfinalfn <> 0 THEN CAST(CAST(a.aggmfinalfn AS pg_catalog.regproc) AS text) END,"
          + " a.aggmfinalextra, a.aggmfinalmodify, a.aggminitval,"
          + " CASE WHEN a.aggsortop <> 0 THEN (SELECT 'OPERATOR(' || pg_catalog.quote_ident(n.nspname) || '.' || o.oprname || ')'"
          + "   FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace WHERE o.oid = a.aggsortop) END,"
          + " p.proparallel"
          + " FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid WHERE p.oid = ?";

  private PostgresAggregates() {}

  static String create(Connection connection, Node n) throws SQLException {
    try (PreparedStatement st = connection.prepareStatement(QUERY)) {
      st.setLong(1, n.ref().objId());
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("aggregate " + n.identity() + " vanished during introspection");
        }
        String args = rs.getString(1);
        String kind = rs.getString(2);
        StringBuilder sql =
            new StringBuilder("CREATE AGGREGATE ")
                .append(PostgresDefinitions.qualified(n))
                .append('(')
                .append(args.isEmpty() ? "*" : args)
                .append(") (\n    SFUNC = ")
                .append(rs.getString(3))
                .append(",\n    STYPE = ")
                .append(rs.getString(4));
        if (rs.getInt(5) != 0) {
          sql.append(",\n    SSPACE = ").append(rs.getInt(5));
        }
        if (rs.getString(6) != null) {
          sql.append(",\n    FINALFUNC = ").append(rs.getString(6));
          if (rs.getBoolean(7)) {
            sql.append(",\n    FINALFUNC_EXTRA");
          }
          sql.append(",\n    FINALFUNC_MODIFY = ").append(modify(rs.getString(8)));
        }
        option(sql, "COMBINEFUNC", rs.getString(9));
        option(sql, "SERIALFUNC", rs.getString(10));
        option(sql, "DESERIALFUNC", rs.getString(11));
        if (rs.getString(12) != null) {
          sql.append(",\n    INITCOND = ").append(quoteLiteral(rs.getString(12)));
        }
        if (rs.getString(13) != null) {
          option(sql, "MSFUNC", rs.getString(13));
          option(sql, "MINVFUNC", rs.getString(14));
          option(sql, "MSTYPE", rs.getString(15));
          if (rs.getInt(16) != 0) {
            sql.append(",\n    MSSPACE = ").append(rs.getInt(16));
          }
          if (rs.getString(17) != null) {
            sql.append(",\n    MFINALFUNC = ").append(rs.getString(17));
            if (rs.getBoolean(18)) {
              sql.append(",\n    MFINALFUNC_EXTRA");
            }
            sql.append(",\n    MFINALFUNC_MODIFY = ").append(modify(rs.getString(19)));
          }
          if (rs.getString(20) != null) {
            sql.append(",\n    MINITCOND = ").append(quoteLiteral(rs.getString(20)));
          }
        }
        option(sql, "SORTOP", rs.getString(21));
        switch (rs.getString(22)) {
          case "s" -> sql.append(",\n    PARALLEL = safe");
          case "r" -> sql.append(",\n    PARALLEL = restricted");
          default -> {}
        }
        if ("h".equals(kind)) {
          sql.append(",\n    HYPOTHETICAL");
        }
        return sql.append("\n)").toString();
      }
    }
  }

  private static void option(StringBuilder sql, String name, String value) {
    if (value != null) {
      sql.append(",\n    ").append(name).append(" = ").append(value);
    }
  }

  private static String modify(String code) {
    return switch (code) {
      case "s" -> "SHAREABLE";
      case "w" -> "READ_WRITE";
      default -> "READ_ONLY";
    };
  }
}
