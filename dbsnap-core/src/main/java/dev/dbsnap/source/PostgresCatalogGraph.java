package dev.dbsnap.source;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The schema objects of a PostgreSQL database that an export carries besides its tables, and what
 * each depends on, read from pg_depend as pg_dump reads it. Objects that belong to an extension
 * (pg_depend deptype 'e') are left to the extension's {@code CREATE EXTENSION}; built-in objects
 * (oid below 16384) are taken as present everywhere.
 */
final class PostgresCatalogGraph {
  /** PostgreSQL's FirstNormalObjectId: every oid below it is built in. */
  static final long FIRST_USER_OID = 16384;

  /** An object in the catalogs: the catalog's oid and the object's. */
  record Ref(long classId, long objId) {}

  /** Kinds in pg_dump's order among objects that are ready at the same time. */
  enum Kind {
    EXTENSION("extension"),
    COLLATION("collation"),
    TYPE("type"),
    SEQUENCE("sequence"),
    FUNCTION("function"),
    AGGREGATE("aggregate"),
    TABLE("table"),
    VIEW("view"),
    MATERIALIZED_VIEW("materialized view"),
    TRIGGER("trigger"),
    POLICY("policy"),
    STATISTICS("statistics object");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  /**
   * One object.
   *
   * @param type pg_identify_object's type ("function", "domain", "table column"...)
   * @param identity pg_identify_object's identity, as SQL names the object ("public.f(integer)")
   * @param create the statements that create it; empty for an object the export already creates
   *     (tables, and types and sequences they use)
   * @param post whether it must wait for the tables (a view, a trigger, or anything resting on a
   *     table)
   */
  record Node(
      Ref ref,
      Kind kind,
      String schema,
      String name,
      String type,
      String identity,
      List<String> create,
      boolean post) {
    Node withCreate(List<String> statements) {
      return new Node(ref, kind, schema, name, type, identity, statements, post);
    }

    Node withPost(boolean p) {
      return new Node(ref, kind, schema, name, type, identity, create, p);
    }
  }

  private final Connection connection;
  private final Map<String, Long> catalogs = new HashMap<>();

  PostgresCatalogGraph(Connection connection) throws SQLException {
    this.connection = connection;
    try (Statement st = connection.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT c.relname, c.oid FROM pg_catalog.pg_class c"
                    + " WHERE c.relnamespace = 'pg_catalog'::pg_catalog.regnamespace AND c.relkind = 'r'")) {
      while (rs.next()) {
        catalogs.put(rs.getString(1), rs.getLong(2));
      }
    }
  }

  /** The oid of a system catalog, e.g. {@code pg_proc}. */
  long catalog(String name) {
    Long oid = catalogs.get(name);
    if (oid == null) {
      throw new IllegalStateException("no system catalog " + name);
    }
    return oid;
  }

  Connection connection() {
    return connection;
  }

  Array names(List<String> values) throws SQLException {
    return connection.createArrayOf("text", values.toArray());
  }

  /**
   * "Neither an extension member nor part of another object" (a range type's constructors and
   * casts) for rows of {@code catalog} aliased {@code alias}.
   */
  static String notInExtension(String catalog, String alias) {
    return "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog."
        + catalog
        + "'::pg_catalog.regclass AND e.objid = "
        + alias
        + ".oid AND e.deptype IN ('e', 'i'))";
  }

  /**
   * The identity columns of pg_identify_object for rows of {@code catalog} aliased {@code alias}.
   */
  static String identify(String catalog, String alias) {
    return "(pg_catalog.pg_identify_object('pg_catalog."
        + catalog
        + "'::pg_catalog.regclass, "
        + alias
        + ".oid, 0)).type, (pg_catalog.pg_identify_object('pg_catalog."
        + catalog
        + "'::pg_catalog.regclass, "
        + alias
        + ".oid, 0)).identity";
  }

