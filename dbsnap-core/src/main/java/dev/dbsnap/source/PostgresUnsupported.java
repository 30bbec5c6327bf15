package dev.dbsnap.source;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * Finds the objects of the exported schemas (and, for a whole-database export, of the database)
 * that dbsnap cannot recreate: operators and their classes and families, casts, conversions, text
 * search objects, foreign data wrappers, servers and tables, base types, rules other than a view's,
 * event triggers, publications, subscriptions, large objects, user languages, access methods,
 * transforms and default privileges.
 */
final class PostgresUnsupported {
  /** catalog, alias column holding the schema (null: database-wide), extra condition. */
  private static final String[][] IN_SCHEMA = {
    {"pg_operator", "oprnamespace", "true"},
    {"pg_opclass", "opcnamespace", "true"},
    {"pg_opfamily", "opfnamespace", "true"},
    {"pg_conversion", "connamespace", "true"},
    {"pg_ts_config", "cfgnamespace", "true"},
    {"pg_ts_dict", "dictnamespace", "true"},
    {"pg_ts_parser", "prsnamespace", "true"},
    {"pg_ts_template", "tmplnamespace", "true"},
    {"pg_class", "relnamespace", "x.relkind = 'f'"},
    {
      "pg_type",
      "typnamespace",
      "x.typtype IN ('b', 'p') AND NOT (x.typcategory = 'A' AND x.typelem <> 0)"
    },
  };

  private static final String[][] DATABASE_WIDE = {
    {"pg_cast", "true"},
    {"pg_event_trigger", "true"},
    {"pg_publication", "true"},
    {"pg_foreign_data_wrapper", "true"},
    {"pg_foreign_server", "true"},
    {"pg_largeobject_metadata", "true"},
    {"pg_language", "true"},
    {"pg_am", "true"},
    {"pg_transform", "true"},
    {"pg_default_acl", "true"},
    {
      "pg_subscription",
      "x.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())"
    },
  };

  private final PostgresCatalogGraph graph;
  private final List<String> schemas;
  private final boolean databaseWide;

  PostgresUnsupported(PostgresCatalogGraph graph, List<String> schemas, boolean databaseWide) {
    this.graph = graph;
    this.schemas = schemas;
    this.databaseWide = databaseWide;
  }

  /**
   * @throws DbsnapException UNSUPPORTED_OBJECT naming the first such object, unless {@code
   *     options.skipUnsupported()}, in which case each is added to {@code skipped}
   */
  void check(SchemaOptions options, List<DatabaseSchema.Skipped> skipped) throws SQLException {
    for (String[] c : IN_SCHEMA) {
      find(
          "SELECT "
              + PostgresCatalogGraph.identify(c[0], "x")
              + " FROM pg_catalog."
              + c[0]
              + " x JOIN pg_catalog.pg_namespace n ON n.oid = x."
              + c[1]
              + " WHERE n.nspname = ANY (?) AND x.oid >= "
              + PostgresCatalogGraph.FIRST_USER_OID
              + " AND "
              + PostgresCatalogGraph.notInExtension(c[0], "x")
              + " AND "
              + c[2]
              + " ORDER BY 2",
          options,
          skipped);
    }
    // Rules other than a view's own, on tables of the exported schemas.
    find(
        "SELECT "
            + PostgresCatalogGraph.identify("pg_rewrite", "x")
            + " FROM pg_catalog.pg_rewrite x JOIN pg_catalog.pg_class c ON c.oid = x.ev_class"
            + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = ANY (?) AND x.rulename <> '_RETURN' AND x.oid >= "
            + PostgresCatalogGraph.FIRST_USER_OID
            + " ORDER BY 2",
        options,
        skipped);
    if (!databaseWide) {
      return;
    }
    for (String[] c : DATABASE_WIDE) {
      find(
          "SELECT "
              + PostgresCatalogGraph.identify(c[0], "x")
              + " FROM pg_catalog."
              + c[0]
              + " x WHERE x.oid >= "
              + PostgresCatalogGraph.FIRST_USER_OID
              + " AND "
              + PostgresCatalogGraph.notInExtension(c[0], "x")
              + " AND "
              + c[1]
              + " ORDER BY 2",
          options,
          skipped);
    }
  }

  private void find(String sql, SchemaOptions options, List<DatabaseSchema.Skipped> skipped)
      throws SQLException {
    try (PreparedStatement st = graph.connection().prepareStatement(sql)) {
      if (sql.contains("?")) {
        st.setArray(1, graph.names(schemas));
      }
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          String kind = rs.getString(1);
          String name = rs.getString(2);
          if (!options.skipUnsupported()) {
            throw new DbsnapException(
                ErrorCode.UNSUPPORTED_OBJECT,
                "dbsnap cannot carry "
                    + kind
                    + " "
                    + name
                    + "; use --skip-unsupported to leave it out");
          }
          skipped.add(
              new DatabaseSchema.Skipped(
                  kind, name, "dbsnap does not export objects of this kind"));
        }
      }
    }
  }
}
