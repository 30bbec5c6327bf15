package dev.dbsnap.track;

import dev.dbsnap.source.TableSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Change tracking in PostgreSQL, without a row that writers share.
 *
 * <p>Every statement that changes a tracked table appends one row to the insert-only log {@code
 * dbsnap.changes}, in the writer's own transaction: one statement-level AFTER trigger per table, on
 * INSERT, UPDATE, DELETE and TRUNCATE. A table's version is its base (the install time in
 * microseconds, so a reinstall never reuses a version) plus the number of its committed log rows,
 * read in the reader's snapshot: the log rows of a transaction become visible exactly when its data
 * does, and a later snapshot sees a superset of an earlier one, so two snapshots with the same
 * version see the same committed changes of the table. The maximum of a sequence would not do:
 * commits land out of sequence order. {@link #fold} replaces a table's rows by one row with their
 * sum, in one transaction, which leaves every snapshot's sum unchanged.
 *
 * <p>A statement whose transaction has no transaction id yet changed no row, and logs nothing: an
 * autocommit {@code DELETE} that finds nothing leaves the version alone. A statement that changes
 * no row in a transaction that has written before logs a change all the same: a needless new
 * version, never a missed one. That check costs the trigger nothing; a transition table, which
 * would count the statement's rows, made the trigger half as costly again (see the README).
 *
 * <p>A statement on an inheritance parent or a partitioned table changes rows of its children, but
 * fires only the parent's statement triggers. So every ancestor of a tracked table (through {@code
 * pg_inherits}, at any depth) gets the trigger too, its statements log the ancestor's oid, and a
 * table's version counts the log rows of the table and of its ancestors: a statement through a
 * parent gives every tracked descendant a new version, needlessly for those it did not touch. The
 * ancestors are recorded at install ({@code dbsnap.tracked.ancestors}); {@link #version} gives no
 * version while they differ from the catalog's (a table attached to or detached from a parent
 * since), and installing again records them anew with a base above every version given before, so a
 * version never goes back when the set of counted log rows changes.
 *
 * <p>The trigger function is SECURITY DEFINER, so writers need no right on the {@code dbsnap}
 * schema, and {@code dbsnap.fold()} may be granted to a role that only reads. The trigger function
 * carries no {@code SET search_path}: its body is schema-qualified, and only the installer may
 * execute it, which is what creating a trigger with it needs.
 */
final class PostgresTracker implements Tracker {
  static final String SCHEMA = "dbsnap";
  private static final String TRIGGER = "dbsnap_change";

  /** Trigger names of installs before one trigger per table; install replaces them. */
  private static final List<String> EARLIER_TRIGGERS =
      List.of("dbsnap_insert", "dbsnap_update", "dbsnap_delete", "dbsnap_truncate");

