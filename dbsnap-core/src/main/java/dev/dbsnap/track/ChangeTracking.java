package dev.dbsnap.track;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.SchemaOptions;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.SourceException;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.TableSelection;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Installs, reports and removes change tracking in a source database, the opt-in that gives each
 * tracked table a data version (DESIGN 9).
 *
 * <p>What a version promises: it is a 64-bit number that only grows; every committed change to the
 * table's rows gives a new version; two reads that see the same version of a table see the same
 * rows. A rolled-back change gives none; on PostgreSQL a statement that changes nothing in a
 * transaction that wrote before, or a statement through a parent table, may give a needless one. A
 * table whose triggers are gone or disabled, or (PostgreSQL) whose parents changed since install,
 * has no version until installed again. It is read in the reader's own transaction, with the rows
 * ({@link #version}). PostgreSQL keeps an insert-only change log written by statement-level
 * triggers, so writers of one table never wait for each other; SQLite, which has one writer at a
 * time, keeps a counter row per table bumped by row-level triggers. Schema changes are not
 * versions: a reader compares column shapes itself.
 *
 * <p>Immutable and thread-safe; each call opens its own connection and works in one transaction, so
 * a failed call changes nothing.
 */
public final class ChangeTracking {
  private final Source source;

  private ChangeTracking(Source source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  public static ChangeTracking of(Source source) {
    return new ChangeTracking(source);
  }

  /**
   * Tracks the selected tables; tables already tracked keep their version, so installing twice
   * changes nothing.
   *
   * @return every tracked table, with its version
   * @throws DbsnapException UNKNOWN_TABLE for a table the source does not have;
   *     SOURCE_PERMISSION_DENIED when the login may not create the schema, table or triggers
   */
  public List<TrackedTable> install(TableSelection tables) {
    return inTransaction(
        "installing change tracking in",
        c -> {
          tracker().install(c, introspect(c, tables));
          return tracker().status(c);
        });
  }

  /**
   * Stops tracking the selected tables; when no table stays tracked, everything dbsnap made in the
   * database (PostgreSQL: the {@code dbsnap} schema; SQLite: {@code dbsnap_versions} and the {@code
   * dbsnap_} triggers) is gone.
   *
   * @param tables the tables, or {@link TableSelection#ALL} for all of them
   * @return the tables still tracked
   * @throws DbsnapException UNKNOWN_TABLE for a table the source does not have;
   *     SOURCE_PERMISSION_DENIED when the login may not drop triggers
   */
  public List<TrackedTable> remove(TableSelection tables) {
    return inTransaction(
        "removing change tracking from",
        c -> {
          if (tables.equals(TableSelection.ALL)) {
            tracker().removeAll(c);
          } else {
            tracker().remove(c, introspect(c, tables));
          }
          return tracker().status(c);
        });
  }

  /**
   * The tracked tables and their versions now. On PostgreSQL it first folds the change log (one row
   * per table), which needs no right beyond EXECUTE on {@code dbsnap.fold()}.
   */
  public List<TrackedTable> status() {
    fold();
    return inTransaction("reading change tracking in", c -> tracker().status(c));
  }

  /**
   * PostgreSQL: folds the change log into one row per table, which keeps reading a version short on
   * a busy table; needs no right beyond EXECUTE on {@code dbsnap.fold()}. SQLite: nothing to do.
   */
  public void fold() {
    if (source.kind() == DialectKind.POSTGRESQL) {
      inTransaction(
          "folding the change log of",
          c -> {
            tracker().fold(c);
            return null;
          });
    }
  }

  /**
   * The version of {@code table} as the connection's current transaction sees it, or empty when the
   * table is not tracked. Call it in the transaction that reads the rows: the version then names
   * exactly the data read.
   *
   * @throws SQLException as the driver reports it
   */
  public static OptionalLong version(Connection connection, DialectKind kind, TableSchema table)
      throws SQLException {
    return tracker(kind).version(connection, table);
  }

  /**
   * PostgreSQL: an SQL expression of type bigint giving the version of the relation whose oid the
   * SQL expression {@code relationOid} gives, as {@link #version} reads it (null when untracked),
   * for a caller that reads it inside a statement of its own. Needs the {@code dbsnap} schema: test
   * for it with {@link #POSTGRES_INSTALLED} first.
   */
  public static String postgresVersionSql(String relationOid) {
    return PostgresTracker.version(relationOid);
  }

  /**
   * SQLite: a scalar subquery with one parameter, the table's name, giving its version as {@link
   * #version} reads it (null when untracked). Needs {@code dbsnap_versions}.
   */
  public static String sqliteVersionSql() {
    return SqliteTracker.VERSION;
  }

  /** PostgreSQL: a query of one boolean, whether this dbsnap's change tracking is installed. */
  public static final String POSTGRES_INSTALLED = PostgresTracker.CURRENT_INSTALL;

  private Tracker tracker() {
    return tracker(source.kind());
  }

  private static Tracker tracker(DialectKind kind) {
    return kind == DialectKind.POSTGRESQL ? new PostgresTracker() : new SqliteTracker();
  }

  /**
   * The selected tables, without an SQLite virtual table's shadow tables: an export carries them
   * with their virtual table, but they are the module's storage, written by it, not tables of their
   * own to version.
   */
  private List<TableSchema> introspect(Connection c, TableSelection tables) throws SQLException {
    DatabaseSchema schema = source.dialect().introspect(c, tables, SchemaOptions.TABLES_ONLY);
    if (source.kind() != DialectKind.SQLITE) {
      return schema.tables();
    }
    java.util.Set<String> shadows = new java.util.HashSet<>();
    try (java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("PRAGMA main.table_list")) {
      while (rs.next()) {
        if ("shadow".equals(rs.getString("type"))) {
          shadows.add(rs.getString("name"));
        }
      }
    }
    return schema.tables().stream().filter(t -> !shadows.contains(t.name())).toList();
  }

  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> T inTransaction(String what, Work<T> work) {
    try (Connection c = source.connectForWriting()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      String doing = what + " " + source;
      SourceException error = SourceException.from(e, ErrorCode.SOURCE_READ_FAILED, doing, null);
      if (error.code() != ErrorCode.SOURCE_PERMISSION_DENIED) {
        throw error;
      }
      throw SourceException.from(
          e,
          ErrorCode.SOURCE_READ_FAILED,
          doing
              + " needs the right to create and drop a schema, tables and triggers (PostgreSQL:"
              + " CREATE on the database and ownership of each tracked table)",
          null);
    }
  }
}
