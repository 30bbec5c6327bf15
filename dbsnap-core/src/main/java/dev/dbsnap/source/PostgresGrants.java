package dev.dbsnap.source;

import static dev.dbsnap.source.PostgresDialect.quoteIdent;
import static dev.dbsnap.source.PostgresDialect.quoteLiteral;

import dev.dbsnap.source.PostgresCatalogGraph.Node;
import dev.dbsnap.source.PostgresCatalogGraph.Ref;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Comments, owners and privileges of the exported objects, as pg_dump writes them: {@code COMMENT
 * ON}, {@code ALTER … OWNER TO}, and for an object whose ACL is not the default, {@code REVOKE ALL}
 * from PUBLIC and the owner followed by one {@code GRANT} per grantee in the ACL's order, which
 * gives the restored object the same ACL.
 */
final class PostgresGrants {
  private final PostgresCatalogGraph graph;

  PostgresGrants(PostgresCatalogGraph graph) {
    this.graph = graph;
  }

  /**
   * COMMENT ON for every described object among {@code objects} and their columns, constraints and
   * indexes.
   */
  List<String> comments(Set<Ref> objects) throws SQLException {
    long pgClass = graph.catalog("pg_class");
    long pgType = graph.catalog("pg_type");
    List<String> out = new ArrayList<>();
    try (Statement st = graph.connection().createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT d.classoid, d.objoid, o.type, o.identity, d.description,"
                    + " coalesce(con.conrelid, 0), coalesce(con.contypid, 0), coalesce(i.indrelid, 0)"
                    + " FROM pg_catalog.pg_description d"
                    + " CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.classoid, d.objoid, d.objsubid) o"
                    + " LEFT JOIN pg_catalog.pg_constraint con ON d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass"
                    + "   AND con.oid = d.objoid"
                    + " LEFT JOIN pg_catalog.pg_index i ON d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass"
                    + "   AND i.indexrelid = d.objoid"
                    + " WHERE d.objoid >= "
                    + PostgresCatalogGraph.FIRST_USER_OID
                    + " ORDER BY o.type, o.identity COLLATE \"C\"")) {
      while (rs.next()) {
        Ref ref = new Ref(rs.getLong(1), rs.getLong(2));
        boolean covered =
            objects.contains(ref)
                || (rs.getLong(6) != 0 && objects.contains(new Ref(pgClass, rs.getLong(6))))
                || (rs.getLong(7) != 0 && objects.contains(new Ref(pgType, rs.getLong(7))))
                || (rs.getLong(8) != 0 && objects.contains(new Ref(pgClass, rs.getLong(8))));
        if (covered) {
          out.add(
              "COMMENT ON "
                  + commentTarget(rs.getString(3), rs.getString(4))
                  + " IS "
                  + quoteLiteral(rs.getString(5)));
        }
      }
    }
    return out;
  }

  static String commentTarget(String type, String identity) {
    if (type.endsWith(" column")) {
      return "COLUMN " + identity;
    }
    return switch (type) {
      case "table constraint" -> "CONSTRAINT " + replaceOn(identity, " ON ");
      case "domain constraint" -> "CONSTRAINT " + replaceOn(identity, " ON DOMAIN ");
      case "statistics object" -> "STATISTICS " + identity;
      default -> type.toUpperCase(java.util.Locale.ROOT) + ' ' + identity;
    };
  }

  /** Replaces the first " on " outside double quotes ("c on public.t") with {@code with}. */
  private static String replaceOn(String identity, String with) {
    boolean quoted = false;
    for (int i = 0; i < identity.length(); i++) {
      char c = identity.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && identity.startsWith(" on ", i)) {
        return identity.substring(0, i) + with + identity.substring(i + 4);
      }
    }
    return identity;
  }

  /** One object whose owner and ACL are carried. */
  record Owned(Ref ref, String type, String identity) {}

  /**
   * ALTER … OWNER TO for each object (when {@code owners}), then its privileges (when {@code
   * privileges}), then column privileges of relations.
   */
  List<String> ownersAndGrants(List<Owned> objects, boolean owners, boolean privileges)
      throws SQLException {
    Map<Ref, String[]> facts = facts(objects);
    List<String> ownerStatements = new ArrayList<>();
    List<String> grantStatements = new ArrayList<>();
    for (Owned o : objects) {
      String[] f = facts.get(o.ref());
      String keyword = ownerKeyword(o.type());
      if (f == null || keyword == null) {
        continue;
      }
      String owner = f[0];
      if (owners && !"t".equals(f[2])) {
        ownerStatements.add(
            "ALTER " + keyword + ' ' + o.identity() + " OWNER TO " + quoteIdent(owner));
      }
      if (privileges && f[1] != null) {
        grantStatements.addAll(
            grants(grantKeyword(o.type()) + ' ' + o.identity(), owner, f[1], ""));
      }
      if (privileges && o.ref().classId() == graph.catalog("pg_class")) {
        grantStatements.addAll(columnGrants(o));
      }
    }
    List<String> out = new ArrayList<>(ownerStatements);
    out.addAll(grantStatements);
    return out;
  }

  /**
   * The {@code public} schema's privileges, when they differ from those the server gave it at
   * initdb ({@code pg_init_privs}), as pg_dump carries them; nothing otherwise, so the target keeps
   * its own default (which differs between server versions).
   */
  List<String> publicSchemaPrivileges() throws SQLException {
    try (Statement st = graph.connection().createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT pg_catalog.pg_get_userbyid(n.nspowner),"
                    + " CAST(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner)) AS text)"
                    + " FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public'"
                    + " AND coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))"
                    + " IS DISTINCT FROM (SELECT ip.initprivs FROM pg_catalog.pg_init_privs ip"
                    + " WHERE ip.objoid = n.oid AND ip.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass"
                    + " AND ip.objsubid = 0)")) {
      return rs.next() ? grants("SCHEMA public", rs.getString(1), rs.getString(2), "") : List.of();
    }
  }

  /**
   * owner name, ACL text (null for the default), whether the owner cannot be set (identity
   * sequence).
   */
  private Map<Ref, String[]> facts(List<Owned> objects) throws SQLException {
    Map<Ref, String[]> out = new HashMap<>();
    String[][] catalogs = {
      {
        "pg_class",
        "relowner",
        "relacl",
        "x.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
            + " AND d.objid = x.oid AND d.deptype = 'i')"
      },
      {"pg_proc", "proowner", "proacl", "false"},
      {"pg_type", "typowner", "typacl", "false"},
      {"pg_namespace", "nspowner", "nspacl", "false"},
      {"pg_collation", "collowner", "NULL", "false"},
      {"pg_statistic_ext", "stxowner", "NULL", "false"},
    };
    for (String[] c : catalogs) {
      long classId = graph.catalog(c[0]);
      List<Long> oids = new ArrayList<>();
      for (Owned o : objects) {
        if (o.ref().classId() == classId) {
          oids.add(o.ref().objId());
        }
      }
      if (oids.isEmpty()) {
        continue;
      }
      try (PreparedStatement st =
          graph
              .connection()
              .prepareStatement(
                  "SELECT x.oid, pg_catalog.pg_get_userbyid(x."
                      + c[1]
                      + "), CAST("
                      + (c[2].equals("NULL") ? "NULL" : "x." + c[2])
                      + " AS text), "
                      + c[3]
                      + " FROM pg_catalog."
                      + c[0]
                      + " x WHERE x.oid = ANY (?)")) {
        st.setArray(1, graph.connection().createArrayOf("oid", oids.toArray()));
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            out.put(
                new Ref(classId, rs.getLong(1)),
                new String[] {rs.getString(2), rs.getString(3), rs.getBoolean(4) ? "t" : "f"});
          }
        }
      }
    }
    return out;
  }

  /**
   * REVOKE and GRANT statements that give {@code target} the ACL {@code acl}, in its order. A
   * privilege another role than the owner granted (holding it WITH GRANT OPTION) is granted by that
   * role again, under {@code SET SESSION AUTHORIZATION} as pg_dump writes it, so the restored ACL
   * names the same grantors.
   */
  private List<String> grants(String target, String owner, String acl, String columns)
      throws SQLException {
    List<String> out = new ArrayList<>();
    if (columns.isEmpty()) {
      out.add("REVOKE ALL ON " + target + " FROM PUBLIC");
      out.add("REVOKE ALL ON " + target + " FROM " + quoteIdent(owner));
    }
    try (PreparedStatement st =
        graph
            .connection()
            .prepareStatement(
                "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,"
                    + " a.privilege_type, a.is_grantable, pg_catalog.pg_get_userbyid(a.grantor)"
                    + " FROM pg_catalog.aclexplode(CAST(? AS pg_catalog.aclitem[])) WITH ORDINALITY a ORDER BY a.ordinality")) {
      st.setString(1, acl);
      try (ResultSet rs = st.executeQuery()) {
        String grantee = null;
        String grantor = null;
        boolean grantable = false;
        List<String> privileges = new ArrayList<>();
        while (rs.next()) {
          if (grantee != null
              && (!grantee.equals(rs.getString(1))
                  || grantable != rs.getBoolean(3)
                  || !grantor.equals(rs.getString(4)))) {
            addGrant(out, owner, grantor, grant(privileges, columns, target, grantee, grantable));
            privileges.clear();
          }
          grantee = rs.getString(1);
          grantable = rs.getBoolean(3);
          grantor = rs.getString(4);
          privileges.add(rs.getString(2));
        }
        if (grantee != null) {
          addGrant(out, owner, grantor, grant(privileges, columns, target, grantee, grantable));
        }
      }
    }
    return out;
  }

  private static void addGrant(List<String> out, String owner, String grantor, String grant) {
    if (grantor.equals(owner)) {
      out.add(grant);
    } else {
      out.add("SET SESSION AUTHORIZATION " + quoteIdent(grantor));
      out.add(grant);
      out.add("RESET SESSION AUTHORIZATION");
    }
  }

  private static String grant(
      List<String> privileges, String columns, String target, String grantee, boolean grantable) {
    StringBuilder sql = new StringBuilder("GRANT ");
    for (int i = 0; i < privileges.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append(privileges.get(i)).append(columns);
    }
    return sql.append(" ON ")
        .append(target)
        .append(" TO ")
        .append(grantee)
        .append(grantable ? " WITH GRANT OPTION" : "")
        .toString();
  }

  private List<String> columnGrants(Owned o) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement st =
        graph
            .connection()
            .prepareStatement(
                "SELECT a.attname, CAST(a.attacl AS text), pg_catalog.pg_get_userbyid(c.relowner)"
                    + " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
                    + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL"
                    + " ORDER BY a.attnum")) {
      st.setLong(1, o.ref().objId());
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.addAll(
              grants(
                  "TABLE " + o.identity(),
                  rs.getString(3),
                  rs.getString(2),
                  " (" + quoteIdent(rs.getString(1)) + ")"));
        }
      }
    }
    return out;
  }

  private static String ownerKeyword(String type) {
    return switch (type) {
      case "table",
          "view",
          "sequence",
          "function",
          "procedure",
          "aggregate",
          "type",
          "domain",
          "schema",
          "collation" ->
          type.toUpperCase(java.util.Locale.ROOT);
      case "materialized view" -> "MATERIALIZED VIEW";
      case "statistics object" -> "STATISTICS";
      default -> null;
    };
  }

  private static String grantKeyword(String type) {
    return switch (type) {
      case "table", "view", "materialized view" -> "TABLE";
      case "aggregate", "function" -> "FUNCTION";
      case "domain" -> "DOMAIN";
      default -> type.toUpperCase(java.util.Locale.ROOT);
    };
  }

  static List<Owned> owned(List<Node> nodes) {
    List<Owned> out = new ArrayList<>();
    for (Node n : nodes) {
      out.add(new Owned(n.ref(), n.type(), n.identity()));
    }
    return out;
  }
}