  @Override
  public void install(Connection c, List<TableSchema> tables) throws SQLException {
    createSchema(c);
    prune(c);
    for (TableSchema t : tables) {
      long oid = oid(c, t);
      // A table that has no version now (its ancestors changed, or a trigger it needs went
      // missing or was disabled, so changes may have gone unlogged) gets its ancestors recorded
      // anew and a base above every version it had.
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO dbsnap.tracked AS t (tbl, name, base, ancestors) VALUES (?::oid, ?,"
                  + " (extract(epoch FROM pg_catalog.clock_timestamp()) * 1000000)::bigint,"
                  + ancestors("?::oid")
                  + ")"
                  + " ON CONFLICT (tbl) DO UPDATE SET ancestors = excluded.ancestors,"
                  + " base = GREATEST(excluded.base, t.base + 1 + coalesce(("
                  + "   SELECT pg_catalog.sum(c.weight) FROM dbsnap.changes c"
                  + "   WHERE c.tbl = ANY (t.tbl || t.ancestors)), 0)::bigint)"
                  + " WHERE "
                  + version("t.tbl")
                  + " IS NULL")) {
        ps.setLong(1, oid);
        ps.setString(2, t.displayName());
        ps.setLong(3, oid);
        ps.executeUpdate();
      }
    }
    ensureTriggers(c);
    prune(c);
  }

  /**
   * The trigger, enabled ALWAYS, on every tracked table and on each of their recorded ancestors:
   * created where it is missing, enabled where it was disabled or enabled only for origin writes.
   */
  private static void ensureTriggers(Connection c) throws SQLException {
    List<String> missing = new ArrayList<>();
    List<String> notAlways = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT r.oid::pg_catalog.regclass::text, g.tgenabled"
                + " FROM pg_catalog.unnest(?::oid[]) r(oid) LEFT JOIN pg_catalog.pg_trigger g"
                + " ON g.tgrelid = r.oid AND g.tgname = ?")) {
      ps.setArray(1, c.createArrayOf("bigint", relationsNeedingTheTrigger(c).toArray()));
      ps.setString(2, TRIGGER);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String enabled = rs.getString(2);
          if (enabled == null) {
            missing.add(rs.getString(1));
          } else if (!enabled.equals("A")) {
            notAlways.add(rs.getString(1));
          }
        }
      }
    }
    try (Statement st = c.createStatement()) {
      for (String table : missing) {
        st.execute(
            "CREATE TRIGGER "
                + TRIGGER
                + " AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
                + table
                + " FOR EACH STATEMENT EXECUTE FUNCTION dbsnap.changed()");
        notAlways.add(table); // a new trigger fires for origin writes only
      }
      for (String table : notAlways) {
        st.execute("ALTER TABLE " + table + " ENABLE ALWAYS TRIGGER " + TRIGGER);
      }
    }
  }

  /**
   * Forgets tables dropped since they were installed, and drops the trigger and the log rows of
   * every relation that is neither tracked nor an ancestor of a tracked table any more (an ancestor
   * may serve several tracked tables).
   */
  private static void prune(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "DELETE FROM dbsnap.tracked t"
              + " WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid = t.tbl)");
    }
    List<Long> needed = relationsNeedingTheTrigger(c);
    List<String> unneeded = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT tgrelid::regclass::text FROM pg_catalog.pg_trigger"
                + " WHERE tgname = ? AND tgfoid = 'dbsnap.changed()'::pg_catalog.regprocedure"
                + " AND tgrelid <> ALL (?::oid[])")) {
      ps.setString(1, TRIGGER);
      ps.setArray(2, c.createArrayOf("bigint", needed.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          unneeded.add(rs.getString(1));
        }
      }
    }
    try (Statement st = c.createStatement()) {
      for (String relation : unneeded) {
        st.execute("DROP TRIGGER " + TRIGGER + " ON " + relation);
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM dbsnap.changes WHERE tbl <> ALL (?::oid[])")) {
      ps.setArray(1, c.createArrayOf("bigint", needed.toArray()));
      ps.executeUpdate();
    }
  }

  /**
   * The schema, its tables and functions, created or brought up to date (an install of an earlier
   * dbsnap gains the ancestors column and has its per-event triggers replaced).
   */
  private static void createSchema(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA IF NOT EXISTS dbsnap");
      st.execute(
          "CREATE TABLE IF NOT EXISTS dbsnap.tracked ("
              + " tbl oid PRIMARY KEY, name text NOT NULL, base bigint NOT NULL,"
              + " installed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
              + " ancestors oid[] NOT NULL DEFAULT '{}')");
      st.execute(
          "ALTER TABLE dbsnap.tracked ADD COLUMN IF NOT EXISTS ancestors oid[] NOT NULL"
              + " DEFAULT '{}'");
      st.execute(
          "CREATE TABLE IF NOT EXISTS dbsnap.changes (tbl oid NOT NULL, weight bigint NOT NULL)");
      st.execute("CREATE INDEX IF NOT EXISTS changes_tbl ON dbsnap.changes (tbl)");
      // Any login that reads the tables may read their versions; only the functions write.
      st.execute("GRANT USAGE ON SCHEMA dbsnap TO PUBLIC");
      st.execute("GRANT SELECT ON dbsnap.tracked, dbsnap.changes TO PUBLIC");
      st.execute(
          "CREATE OR REPLACE FUNCTION dbsnap.changed() RETURNS trigger LANGUAGE plpgsql"
              + " SECURITY DEFINER AS $f$"
              + " BEGIN"
              + "   IF pg_catalog.txid_current_if_assigned() IS NOT NULL THEN"
              + "     INSERT INTO dbsnap.changes (tbl, weight) VALUES (TG_RELID, 1);"
              + "   END IF;"
              + "   RETURN NULL;"
              + " END $f$");
      // Only the installer may attach the trigger function to a table (CREATE TRIGGER needs
      // EXECUTE; firing does not). It names every relation by schema, so it needs no SET
      // search_path: that clause costs each call a configuration save and restore, as much as
      // the rest of the trigger (see the README).
      st.execute("REVOKE EXECUTE ON FUNCTION dbsnap.changed() FROM PUBLIC");
      st.execute(
          "CREATE OR REPLACE FUNCTION dbsnap.fold() RETURNS void LANGUAGE sql"
              + " SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$"
              + " WITH folded AS (DELETE FROM dbsnap.changes RETURNING tbl, weight)"
              + " INSERT INTO dbsnap.changes (tbl, weight)"
              + " SELECT tbl, sum(weight) FROM folded GROUP BY tbl $f$");
    }
    upgradeEarlierInstall(c);
  }

  /** The tracked tables and their recorded ancestors. */
  private static List<Long> relationsNeedingTheTrigger(Connection c) throws SQLException {
    List<Long> oids = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT tbl FROM dbsnap.tracked"
                    + " UNION SELECT pg_catalog.unnest(ancestors) FROM dbsnap.tracked ORDER BY 1")) {
      while (rs.next()) {
        oids.add(rs.getLong(1));
      }
    }
    return oids;
  }

  /**
   * Replaces the four per-event triggers of an earlier install (with transition tables) by the one
   * trigger per table, on every tracked table, and drops their functions.
   */
  private static void upgradeEarlierInstall(Connection c) throws SQLException {
    List<String> earlier = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT DISTINCT t.tgrelid::regclass::text FROM pg_catalog.pg_trigger t"
                + " JOIN dbsnap.tracked d ON d.tbl = t.tgrelid WHERE t.tgname = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("text", EARLIER_TRIGGERS.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          earlier.add(rs.getString(1));
        }
      }
    }
    try (Statement st = c.createStatement()) {
      for (String table : earlier) {
        for (String trigger : EARLIER_TRIGGERS) {
          st.execute("DROP TRIGGER IF EXISTS " + trigger + " ON " + table);
        }
      }
      st.execute("DROP FUNCTION IF EXISTS dbsnap.changed_rows(), dbsnap.truncated()");
    }
    if (!earlier.isEmpty()) {
      ensureTriggers(c); // the tables that stay tracked when remove is what brought us here
    }
  }

  @Override
  public void remove(Connection c, List<TableSchema> tables) throws SQLException {
    if (!installed(c)) {
      return;
    }
    if (!current(c)) {
      createSchema(c);
    }
    for (TableSchema t : tables) {
      long oid = oid(c, t);
      try (Statement st = c.createStatement()) {
        for (String trigger : EARLIER_TRIGGERS) {
          st.execute("DROP TRIGGER IF EXISTS " + trigger + " ON " + qualified(t));
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement("DELETE FROM dbsnap.tracked WHERE tbl = ?::oid")) {
        ps.setLong(1, oid);
        ps.executeUpdate();
      }
    }
    prune(c);
    boolean empty;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT NOT EXISTS (SELECT 1 FROM dbsnap.tracked)")) {
      rs.next();
      empty = rs.getBoolean(1);
    }
    if (empty) {
      try (Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA dbsnap CASCADE");
      }
    }
  }

  @Override
  public void removeAll(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      // the triggers depend on the schema's function, so CASCADE drops them from every table
      st.execute("DROP SCHEMA IF EXISTS dbsnap CASCADE");
    }
  }

  @Override
  public List<TrackedTable> status(Connection c) throws SQLException {
    List<TrackedTable> result = new ArrayList<>();
    if (!installed(c)) {
      return result;
    }
    if (!current(c)) {
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery("SELECT name FROM dbsnap.tracked ORDER BY name COLLATE \"C\"")) {
        while (rs.next()) {
          result.add(
              new TrackedTable(
                  rs.getString(1),
                  0,
                  "no version: tracking was installed by an earlier dbsnap;"
                      + " run dbsnap track install again"));
        }
      }
      return result;
    }
    // the current name (a table may have been renamed); dropped tables were pruned or are hidden
    String shown =
        "(CASE WHEN n.nspname = 'public' THEN r.relname::text"
            + " ELSE n.nspname || '.' || r.relname END)";
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT "
                    + shown
                    + ", "
                    + version("t.tbl")
                    + ", ARRAY(SELECT pg_catalog.unnest("
                    + ancestors("t.tbl")
                    + ")::regclass::text EXCEPT SELECT pg_catalog.unnest(t.ancestors)::regclass::text),"
                    + " ARRAY(SELECT pg_catalog.unnest(t.ancestors)::regclass::text EXCEPT"
                    + " SELECT pg_catalog.unnest("
                    + ancestors("t.tbl")
                    + ")::regclass::text), "
                    + untriggered("t")
                    + "::text[] FROM dbsnap.tracked t JOIN pg_catalog.pg_class r ON r.oid = t.tbl"
                    + " JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
                    + " ORDER BY "
                    + shown
                    + " COLLATE \"C\"")) {
      while (rs.next()) {
        long version = rs.getLong(2);
        result.add(
            rs.wasNull()
                ? new TrackedTable(
                    rs.getString(1),
                    0,
                    noVersion(
                        (String[]) rs.getArray(3).getArray(),
                        (String[]) rs.getArray(4).getArray(),
                        (String[]) rs.getArray(5).getArray()))
                : new TrackedTable(rs.getString(1), version));
      }
    }
    return result;
  }

  @Override
  public OptionalLong version(Connection c, TableSchema table) throws SQLException {
    if (!current(c)) {
      return OptionalLong.empty();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + version("r.oid")
                + " FROM pg_catalog.pg_class r"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
                + " WHERE n.nspname = ? AND r.relname = ?")) {
      ps.setString(1, table.schema());
      ps.setString(2, table.name());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return OptionalLong.empty();
        }
        long version = rs.getLong(1);
        return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(version);
      }
    }
  }

  /**
   * Why a tracked table has no version: parents it gained or lost since it was installed, or
   * relations whose trigger is missing or disabled.
   */
  private static String noVersion(String[] gained, String[] lost, String[] untriggered) {
    List<String> why = new ArrayList<>();
    if (gained.length > 0) {
      why.add("it became a child or partition of " + String.join(", ", gained));
    }
    if (lost.length > 0) {
      why.add("it is no longer a child or partition of " + String.join(", ", lost));
    }
    if (untriggered.length > 0) {
      why.add(
          "the trigger "
              + TRIGGER
              + " on "
              + String.join(", ", untriggered)
              + " was dropped or disabled, so changes may have gone unlogged");
    }
    return "no version: "
        + String.join(" and ", why)
        + " since tracking was installed; run dbsnap track install again";
  }

  @Override
  public void fold(Connection c) throws SQLException {
    if (installed(c)) {
      try (Statement st = c.createStatement()) {
        st.execute("SELECT dbsnap.fold()");
      }
    }
  }

  private static boolean installed(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT pg_catalog.to_regclass('dbsnap.tracked') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /**
   * The version of the relation whose oid {@code oid} (an SQL expression) gives, as an SQL
   * expression of type bigint: its base plus the committed changes of the relation and of its
   * ancestors, or null when it is not tracked or its ancestors differ from those recorded. Inline
   * SQL rather than a function in {@code dbsnap}: PostgreSQL plans an SQL function's body at every
   * call, which made a snapshot hit's probe five times slower.
   */
  static String version(String oid) {
    // the aliases are unusual so that oid may name a column of the caller's query
    return "(SELECT (dbsnap_t.base + coalesce((SELECT pg_catalog.sum(dbsnap_c.weight)"
        + " FROM dbsnap.changes dbsnap_c"
        + " WHERE dbsnap_c.tbl = ANY (dbsnap_t.tbl || dbsnap_t.ancestors)), 0))::bigint"
        + " FROM dbsnap.tracked dbsnap_t WHERE dbsnap_t.tbl = "
        + oid
        + " AND dbsnap_t.ancestors = "
        + ancestors(oid)
        + " AND pg_catalog.cardinality("
        + untriggered("dbsnap_t")
        + ") = 0)";
  }

  /**
   * The relations among a tracked row's table and ancestors ({@code row} is the alias of {@code
   * dbsnap.tracked}) whose {@code dbsnap_change} trigger is missing or does not fire always, as an
   * SQL expression of type regclass[]: a dropped trigger, {@code ALTER TABLE … DISABLE TRIGGER}, or
   * a table dropped and its oid taken by another. Its changes would go unlogged, so it has no
   * version. The trigger is enabled ALWAYS so that it fires under {@code session_replication_role =
   * replica} too, as logical replication's apply worker and {@code pg_restore} write.
   */
  static String untriggered(String row) {
    return "ARRAY(SELECT dbsnap_r.oid::pg_catalog.regclass FROM pg_catalog.unnest("
        + row
        + ".tbl || "
        + row
        + ".ancestors) dbsnap_r(oid) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger dbsnap_g"
        + " WHERE dbsnap_g.tgrelid = dbsnap_r.oid AND dbsnap_g.tgname = '"
        + TRIGGER
        + "' AND dbsnap_g.tgenabled = 'A'))";
  }

  /**
   * The oids of the inheritance and partition ancestors, at any depth, of the relation whose oid
   * {@code oid} gives, sorted, as an SQL expression of type oid[].
   */
  static String ancestors(String oid) {
    return "ARRAY(WITH RECURSIVE dbsnap_up(oid) AS (SELECT dbsnap_i.inhparent"
        + " FROM pg_catalog.pg_inherits dbsnap_i WHERE dbsnap_i.inhrelid = "
        + oid
        + " UNION SELECT dbsnap_i.inhparent FROM pg_catalog.pg_inherits dbsnap_i"
        + " JOIN dbsnap_up ON dbsnap_i.inhrelid = dbsnap_up.oid)"
        + " SELECT dbsnap_up.oid FROM dbsnap_up ORDER BY dbsnap_up.oid)";
  }

  /** Whether the install is this dbsnap's, with recorded ancestors; earlier ones have none. */
  private static boolean current(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(CURRENT_INSTALL)) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /** SQL: whether {@code dbsnap.tracked} exists with the ancestors column. */
  static final String CURRENT_INSTALL =
      "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute"
          + " WHERE attrelid = pg_catalog.to_regclass('dbsnap.tracked') AND attname = 'ancestors')";

  private static long oid(Connection c, TableSchema t) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT c.oid FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ?")) {
      ps.setString(1, t.schema());
      ps.setString(2, t.name());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("relation " + qualified(t) + " does not exist", "42P01");
        }
        return rs.getLong(1);
      }
    }
  }

  static String qualified(TableSchema t) {
    return quote(t.schema()) + "." + quote(t.name());
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
