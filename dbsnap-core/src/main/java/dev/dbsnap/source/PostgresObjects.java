package dev.dbsnap.source;

import static dev.dbsnap.source.PostgresCatalogGraph.identify;
import static dev.dbsnap.source.PostgresCatalogGraph.notInExtension;
import static dev.dbsnap.source.PostgresDialect.quoteIdent;
import static dev.dbsnap.source.PostgresDialect.quoteLiteral;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.source.PostgresCatalogGraph.Kind;
import dev.dbsnap.source.PostgresCatalogGraph.Node;
import dev.dbsnap.source.PostgresCatalogGraph.Ref;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Completes the tables-and-types structure PostgresDialect reads with every other schema object
 * pg_dump carries for the exported schemas: extensions, collations, all user types, standalone
 * sequences, functions, procedures, aggregates, views, materialized views, triggers, row-level
 * security and policies, extended statistics, table options, comments, owners and grants, in
 * pg_depend order. Objects dbsnap cannot carry fail the export with UNSUPPORTED_OBJECT, or are
 * listed in {@link DatabaseSchema#skipped()} when the options say so. An object resting on
 * something the export leaves out (a view of an excluded table) is left out and listed too.
 *
 * <p>Free-standing objects (functions, types, ...) are read only when the selection names no
 * tables; a selection of tables gets what hangs on those tables (as {@code pg_dump -t}).
 */
final class PostgresObjects {
  private static final String SYSTEM_SCHEMAS =
      "n.nspname NOT IN ('pg_catalog', 'information_schema')"
          + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
          + " AND n.nspname <> 'dbsnap'";

  private static final Comparator<Node> ORDER =
      Comparator.comparing((Node n) -> n.kind())
          .thenComparing(Node::schema, Comparator.nullsFirst(Comparator.naturalOrder()))
          .thenComparing(Node::name)
          .thenComparing(Node::identity)
          .thenComparingLong(n -> n.ref().objId());

  private final PostgresCatalogGraph graph;
  private final PostgresDefinitions definitions;
  private final TableSelection selection;
  private final SchemaOptions options;
  private final List<DatabaseSchema.Skipped> skipped = new ArrayList<>();

  /** Per exported relation, read with its oid: relpersistence, and reloptions joined. */
  private final Map<Ref, String[]> relationOptions = new HashMap<>();

  private PostgresObjects(Connection connection, TableSelection selection, SchemaOptions options)
      throws SQLException {
    this.graph = new PostgresCatalogGraph(connection);
    this.definitions = new PostgresDefinitions(connection);
    this.selection = selection;
    this.options = options;
  }

  /**
   * @throws DbsnapException UNSUPPORTED_OBJECT naming the first object dbsnap cannot carry, unless
   *     {@link SchemaOptions#skipUnsupported()}
   */
  static DatabaseSchema complete(
      Connection connection, TableSelection selection, SchemaOptions options, DatabaseSchema base)
      throws SQLException {
    return new PostgresObjects(connection, selection, options).complete(base);
  }

  private DatabaseSchema complete(DatabaseSchema base) throws SQLException {
    boolean whole = selection.include().isEmpty();
    List<String> schemas = schemas();
    // partitioned tables hold no rows but carry triggers, policies, comments, owners and grants
    List<TableSchema> relations = new ArrayList<>(base.partitioned());
    relations.addAll(base.tables());
    Map<Ref, TableSchema> tables = tableRefs(relations);
    Map<Ref, String> exportedSequences = exportedSequences(base);
    new PostgresUnsupported(graph, schemas, whole && selection.schemas().isEmpty())
        .check(options, skipped);

    List<String> before = new ArrayList<>(base.before());
    List<Node> nodes = new ArrayList<>();
    if (whole) {
      nodes.addAll(extensions(schemas));
      nodes.addAll(collations(schemas));
      nodes.addAll(types(schemas, before));
      nodes.addAll(standaloneSequences(schemas, exportedSequences));
      nodes.addAll(functions(schemas));
    }
    nodes.addAll(views(schemas));
    Set<Long> relationIds = new LinkedHashSet<>();
    for (Ref r : tables.keySet()) {
      relationIds.add(r.objId());
    }
    for (Node n : nodes) {
      if (n.kind() == Kind.VIEW || n.kind() == Kind.MATERIALIZED_VIEW) {
        relationIds.add(n.ref().objId());
      }
    }
    nodes.addAll(attached(relationIds));

    Set<Ref> refs = new HashSet<>();
    for (Node n : nodes) {
      refs.add(n.ref());
    }
    Map<Ref, Set<Ref>> dependencies = graph.dependencies(refs);
    Set<Ref> present = new HashSet<>(refs);
    present.addAll(tables.keySet());
    present.addAll(exportedSequences.keySet());
    nodes = withoutUnavailable(nodes, dependencies, present);
    nodes = placed(nodes, dependencies, tables.keySet(), exportedSequences.keySet());

    List<Node> pre = new ArrayList<>();
    List<Node> post = new ArrayList<>();
    for (Node n : nodes) {
      (n.post() ? post : pre).add(n);
    }
    pre = DependencySort.sort(pre, Node::ref, dependencies, ORDER);
    post = DependencySort.sort(post, Node::ref, dependencies, ORDER);

    // Created first: schemas and extensions, then types of unselected schemas the tables use.
    LinkedHashSet<String> head = new LinkedHashSet<>();
    List<String> rest = new ArrayList<>();
    List<String> sequences = new ArrayList<>();
    for (String s : before) {
      if (s.startsWith("CREATE SCHEMA ") || s.startsWith("CREATE EXTENSION ")) {
        head.add(s);
      } else if (s.startsWith("CREATE SEQUENCE ")) {
        sequences.add(s);
      } else {
        rest.add(s);
      }
    }
    if (whole) {
      for (String s : schemas) {
        if (!s.equals("public")) {
          head.add("CREATE SCHEMA IF NOT EXISTS " + quoteIdent(s));
        }
      }
    }
    head.addAll(rest);
    for (Node n : pre) {
      head.addAll(n.create());
    }
    head.addAll(sequences);

    List<String> after = new ArrayList<>(base.after());
    after.addAll(rowSecurity(tables.keySet()));
    List<String> refreshes = new ArrayList<>();
    for (Node n : post) {
      after.addAll(n.create());
      if (n.kind() == Kind.MATERIALIZED_VIEW) {
        String refresh = definitions.refresh(n);
        if (refresh != null) {
          refreshes.add(refresh);
        }
      }
    }
    for (Node n : pre) {
      if (n.kind() == Kind.SEQUENCE && !n.create().isEmpty()) {
        after.add(definitions.sequenceValue(n));
      }
    }
    after.addAll(refreshes);

    PostgresGrants grants = new PostgresGrants(graph);
    List<PostgresGrants.Owned> owned = new ArrayList<>();
    List<Ref> schemaRefs = whole ? schemaRefs(schemas) : List.of();
    for (Ref r : schemaRefs) {
      owned.add(new PostgresGrants.Owned(r, "schema", graph.describe(r).substring(7)));
    }
    for (Map.Entry<Ref, TableSchema> t : tables.entrySet()) {
      owned.add(
          new PostgresGrants.Owned(
              t.getKey(),
              "table",
              quoteIdent(t.getValue().schema()) + '.' + quoteIdent(t.getValue().name())));
    }
    for (Map.Entry<Ref, String> s : exportedSequences.entrySet()) {
      owned.add(new PostgresGrants.Owned(s.getKey(), "sequence", s.getValue()));
    }
    List<Node> ordered = new ArrayList<>(pre);
    ordered.addAll(post);
    owned.addAll(PostgresGrants.owned(ordered));
    Set<Ref> commented = new HashSet<>();
    for (PostgresGrants.Owned o : owned) {
      commented.add(o.ref());
    }
    after.addAll(grants.comments(commented));
    after.addAll(grants.ownersAndGrants(owned, options.owners(), options.privileges()));
    if (whole && options.privileges() && schemas.contains("public")) {
      after.addAll(grants.publicSchemaPrivileges());
    }

    List<DatabaseSchema.Skipped> allSkipped = new ArrayList<>(base.skipped());
    allSkipped.addAll(skipped);
    return new DatabaseSchema(
        base.dialect(),
        base.serverVersion(),
        new ArrayList<>(head),
        tableOptions(base.tables(), tables),
        after,
        allSkipped,
        base.partitioned());
  }

  private List<String> schemas() throws SQLException {
    if (!selection.schemas().isEmpty()) {
      return selection.schemas();
    }
    List<String> all = new ArrayList<>();
    try (Statement st = graph.connection().createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE "
                    + SYSTEM_SCHEMAS
                    + " ORDER BY n.nspname COLLATE \"C\"")) {
      while (rs.next()) {
        all.add(rs.getString(1));
      }
    }
    return all;
  }

  private List<Ref> schemaRefs(List<String> schemas) throws SQLException {
    List<Ref> out = new ArrayList<>();
    try (PreparedStatement st =
        graph
            .connection()
            .prepareStatement(
                "SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = ANY (?)"
                    + " AND n.nspname <> 'public' ORDER BY n.nspname COLLATE \"C\"")) {
      st.setArray(1, graph.names(schemas));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(new Ref(graph.catalog("pg_namespace"), rs.getLong(1)));
        }
      }
    }
    return out;
  }

  private Map<Ref, TableSchema> tableRefs(List<TableSchema> tables) throws SQLException {
    Map<Ref, TableSchema> out = new LinkedHashMap<>();
    if (tables.isEmpty()) {
      return out;
    }
    List<String> schemas = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (TableSchema t : tables) {
      schemas.add(t.schema());
      names.add(t.name());
    }
    // one round trip for every table, with what tableOptions needs
    try (PreparedStatement st =
        graph
            .connection()
            .prepareStatement(
                "SELECT x.ord, c.oid, c.relpersistence,"
                    + " pg_catalog.array_to_string(c.reloptions, ', ')"
                    + " FROM unnest(CAST(? AS text[]), CAST(? AS text[])) WITH ORDINALITY x(nsp, rel, ord)"
                    + " JOIN pg_catalog.pg_namespace n ON n.nspname = x.nsp"
                    + " JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = x.rel"
                    + " ORDER BY x.ord")) {
      st.setArray(1, graph.names(schemas));
      st.setArray(2, graph.names(names));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          Ref ref = new Ref(graph.catalog("pg_class"), rs.getLong(2));
          out.put(ref, tables.get((int) rs.getLong(1) - 1));
          relationOptions.put(ref, new String[] {rs.getString(3), rs.getString(4)});
        }
      }
    }
    return out;
  }

  /**
   * The sequences the tables' structure already carries (each has a setval among its statements).
   */
  private Map<Ref, String> exportedSequences(DatabaseSchema base) throws SQLException {
    Set<String> values = new HashSet<>(base.after());
    Map<Ref, String> out = new LinkedHashMap<>();
    try (Statement st = graph.connection().createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT c.oid, pg_catalog.quote_ident(n.nspname), pg_catalog.quote_ident(c.relname), n.nspname, c.relname"
                    + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE c.relkind = 'S' ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"")) {
      while (rs.next()) {
        String quoted = quoteIdent(rs.getString(4)) + '.' + quoteIdent(rs.getString(5));
        for (String v : values) {
          if (v.startsWith("SELECT pg_catalog.setval(" + quoteLiteral(quoted) + ",")) {
            out.put(
                new Ref(graph.catalog("pg_class"), rs.getLong(1)),
                rs.getString(2) + '.' + rs.getString(3));
          }
        }
      }
    }
    return out;
  }

  private List<Node> extensions(List<String> schemas) throws SQLException {
    List<Node> out = new ArrayList<>();
    for (Node n :
        graph.nodes(
            "pg_extension",
            Kind.EXTENSION,
            "SELECT x.oid, n.nspname, x.extname, "
                + identify("pg_extension", "x")
                + " FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace"
                + " WHERE n.nspname = ANY (?) AND x.extname <> 'plpgsql'",
            schemas,
            false)) {
      out.add(n.withCreate(List.of(definitions.extension(n))));
    }
    return out;
  }

  private List<Node> collations(List<String> schemas) throws SQLException {
    List<Node> out = new ArrayList<>();
    for (Node n :
        graph.nodes(
            "pg_collation",
            Kind.COLLATION,
            "SELECT x.oid, n.nspname, x.collname, "
                + identify("pg_collation", "x")
                + " FROM pg_catalog.pg_collation x JOIN pg_catalog.pg_namespace n ON n.oid = x.collnamespace"
                + " WHERE n.nspname = ANY (?) AND x.oid >= 16384 AND "
                + notInExtension("pg_collation", "x"),
            schemas,
            false)) {
      out.add(n.withCreate(List.of(definitions.collation(n))));
    }
    return out;
  }

  /**
   * Enums, domains, composite and range types; a statement the tables' structure already has is
   * moved here.
   */
  private List<Node> types(List<String> schemas, List<String> before) throws SQLException {
    List<Node> out = new ArrayList<>();
    Map<Long, Character> kinds = new LinkedHashMap<>();
    List<Node> found =
        graph.nodes(
            "pg_type",
            Kind.TYPE,
            "SELECT x.oid, n.nspname, x.typname, "
                + identify("pg_type", "x")
                + " FROM pg_catalog.pg_type x JOIN pg_catalog.pg_namespace n ON n.oid = x.typnamespace"
                + " LEFT JOIN pg_catalog.pg_class c ON c.oid = x.typrelid"
                + " WHERE n.nspname = ANY (?) AND x.oid >= 16384 AND "
                + notInExtension("pg_type", "x")
                + " AND (x.typtype IN ('e', 'd', 'r') OR (x.typtype = 'c' AND c.relkind = 'c'))",
            schemas,
            false);
    try (PreparedStatement st =
        graph
            .connection()
            .prepareStatement("SELECT typtype FROM pg_catalog.pg_type WHERE oid = ?")) {
      for (Node n : found) {
        st.setLong(1, n.ref().objId());
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          kinds.put(n.ref().objId(), rs.getString(1).charAt(0));
        }
      }
    }
    for (Node n : found) {
      char kind = kinds.get(n.ref().objId());
      String prefix =
          (kind == 'd' ? "CREATE DOMAIN " : "CREATE TYPE ")
              + PostgresDefinitions.qualified(n)
              + " AS ";
      String existing = null;
      for (String s : before) {
        if (s.startsWith(prefix)) {
          existing = s;
        }
      }
      if (existing != null) {
        before.remove(existing);
        out.add(n.withCreate(List.of(existing)));
        continue;
      }
      String create =
          switch (kind) {
            case 'e' -> definitions.enumType(n);
            case 'd' -> definitions.domain(n);
            case 'r' -> definitions.range(n);
            default -> definitions.composite(n);
          };
      out.add(n.withCreate(List.of(create)));
    }
    return out;
  }

  private List<Node> standaloneSequences(List<String> schemas, Map<Ref, String> exported)
      throws SQLException {
    List<Node> out = new ArrayList<>();
    for (Node n :
        graph.nodes(
            "pg_class",
            Kind.SEQUENCE,
            "SELECT x.oid, n.nspname, x.relname, "
                + identify("pg_class", "x")
                + " FROM pg_catalog.pg_class x JOIN pg_catalog.pg_namespace n ON n.oid = x.relnamespace"
                + " WHERE x.relkind = 'S' AND n.nspname = ANY (?) AND "
                + notInExtension("pg_class", "x")
                + " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
                + "   AND d.objid = x.oid AND d.deptype = 'i')",
            schemas,
            false)) {
      if (!exported.containsKey(n.ref()) && selection.selects(n.schema(), n.name())) {
        out.add(n.withCreate(definitions.sequence(n)));
      }
    }
    return out;
  }

  private List<Node> functions(List<String> schemas) throws SQLException {
    List<Node> out = new ArrayList<>();
    String sql =
        "SELECT x.oid, n.nspname, x.proname, "
            + identify("pg_proc", "x")
            + " FROM pg_catalog.pg_proc x JOIN pg_catalog.pg_namespace n ON n.oid = x.pronamespace"
            + " WHERE n.nspname = ANY (?) AND "
            + notInExtension("pg_proc", "x")
            + " AND x.prokind ";
    for (Node n : graph.nodes("pg_proc", Kind.FUNCTION, sql + "<> 'a'", schemas, false)) {
      out.add(n.withCreate(List.of(definitions.function(n))));
    }
    for (Node n : graph.nodes("pg_proc", Kind.AGGREGATE, sql + "= 'a'", schemas, false)) {
      out.add(n.withCreate(List.of(PostgresAggregates.create(graph.connection(), n))));
    }
    return out;
  }

  private List<Node> views(List<String> schemas) throws SQLException {
    List<Node> out = new ArrayList<>();
    TableSelection excluded = new TableSelection(List.of(), List.of(), selection.exclude());
    String sql =
        "SELECT x.oid, n.nspname, x.relname, "
            + identify("pg_class", "x")
            + " FROM pg_catalog.pg_class x JOIN pg_catalog.pg_namespace n ON n.oid = x.relnamespace"
            + " WHERE n.nspname = ANY (?) AND "
            + notInExtension("pg_class", "x")
            + " AND x.relkind = ";
    for (Node n : graph.nodes("pg_class", Kind.VIEW, sql + "'v'", schemas, true)) {
      if (!n.name().startsWith("dbsnap_") && excluded.selects(n.schema(), n.name())) {
        out.add(n.withCreate(List.of(definitions.view(n))));
      }
    }
    for (Node n : graph.nodes("pg_class", Kind.MATERIALIZED_VIEW, sql + "'m'", schemas, true)) {
      if (!n.name().startsWith("dbsnap_") && excluded.selects(n.schema(), n.name())) {
        out.add(n.withCreate(definitions.materializedView(n)));
      }
    }
    return out;
  }

  /** Triggers, policies and extended statistics of the exported relations. */
  private List<Node> attached(Set<Long> relations) throws SQLException {
    List<Node> out = new ArrayList<>();
    if (relations.isEmpty()) {
      return out;
    }
    String oids = relations.toString().replace('[', '{').replace(']', '}').replace(" ", "");
    String in = " = ANY (CAST('" + oids + "' AS pg_catalog.oid[]))";
    for (Node n :
        graph.nodes(
            "pg_trigger",
            Kind.TRIGGER,
            "SELECT x.oid, n.nspname, x.tgname, "
                + identify("pg_trigger", "x")
                + " FROM pg_catalog.pg_trigger x JOIN pg_catalog.pg_class c ON c.oid = x.tgrelid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE NOT x.tgisinternal AND x.tgparentid = 0 AND x.tgrelid"
                + in,
            List.of(),
            true)) {
      out.add(n.withCreate(definitions.trigger(n)));
    }
    for (Node n :
        graph.nodes(
            "pg_policy",
            Kind.POLICY,
            "SELECT x.oid, n.nspname, x.polname, "
                + identify("pg_policy", "x")
                + " FROM pg_catalog.pg_policy x JOIN pg_catalog.pg_class c ON c.oid = x.polrelid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE x.polrelid"
                + in,
            List.of(),
            true)) {
      out.add(n.withCreate(List.of(definitions.policy(n))));
    }
    for (Node n :
        graph.nodes(
            "pg_statistic_ext",
            Kind.STATISTICS,
            "SELECT x.oid, n.nspname, x.stxname, "
                + identify("pg_statistic_ext", "x")
                + " FROM pg_catalog.pg_statistic_ext x JOIN pg_catalog.pg_namespace n ON n.oid = x.stxnamespace"
                + " WHERE x.stxrelid"
                + in,
            List.of(),
            true)) {
      out.add(n.withCreate(List.of(definitions.statistics(n))));
    }
    return out;
  }

  /**
   * Leaves out each object resting on something the export does not create (a view of an excluded
   * table, anything resting on a skipped object), listing it with what it misses.
   */
  private List<Node> withoutUnavailable(
      List<Node> nodes, Map<Ref, Set<Ref>> dependencies, Set<Ref> present) throws SQLException {
    Map<Ref, Node> kept = new LinkedHashMap<>();
    for (Node n : nodes) {
      kept.put(n.ref(), n);
    }
    Map<Ref, String> missing = new LinkedHashMap<>();
    boolean changed = true;
    while (changed) {
      changed = false;
      for (Node n : List.copyOf(kept.values())) {
        for (Ref d : dependencies.getOrDefault(n.ref(), Set.of())) {
          if (!present.contains(d)) {
            String what = missing.get(d);
            if (what == null) {
              what = graph.describe(d);
              missing.put(d, what);
            }
            kept.remove(n.ref());
            present.remove(n.ref());
            missing.put(n.ref(), n.kind().label + " " + n.identity());
            skipped.add(
                new DatabaseSchema.Skipped(
                    n.kind().label,
                    n.identity(),
                    "it rests on " + what + ", which the export leaves out"));
            changed = true;
            break;
          }
        }
      }
    }
    return new ArrayList<>(kept.values());
  }

  /**
   * Marks every object that rests, directly or not, on a table, a view or another post-data object
   * as post-data.
   */
  private static List<Node> placed(
      List<Node> nodes, Map<Ref, Set<Ref>> dependencies, Set<Ref> tables, Set<Ref> sequences) {
    Set<Ref> post = new HashSet<>(tables);
    post.addAll(sequences);
    for (Node n : nodes) {
      if (n.post()) {
        post.add(n.ref());
      }
    }
    boolean changed = true;
    while (changed) {
      changed = false;
      for (Node n : nodes) {
        if (post.contains(n.ref())) {
          continue;
        }
        for (Ref d : dependencies.getOrDefault(n.ref(), Set.of())) {
          if (post.contains(d)) {
            post.add(n.ref());
            changed = true;
            break;
          }
        }
      }
    }
    List<Node> out = new ArrayList<>();
    for (Node n : nodes) {
      out.add(n.withPost(post.contains(n.ref())));
    }
    return out;
  }

  private List<String> rowSecurity(Set<Ref> tables) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement st =
        graph
            .connection()
            .prepareStatement(
                "SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),"
                    + " c.relrowsecurity, c.relforcerowsecurity"
                    + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE c.oid = ? AND (c.relrowsecurity OR c.relforcerowsecurity)")) {
      for (Ref t : tables) {
        st.setLong(1, t.objId());
        try (ResultSet rs = st.executeQuery()) {
          if (rs.next()) {
            if (rs.getBoolean(2)) {
              out.add("ALTER TABLE " + rs.getString(1) + " ENABLE ROW LEVEL SECURITY");
            }
            if (rs.getBoolean(3)) {
              out.add("ALTER TABLE " + rs.getString(1) + " FORCE ROW LEVEL SECURITY");
            }
          }
        }
      }
    }
    return out;
  }

  /** UNLOGGED and storage parameters ({@code WITH (fillfactor = 70)}) onto each CREATE TABLE. */
  private List<TableSchema> tableOptions(List<TableSchema> all, Map<Ref, TableSchema> tables) {
    Map<TableSchema, String[]> options = new HashMap<>();
    for (Map.Entry<Ref, TableSchema> t : tables.entrySet()) {
      options.put(t.getValue(), relationOptions.get(t.getKey()));
    }
    List<TableSchema> out = new ArrayList<>();
    for (TableSchema t : all) {
      String[] o = options.get(t);
      String create = t.createSql();
      if (o != null && "u".equals(o[0]) && create.startsWith("CREATE TABLE ")) {
        create = "CREATE UNLOGGED TABLE " + create.substring("CREATE TABLE ".length());
      }
      if (o != null && o[1] != null && !o[1].isEmpty()) {
        create = create + " WITH (" + o[1] + ")";
      }
      out.add(
          create.equals(t.createSql())
              ? t
              : new TableSchema(
                  t.schema(),
                  t.name(),
                  t.columns(),
                  t.primaryKey(),
                  t.keyKind(),
                  create,
                  t.constraints(),
                  t.indexes(),
                  t.rowEstimate()));
    }
    return out;
  }
}