  /**
   * What each object depends on, for the objects in {@code refs}: pg_depend's normal and automatic
   * dependencies, with parts resolved to the object they belong to (a view's rule to the view, an
   * array type to its element, a table's row type to the table, a domain's constraint to the
   * domain, a composite type's relation to the type). Built-in objects and extension members are
   * left out: they are there wherever the export is restored.
   */
  Map<Ref, Set<Ref>> dependencies(Set<Ref> refs) throws SQLException {
    Map<Ref, Ref> owner = owners();
    Set<Ref> extensionMembers = extensionMembers();
    Map<Ref, Set<Ref>> out = new LinkedHashMap<>();
    try (Statement st = connection.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT d.classid, d.objid, d.refclassid, d.refobjid FROM pg_catalog.pg_depend d"
                    + " WHERE d.deptype IN ('n', 'a') AND d.objid >= "
                    + FIRST_USER_OID
                    + " AND d.refobjid >= "
                    + FIRST_USER_OID)) {
      while (rs.next()) {
        Ref from = resolve(owner, new Ref(rs.getLong(1), rs.getLong(2)));
        if (!refs.contains(from)) {
          continue;
        }
        Ref rawTo = new Ref(rs.getLong(3), rs.getLong(4));
        Ref to = resolve(owner, rawTo);
        if (to.equals(from)
            || extensionMembers.contains(rawTo)
            || extensionMembers.contains(to)
            || to.classId() == catalog("pg_namespace")
            || to.classId() == catalog("pg_extension")
            || to.classId() == catalog("pg_language")) {
          continue;
        }
        out.computeIfAbsent(from, k -> new LinkedHashSet<>()).add(to);
      }
    }
    return out;
  }

  private static Ref resolve(Map<Ref, Ref> owner, Ref ref) {
    Ref r = ref;
    for (int i = 0; i < 8; i++) {
      Ref next = owner.get(r);
      if (next == null) {
        return r;
      }
      r = next;
    }
    return r;
  }

  /** Parts of objects, each to the object a restore creates it with. */
  private Map<Ref, Ref> owners() throws SQLException {
    Map<Ref, Ref> out = new HashMap<>();
    long pgClass = catalog("pg_class");
    long pgType = catalog("pg_type");
    String min = " >= " + FIRST_USER_OID;
    try (Statement st = connection.createStatement()) {
      try (ResultSet rs =
          st.executeQuery(
              "SELECT r.oid, r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.rulename = '_RETURN' AND r.oid"
                  + min)) {
        while (rs.next()) {
          out.put(new Ref(catalog("pg_rewrite"), rs.getLong(1)), new Ref(pgClass, rs.getLong(2)));
        }
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT t.oid, t.typelem, t.typrelid, c.relkind FROM pg_catalog.pg_type t"
                  + " LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid WHERE t.oid"
                  + min
                  + " AND ((t.typcategory = 'A' AND t.typelem <> 0) OR t.typrelid <> 0)")) {
        while (rs.next()) {
          Ref type = new Ref(pgType, rs.getLong(1));
          if (rs.getLong(3) == 0) {
            out.put(type, new Ref(pgType, rs.getLong(2)));
          } else if ("c".equals(rs.getString(4))) {
            out.put(new Ref(pgClass, rs.getLong(3)), type);
          } else {
            out.put(type, new Ref(pgClass, rs.getLong(3)));
          }
        }
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT r.rngmultitypid, r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngtypid"
                  + min)) {
        while (rs.next()) {
          out.put(new Ref(pgType, rs.getLong(1)), new Ref(pgType, rs.getLong(2)));
        }
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT c.oid, c.conrelid, c.contypid FROM pg_catalog.pg_constraint c WHERE c.oid"
                  + min)) {
        while (rs.next()) {
          out.put(
              new Ref(catalog("pg_constraint"), rs.getLong(1)),
              rs.getLong(2) != 0
                  ? new Ref(pgClass, rs.getLong(2))
                  : new Ref(pgType, rs.getLong(3)));
        }
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT a.oid, a.adrelid FROM pg_catalog.pg_attrdef a WHERE a.oid" + min)) {
        while (rs.next()) {
          out.put(new Ref(catalog("pg_attrdef"), rs.getLong(1)), new Ref(pgClass, rs.getLong(2)));
        }
      }
    }
    return out;
  }

  private Set<Ref> extensionMembers() throws SQLException {
    Set<Ref> out = new HashSet<>();
    try (Statement st = connection.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e'")) {
      while (rs.next()) {
        out.add(new Ref(rs.getLong(1), rs.getLong(2)));
      }
    }
    return out;
  }

  /** What an object outside the export is, in words ("table public.audit"). */
  String describe(Ref ref) throws SQLException {
    try (PreparedStatement st =
        connection.prepareStatement(
            "SELECT pg_catalog.pg_describe_object(CAST(? AS pg_catalog.oid), CAST(? AS pg_catalog.oid), 0)")) {
      st.setLong(1, ref.classId());
      st.setLong(2, ref.objId());
      try (ResultSet rs = st.executeQuery()) {
        String d = rs.next() ? rs.getString(1) : null;
        return d == null ? "object " + ref.objId() + " of catalog " + ref.classId() : d;
      }
    }
  }

  /** Rows of a node query: ref from columns 1 (oid), then schema, name, type, identity. */
  List<Node> nodes(String catalog, Kind kind, String sql, List<String> schemas, boolean post)
      throws SQLException {
    List<Node> out = new ArrayList<>();
    try (PreparedStatement st = connection.prepareStatement(sql)) {
      if (sql.contains("?")) {
        st.setArray(1, names(schemas));
      }
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Node(
                  new Ref(catalog(catalog), rs.getLong(1)),
                  kind,
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  List.of(),
                  post));
        }
      }
    }
    return out;
  }
}
