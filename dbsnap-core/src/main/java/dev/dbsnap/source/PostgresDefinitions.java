package dev.dbsnap.source;

import static dev.dbsnap.source.PostgresDialect.quoteIdent;
import static dev.dbsnap.source.PostgresDialect.quoteLiteral;

import dev.dbsnap.source.PostgresCatalogGraph.Node;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The statements that create one PostgreSQL object, from its catalog rows and the server's own
 * {@code pg_get_*def} functions, as pg_dump writes them. Names come out schema-qualified: the
 * introspection runs with an empty search_path.
 */
final class PostgresDefinitions {
  private final Connection connection;

  PostgresDefinitions(Connection connection) {
    this.connection = connection;
  }

  static String qualified(Node n) {
    return quoteIdent(n.schema()) + '.' + quoteIdent(n.name());
  }

  private String one(String sql, long oid) throws SQLException {
    try (PreparedStatement st = connection.prepareStatement(sql)) {
      st.setLong(1, oid);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("object " + oid + " vanished during introspection");
        }
        return rs.getString(1);
      }
    }
  }

  private List<String[]> rows(String sql, long oid, int columns) throws SQLException {
    List<String[]> out = new ArrayList<>();
    try (PreparedStatement st = connection.prepareStatement(sql)) {
      st.setLong(1, oid);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          String[] row = new String[columns];
          for (int i = 0; i < columns; i++) {
            row[i] = rs.getString(i + 1);
          }
          out.add(row);
        }
      }
    }
    return out;
  }

  static String stripSemicolon(String def) {
    String d = def.strip();
    return d.endsWith(";") ? d.substring(0, d.length() - 1).strip() : d;
  }

  String extension(Node n) {
    return "CREATE EXTENSION IF NOT EXISTS "
        + quoteIdent(n.name())
        + " WITH SCHEMA "
        + quoteIdent(n.schema());
  }

  String collation(Node n) throws SQLException {
    // to_jsonb reads the locale columns under every version's names (colliculocale, colllocale).
    String[] r =
        rows(
                "SELECT c.collprovider, c.collisdeterministic, c.collcollate, c.collctype,"
                    + " coalesce(pg_catalog.to_jsonb(c) ->> 'colliculocale', pg_catalog.to_jsonb(c) ->> 'colllocale')"
                    + " FROM pg_catalog.pg_collation c WHERE c.oid = ?",
                n.ref().objId(),
                5)
            .get(0);
    StringBuilder sql = new StringBuilder("CREATE COLLATION ").append(qualified(n)).append(" (");
    if ("i".equals(r[0])) {
      sql.append("provider = icu, locale = ").append(quoteLiteral(r[4]));
    } else {
      sql.append("provider = libc, lc_collate = ")
          .append(quoteLiteral(r[2] == null ? "C" : r[2]))
          .append(", lc_ctype = ")
          .append(quoteLiteral(r[3] == null ? "C" : r[3]));
    }
    if ("f".equals(r[1])) {
      sql.append(", deterministic = false");
    }
    return sql.append(')').toString();
  }

  String enumType(Node n) throws SQLException {
    List<String> labels = new ArrayList<>();
    for (String[] r :
        rows(
            "SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = ? ORDER BY enumsortorder",
            n.ref().objId(),
            1)) {
      labels.add(quoteLiteral(r[0]));
    }
    return "CREATE TYPE " + qualified(n) + " AS ENUM (" + String.join(", ", labels) + ")";
  }

  String domain(Node n) throws SQLException {
    String[] r =
        rows(
                "SELECT pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull,"
                    + " pg_catalog.pg_get_expr(t.typdefaultbin, 0),"
                    + " CASE WHEN t.typcollation <> b.typcollation AND t.typcollation <> 0 THEN"
                    + "   pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END"
                    + " FROM pg_catalog.pg_type t JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype"
                    + " LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation"
                    + " LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
                    + " WHERE t.oid = ?",
                n.ref().objId(),
                4)
            .get(0);
    StringBuilder sql =
        new StringBuilder("CREATE DOMAIN ").append(qualified(n)).append(" AS ").append(r[0]);
    if (r[3] != null) {
      sql.append(" COLLATE ").append(r[3]);
    }
    if (r[2] != null) {
      sql.append(" DEFAULT ").append(r[2]);
    }
    if ("t".equals(r[1])) {
      sql.append(" NOT NULL");
    }
    for (String[] c :
        rows(
            "SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint"
                + " WHERE contypid = ? AND contype = 'c' ORDER BY conname COLLATE \"C\"",
            n.ref().objId(),
            2)) {
      sql.append(" CONSTRAINT ").append(quoteIdent(c[0])).append(' ').append(c[1]);
    }
    return sql.toString();
  }

  String composite(Node n) throws SQLException {
    List<String> attributes = new ArrayList<>();
    for (String[] r :
        rows(
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
                + " CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN"
                + "   pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END"
                + " FROM pg_catalog.pg_type ty JOIN pg_catalog.pg_attribute a ON a.attrelid = ty.typrelid"
                + " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
                + " LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation"
                + " LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
                + " WHERE ty.oid = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            n.ref().objId(),
            3)) {
      attributes.add(quoteIdent(r[0]) + ' ' + r[1] + (r[2] == null ? "" : " COLLATE " + r[2]));
    }
    return "CREATE TYPE " + qualified(n) + " AS (" + String.join(", ", attributes) + ")";
  }

  String range(Node n) throws SQLException {
    String[] r =
        rows(
                "SELECT pg_catalog.format_type(r.rngsubtype, NULL),"
                    + " pg_catalog.quote_ident(ocn.nspname) || '.' || pg_catalog.quote_ident(oc.opcname),"
                    + " CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN"
                    + "   pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END,"
                    + " CASE WHEN r.rngcanonical <> 0 THEN CAST(CAST(r.rngcanonical AS pg_catalog.regproc) AS text) END,"
                    + " CASE WHEN r.rngsubdiff <> 0 THEN CAST(CAST(r.rngsubdiff AS pg_catalog.regproc) AS text) END,"
                    + " pg_catalog.format_type(r.rngmultitypid, NULL), NOT oc.opcdefault"
                    + " FROM pg_catalog.pg_range r JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype"
                    + " JOIN pg_catalog.pg_opclass oc ON oc.oid = r.rngsubopc"
                    + " JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace"
                    + " LEFT JOIN pg_catalog.pg_collation co ON co.oid = r.rngcollation"
                    + " LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace"
                    + " WHERE r.rngtypid = ?",
                n.ref().objId(),
                7)
            .get(0);
    StringBuilder sql =
        new StringBuilder("CREATE TYPE ")
            .append(qualified(n))
            .append(" AS RANGE (subtype = ")
            .append(r[0])
            .append(", multirange_type_name = ")
            .append(r[5]);
    if ("t".equals(r[6])) {
      sql.append(", subtype_opclass = ").append(r[1]);
    }
    if (r[2] != null) {
      sql.append(", collation = ").append(r[2]);
    }
    if (r[3] != null) {
      sql.append(", canonical = ").append(r[3]);
    }
    if (r[4] != null) {
      sql.append(", subtype_diff = ").append(r[4]);
    }
    return sql.append(')').toString();
  }

  /** A sequence no exported table uses, and its value. */
  List<String> sequence(Node n) throws SQLException {
    String[] r =
        rows(
                "SELECT pg_catalog.format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax,"
                    + " s.seqstart, s.seqcache, s.seqcycle FROM pg_catalog.pg_sequence s WHERE s.seqrelid = ?",
                n.ref().objId(),
                7)
            .get(0);
    return List.of(
        "CREATE SEQUENCE "
            + qualified(n)
            + " AS "
            + r[0]
            + " INCREMENT BY "
            + r[1]
            + " MINVALUE "
            + r[2]
            + " MAXVALUE "
            + r[3]
            + " START WITH "
            + r[4]
            + " CACHE "
            + r[5]
            + ("t".equals(r[6]) ? " CYCLE" : ""));
  }

  String sequenceValue(Node n) throws SQLException {
    String[] r = new String[2];
    try (java.sql.Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery("SELECT last_value, is_called FROM " + qualified(n))) {
      rs.next();
      r[0] = rs.getString(1);
      r[1] = rs.getString(2);
    }
    return "SELECT pg_catalog.setval("
        + quoteLiteral(qualified(n))
        + ", "
        + r[0]
        + ", "
        + ("t".equals(r[1]))
        + ")";
  }

  String function(Node n) throws SQLException {
    return stripSemicolon(one("SELECT pg_catalog.pg_get_functiondef(?)", n.ref().objId()));
  }

  String view(Node n) throws SQLException {
    String[] r =
        rows(
                "SELECT pg_catalog.pg_get_viewdef(c.oid), pg_catalog.array_to_string(c.reloptions, ', ')"
                    + " FROM pg_catalog.pg_class c WHERE c.oid = ?",
                n.ref().objId(),
                2)
            .get(0);
    return "CREATE VIEW "
        + qualified(n)
        + (r[1] == null || r[1].isEmpty() ? "" : " WITH (" + r[1] + ")")
        + " AS\n"
        + stripSemicolon(r[0]);
  }

  /** As pg_dump: created empty, its indexes, and (see {@link #refresh}) filled after the data. */
  List<String> materializedView(Node n) throws SQLException {
    String[] r =
        rows(
                "SELECT pg_catalog.pg_get_viewdef(c.oid), pg_catalog.array_to_string(c.reloptions, ', ')"
                    + " FROM pg_catalog.pg_class c WHERE c.oid = ?",
                n.ref().objId(),
                2)
            .get(0);
    List<String> out = new ArrayList<>();
    out.add(
        "CREATE MATERIALIZED VIEW "
            + qualified(n)
            + (r[1] == null || r[1].isEmpty() ? "" : " WITH (" + r[1] + ")")
            + " AS\n"
            + stripSemicolon(r[0])
            + "\n  WITH NO DATA");
    for (String[] i :
        rows(
            "SELECT pg_catalog.pg_get_indexdef(i.indexrelid) FROM pg_catalog.pg_index i"
                + " JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = ?"
                + " ORDER BY ic.relname COLLATE \"C\"",
            n.ref().objId(),
            1)) {
      out.add(i[0]);
    }
    return out;
  }

  /** The REFRESH that fills a materialized view, or null when the source's is not filled either. */
  String refresh(Node n) throws SQLException {
    return "t"
            .equals(
                one(
                    "SELECT relispopulated FROM pg_catalog.pg_class WHERE oid = ?",
                    n.ref().objId()))
        ? "REFRESH MATERIALIZED VIEW " + qualified(n)
        : null;
  }

  List<String> trigger(Node n) throws SQLException {
    String[] r =
        rows(
                "SELECT pg_catalog.pg_get_triggerdef(t.oid, false), t.tgenabled,"
                    + " pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(c.relname), c.relkind"
                    + " FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid"
                    + " JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace WHERE t.oid = ?",
                n.ref().objId(),
                4)
            .get(0);
    List<String> out = new ArrayList<>();
    out.add(r[0]);
    String mode =
        switch (r[1]) {
          case "D" -> "DISABLE TRIGGER ";
          case "R" -> "ENABLE REPLICA TRIGGER ";
          case "A" -> "ENABLE ALWAYS TRIGGER ";
          default -> null;
        };
    if (mode != null) {
      out.add(
          ("v".equals(r[3]) ? "ALTER VIEW " : "ALTER TABLE ")
              + r[2]
              + ' '
              + mode
              + quoteIdent(n.name()));
    }
    return out;
  }

  String policy(Node n) throws SQLException {
    String[] r =
        rows(
                "SELECT pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(c.relname),"
                    + " p.polpermissive, p.polcmd,"
                    + " CASE WHEN p.polroles = '{0}' THEN 'PUBLIC' ELSE (SELECT pg_catalog.string_agg("
                    + "   pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.role)), ', ' ORDER BY r.ord)"
                    + "   FROM pg_catalog.unnest(p.polroles) WITH ORDINALITY r(role, ord)) END,"
                    + " pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)"
                    + " FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid"
                    + " JOIN pg_catalog.pg_namespace pn ON pn.oid = c.relnamespace WHERE p.oid = ?",
                n.ref().objId(), 6)
            .get(0);
    String command =
        switch (r[2]) {
          case "r" -> "SELECT";
          case "a" -> "INSERT";
          case "w" -> "UPDATE";
          case "d" -> "DELETE";
          default -> "ALL";
        };
    StringBuilder sql =
        new StringBuilder("CREATE POLICY ")
            .append(quoteIdent(n.name()))
            .append(" ON ")
            .append(r[0])
            .append("t".equals(r[1]) ? " AS PERMISSIVE" : " AS RESTRICTIVE")
            .append(" FOR ")
            .append(command)
            .append(" TO ")
            .append(r[3]);
    if (r[4] != null) {
      sql.append(" USING (").append(r[4]).append(')');
    }
    if (r[5] != null) {
      sql.append(" WITH CHECK (").append(r[5]).append(')');
    }
    return sql.toString();
  }

  String statistics(Node n) throws SQLException {
    return one("SELECT pg_catalog.pg_get_statisticsobjdef(?)", n.ref().objId());
  }
}
