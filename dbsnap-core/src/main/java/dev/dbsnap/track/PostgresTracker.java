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
 * would count the statement's rows, costs every statement a third more (see the README).
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
    try (Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA IF NOT EXISTS dbsnap");
      st.execute(
          "CREATE TABLE IF NOT EXISTS dbsnap.tracked ("
              + " tbl oid PRIMARY KEY, name text NOT NULL, base bigint NOT NULL,"
              + " installed_at timestamptz NOT NULL DEFAULT pg_catalog.now())");
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
    for (TableSchema t : tables) {
      long oid = oid(c, t);
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO dbsnap.tracked (tbl, name, base) VALUES (?::oid, ?,"
                  + " (extract(epoch FROM pg_catalog.clock_timestamp()) * 1000000)::bigint)"
                  + " ON CONFLICT (tbl) DO NOTHING")) {
        ps.setLong(1, oid);
        ps.setString(2, t.displayName());
        ps.executeUpdate();
      }
      if (!hasTrigger(c, oid, TRIGGER)) {
        createTrigger(c, qualified(t));
      }
    }
  }

  private static void createTrigger(Connection c, String table) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TRIGGER "
              + TRIGGER
              + " AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
              + table
              + " FOR EACH STATEMENT EXECUTE FUNCTION dbsnap.changed()");
    }
  }

  /**
   * Replaces the four per-event triggers of an earlier install (with transition tables) by the one
   * trigger per table, on every tracked table, and drops their functions.
   */
  private static void upgradeEarlierInstall(Connection c) throws SQLException {
    List<Long> oids = new ArrayList<>();
    List<String> names = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT DISTINCT t.tgrelid, t.tgrelid::regclass::text FROM pg_catalog.pg_trigger t"
                + " JOIN dbsnap.tracked d ON d.tbl = t.tgrelid WHERE t.tgname = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("text", EARLIER_TRIGGERS.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          oids.add(rs.getLong(1));
          names.add(rs.getString(2));
        }
      }
    }
    for (int i = 0; i < oids.size(); i++) {
      try (Statement st = c.createStatement()) {
        for (String trigger : EARLIER_TRIGGERS) {
          st.execute("DROP TRIGGER IF EXISTS " + trigger + " ON " + names.get(i));
        }
      }
      if (!hasTrigger(c, oids.get(i), TRIGGER)) {
        createTrigger(c, names.get(i));
      }
    }
    try (Statement st = c.createStatement()) {
      st.execute("DROP FUNCTION IF EXISTS dbsnap.changed_rows(), dbsnap.truncated()");
    }
  }

  @Override
  public void remove(Connection c, List<TableSchema> tables) throws SQLException {
    if (!installed(c)) {
      return;
    }
    for (TableSchema t : tables) {
      long oid = oid(c, t);
      try (Statement st = c.createStatement()) {
        st.execute("DROP TRIGGER IF EXISTS " + TRIGGER + " ON " + qualified(t));
        for (String trigger : EARLIER_TRIGGERS) {
          st.execute("DROP TRIGGER IF EXISTS " + trigger + " ON " + qualified(t));
        }
      }
      try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM dbsnap.tracked WHERE tbl = ?::oid");
          PreparedStatement log =
              c.prepareStatement("DELETE FROM dbsnap.changes WHERE tbl = ?::oid")) {
        ps.setLong(1, oid);
        ps.executeUpdate();
        log.setLong(1, oid);
        log.executeUpdate();
      }
    }
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
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT t.name, t.base + coalesce((SELECT sum(weight) FROM dbsnap.changes c"
                    + " WHERE c.tbl = t.tbl), 0)"
                    + " FROM dbsnap.tracked t ORDER BY t.name COLLATE \"C\"")) {
      while (rs.next()) {
        result.add(new TrackedTable(rs.getString(1), rs.getLong(2)));
      }
    }
    return result;
  }

  @Override
  public OptionalLong version(Connection c, TableSchema table) throws SQLException {
    if (!installed(c)) {
      return OptionalLong.empty();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT t.base + coalesce((SELECT sum(weight) FROM dbsnap.changes c"
                + " WHERE c.tbl = t.tbl), 0)"
                + " FROM dbsnap.tracked t JOIN pg_catalog.pg_class r ON r.oid = t.tbl"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace"
                + " WHERE n.nspname = ? AND r.relname = ?")) {
      ps.setString(1, table.schema());
      ps.setString(2, table.name());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
      }
    }
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

  private static boolean hasTrigger(Connection c, long oid, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = ?::oid AND tgname = ?")) {
      ps.setLong(1, oid);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
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
