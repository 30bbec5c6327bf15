package dev.dbsnap.snapshot;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;

/**
 * The snapshot index and the build leases in the control database (SQLite for one process,
 * PostgreSQL for a fleet): which snapshots exist, each table's purge generation, and who builds
 * what. Every change is a compare-and-set, so two processes never both believe they own a build,
 * and a build registers only under the generation it started from (DESIGN 10). Thread-safe; on
 * SQLite the calls of one process are serialised, which is all SQLite allows anyway.
 */
final class SnapshotIndex {
  static final String CHANNEL = "dbsnap_snapshots";

  private final DataSource db;
  private final boolean postgres;
  private final ReentrantLock sqliteLock = new ReentrantLock();

  SnapshotIndex(DataSource db) {
    this.db = db;
    try (Connection c = db.getConnection()) {
      String url = c.getMetaData().getURL();
      this.postgres = url != null && url.startsWith("jdbc:postgresql:");
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  boolean postgres() {
    return postgres;
  }

  DataSource dataSource() {
    return db;
  }

  void init() {
    run(
        c -> {
          try (Statement st = c.createStatement()) {
            st.execute(
                "CREATE TABLE IF NOT EXISTS dbsnap_snapshot_tables (source TEXT NOT NULL,"
                    + " tbl TEXT NOT NULL, generation BIGINT NOT NULL, PRIMARY KEY (source, tbl))");
            st.execute(
                "CREATE TABLE IF NOT EXISTS dbsnap_snapshots (object_key TEXT PRIMARY KEY,"
                    + " source TEXT NOT NULL, tbl TEXT NOT NULL, shape TEXT NOT NULL, version BIGINT,"
                    + " format TEXT NOT NULL, compression TEXT NOT NULL, bytes BIGINT NOT NULL,"
                    + " rows_count BIGINT NOT NULL, sha256 TEXT NOT NULL, built_at BIGINT NOT NULL,"
                    + " last_used_at BIGINT NOT NULL, superseded_at BIGINT)");
            st.execute(
                "CREATE INDEX IF NOT EXISTS dbsnap_snapshots_table"
                    + " ON dbsnap_snapshots (source, tbl, shape)");
            st.execute(
                "CREATE TABLE IF NOT EXISTS dbsnap_snapshot_builds (build TEXT PRIMARY KEY,"
                    + " source TEXT NOT NULL, tbl TEXT NOT NULL, generation BIGINT NOT NULL,"
                    + " state TEXT NOT NULL, owner TEXT, lease_until BIGINT, attempt BIGINT NOT NULL,"
                    + " runs BIGINT NOT NULL, takeovers BIGINT NOT NULL, checkpoint TEXT,"
                    + " result_key TEXT, error_code TEXT, error_message TEXT,"
                    + " started_at BIGINT NOT NULL, finished_at BIGINT)");
            st.execute(
                "CREATE TABLE IF NOT EXISTS dbsnap_snapshot_orphans (object_key TEXT PRIMARY KEY,"
                    + " first_seen BIGINT NOT NULL)");
          }
          return null;
        });
  }

  // ---- the index

  Optional<Snapshot> find(String key) {
    return run(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE object_key = ?")) {
            ps.setString(1, key);
            return first(ps);
          }
        });
  }

  /** The newest snapshot of an untracked table's shape built at or after {@code since}. */
  Optional<Snapshot> newestSince(String source, String table, String shape, Instant since) {
    return run(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  SELECT
                      + " WHERE source = ? AND tbl = ? AND shape = ? AND version IS NULL"
                      + " AND built_at >= ? AND superseded_at IS NULL ORDER BY built_at DESC")) {
            ps.setString(1, source);
            ps.setString(2, table);
            ps.setString(3, shape);
            ps.setLong(4, since.toEpochMilli());
            return first(ps);
          }
        });
  }

  List<Snapshot> list(String source) {
    return run(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  SELECT + " WHERE source = ? AND superseded_at IS NULL ORDER BY tbl, built_at")) {
            ps.setString(1, source);
            return all(ps);
          }
        });
  }

  /** Last-used times, for {@link #list}: key to epoch millis. */
  long lastUsed(String key) {
    return run(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT last_used_at FROM dbsnap_snapshots WHERE object_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? rs.getLong(1) : 0L;
            }
          }
        });
  }

  /**
   * The snapshot under {@code key}, marked as used {@code now}. Last-used times are kept to the
   * second, so the row is written at most once a second however many hits it gets. PostgreSQL: one
   * statement (the update in a WITH, read past by the select, which sees the row as it was).
   * SQLite, which has no data-changing WITH: a select, and an update only when the second has
   * changed.
   */
  Optional<Snapshot> hit(String key, Instant now) {
    long second = now.truncatedTo(ChronoUnit.SECONDS).toEpochMilli();
    if (postgres) {
      return run(
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "WITH touched AS (UPDATE dbsnap_snapshots SET last_used_at = ?"
                        + " WHERE object_key = ? AND last_used_at < ? RETURNING object_key) "
                        + SELECT
                        + " WHERE object_key = ?")) {
              ps.setLong(1, second);
              ps.setString(2, key);
              ps.setLong(3, second);
              ps.setString(4, key);
              return first(ps);
            }
          });
    }
    return run(
        c -> {
          Optional<Snapshot> found;
          long lastUsed;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + COLUMNS
                      + ", last_used_at FROM dbsnap_snapshots WHERE object_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              found = Optional.of(snapshot(rs));
              lastUsed = rs.getLong(12);
            }
          }
          if (lastUsed < second) {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE dbsnap_snapshots SET last_used_at = ?"
                        + " WHERE object_key = ? AND last_used_at < ?")) {
              ps.setLong(1, second);
              ps.setString(2, key);
              ps.setLong(3, second);
              ps.executeUpdate();
            }
          }
          return found;
        });
  }

  /** The table's purge generation, 0 until its first purge. */
  long generation(String source, String table) {
    return run(c -> generation(c, source, table));
  }

  private static long generation(Connection c, String source, String table) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT generation FROM dbsnap_snapshot_tables WHERE source = ? AND tbl = ?")) {
      ps.setString(1, source);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0L;
      }
    }
  }

  // ---- builds

  /** A build row as read. */
  record Build(
      String build,
      long generation,
      String state,
      String owner,
      long leaseUntil,
      long attempt,
      String checkpoint,
      String resultKey,
      String errorCode,
      String errorMessage,
      long startedAt) {
    boolean building() {
      return state.equals("building");
    }
  }

  /** What a claim found. */
  record Claim(boolean claimed, Build build) {}

  /**
   * Claims the build: creates it, takes it over when its lease expired, or starts it again when it
   * ended in an attempt other than {@code observedAttempt}.
   */
  Claim claim(
      String build,
      String source,
      String table,
      long generation,
      String owner,
      Instant now,
      Instant leaseUntil,
      long observedAttempt) {
    return run(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO dbsnap_snapshot_builds (build, source, tbl, generation, state,"
                      + " owner, lease_until, attempt, runs, takeovers, started_at)"
                      + " VALUES (?, ?, ?, ?, 'building', ?, ?, 1, 1, 0, ?)"
                      + " ON CONFLICT (build) DO NOTHING")) {
            ps.setString(1, build);
            ps.setString(2, source);
            ps.setString(3, table);
            ps.setLong(4, generation);
            ps.setString(5, owner);
            ps.setLong(6, leaseUntil.toEpochMilli());
            ps.setLong(7, now.toEpochMilli());
            if (ps.executeUpdate() == 1) {
              return new Claim(true, read(c, build));
            }
          }
          Build row = read(c, build);
          if (row.building()) {
            if (row.leaseUntil() >= now.toEpochMilli()) {
              return new Claim(false, row);
            }
            // the owner died: take it over, keeping its checkpoint and generation
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE dbsnap_snapshot_builds SET owner = ?, lease_until = ?,"
                        + " runs = runs + 1, takeovers = takeovers + 1"
                        + " WHERE build = ? AND attempt = ? AND state = 'building' AND owner = ?"
                        + " AND lease_until = ?")) {
              ps.setString(1, owner);
              ps.setLong(2, leaseUntil.toEpochMilli());
              ps.setString(3, build);
              ps.setLong(4, row.attempt());
              ps.setString(5, row.owner());
              ps.setLong(6, row.leaseUntil());
              return new Claim(ps.executeUpdate() == 1, read(c, build));
            }
          }
          if (row.attempt() == observedAttempt) {
            return new Claim(false, row);
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE dbsnap_snapshot_builds SET state = 'building', owner = ?,"
                      + " lease_until = ?, attempt = attempt + 1, runs = runs + 1,"
                      + " generation = ?, checkpoint = NULL, result_key = NULL,"
                      + " error_code = NULL, error_message = NULL, started_at = ?,"
                      + " finished_at = NULL WHERE build = ? AND attempt = ? AND state = ?")) {
            ps.setString(1, owner);
            ps.setLong(2, leaseUntil.toEpochMilli());
            ps.setLong(3, generation);
            ps.setLong(4, now.toEpochMilli());
            ps.setString(5, build);
            ps.setLong(6, row.attempt());
            ps.setString(7, row.state());
            return new Claim(ps.executeUpdate() == 1, read(c, build));
          }
        });
  }

  Build read(String build) {
    return run(c -> read(c, build));
  }

  private static Build read(Connection c, String build) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT build, generation, state, owner, lease_until, attempt, checkpoint,"
                + " result_key, error_code, error_message, started_at"
                + " FROM dbsnap_snapshot_builds WHERE build = ?")) {
      ps.setString(1, build);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("build " + build + " vanished from the index");
        }
        return new Build(
            rs.getString(1),
            rs.getLong(2),
            rs.getString(3),
            rs.getString(4),
            rs.getLong(5),
            rs.getLong(6),
            rs.getString(7),
            rs.getString(8),
            rs.getString(9),
            rs.getString(10),
            rs.getLong(11));
      }
    }
  }

  /** Renews the lease; false when it is no longer ours. */
  boolean renew(String build, String owner, long attempt, Instant until) {
    return update(
        "UPDATE dbsnap_snapshot_builds SET lease_until = ?"
            + " WHERE build = ? AND owner = ? AND attempt = ? AND state = 'building'",
        until.toEpochMilli(),
        build,
        owner,
        attempt);
  }

  boolean saveCheckpoint(String build, String owner, long attempt, String checkpoint) {
    return update(
        "UPDATE dbsnap_snapshot_builds SET checkpoint = ?"
            + " WHERE build = ? AND owner = ? AND attempt = ? AND state = 'building'",
        checkpoint,
        build,
        owner,
        attempt);
  }

  /** How a registration went. */
  enum Registered {
    REGISTERED,
    /** The table was purged since the build started: the object must go. */
    PURGED,
    /** The build is no longer ours. */
    LOST
  }

  /**
   * Registers a finished build's snapshot, in one transaction with the generation check, the
   * build's end and the wake-up of every waiter; older versions of the same shape are marked
   * superseded.
   */
  Registered register(String build, String owner, long attempt, long generation, Snapshot s) {
    return transaction(
        c -> {
          if (generation(c, s.source(), s.table()) != generation) {
            end(
                c,
                build,
                owner,
                attempt,
                "purged",
                null,
                "purged",
                "the table was purged",
                s.builtAt().toEpochMilli());
            return Registered.PURGED;
          }
          if (!end(
              c, build, owner, attempt, "done", s.key(), null, null, s.builtAt().toEpochMilli())) {
            return Registered.LOST;
          }
          try (PreparedStatement del =
                  c.prepareStatement("DELETE FROM dbsnap_snapshots WHERE object_key = ?");
              PreparedStatement ins =
                  c.prepareStatement(
                      "INSERT INTO dbsnap_snapshots (object_key, source, tbl, shape, version, format,"
                          + " compression, bytes, rows_count, sha256, built_at, last_used_at)"
                          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
              PreparedStatement old =
                  c.prepareStatement(
                      "UPDATE dbsnap_snapshots SET superseded_at = ? WHERE source = ? AND tbl = ?"
                          + " AND shape = ? AND object_key <> ? AND superseded_at IS NULL")) {
            del.setString(1, s.key());
            del.executeUpdate();
            ins.setString(1, s.key());
            ins.setString(2, s.source());
            ins.setString(3, s.table());
            ins.setString(4, s.shape());
            ins.setObject(5, s.version());
            ins.setString(6, s.format());
            ins.setString(7, s.compression());
            ins.setLong(8, s.bytes());
            ins.setLong(9, s.rows());
            ins.setString(10, s.sha256());
            ins.setLong(11, s.builtAt().toEpochMilli());
            ins.setLong(12, s.builtAt().toEpochMilli());
            ins.executeUpdate();
            old.setLong(1, s.builtAt().toEpochMilli());
            old.setString(2, s.source());
            old.setString(3, s.table());
            old.setString(4, s.shape());
            old.setString(5, s.key());
            old.executeUpdate();
          }
          return Registered.REGISTERED;
        });
  }

  /** Ends a build that failed; false when it was no longer ours. */
  boolean fail(
      String build, String owner, long attempt, ErrorCode code, String message, Instant now) {
    return transaction(
        c ->
            end(
                c,
                build,
                owner,
                attempt,
                "failed",
                null,
                code.name(),
                message,
                now.toEpochMilli()));
  }

  private boolean end(
      Connection c,
      String build,
      String owner,
      long attempt,
      String state,
      String resultKey,
      String errorCode,
      String errorMessage,
      long now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE dbsnap_snapshot_builds SET state = ?, result_key = ?, error_code = ?,"
                + " error_message = ?, finished_at = ?, lease_until = NULL, checkpoint = NULL"
                + " WHERE build = ? AND owner = ? AND attempt = ? AND state = 'building'")) {
      ps.setString(1, state);
      ps.setString(2, resultKey);
      ps.setString(3, errorCode);
      ps.setString(4, errorMessage);
      ps.setLong(5, now);
      ps.setString(6, build);
      ps.setString(7, owner);
      ps.setLong(8, attempt);
      if (ps.executeUpdate() != 1) {
        return false;
      }
    }
    if (postgres) {
      // sent at commit, so a woken waiter always sees the row
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
        ps.setString(1, CHANNEL);
        ps.setString(2, build + "|" + now);
        ps.execute();
      }
    }
    return true;
  }

  /** Builds counted in the index for a table: every claim, take-overs included. */
  long runs(String source, String table) {
    return run(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT coalesce(sum(runs), 0) FROM dbsnap_snapshot_builds"
                      + " WHERE source = ? AND tbl = ?")) {
            ps.setString(1, source);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getLong(1);
            }
          }
        });
  }

  // ---- purge, clean-up, eviction

  /**
   * Moves the table's generation forward and removes its index rows, in one transaction.
   *
   * @return the keys whose objects must be deleted
   */
  List<String> purge(String source, String table) {
    return transaction(
        c -> {
          long next = generation(c, source, table) + 1;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO dbsnap_snapshot_tables (source, tbl, generation) VALUES (?, ?, ?)"
                      + " ON CONFLICT (source, tbl) DO UPDATE SET generation = excluded.generation")) {
            ps.setString(1, source);
            ps.setString(2, table);
            ps.setLong(3, next);
            ps.executeUpdate();
          }
          List<String> keys = keys(c, "source = ? AND tbl = ?", source, table);
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM dbsnap_snapshots WHERE source = ? AND tbl = ?")) {
            ps.setString(1, source);
            ps.setString(2, table);
            ps.executeUpdate();
          }
          return keys;
        });
  }

  /** Keys of versions superseded before {@code before}, removed from the index. */
  List<String> removeSuperseded(Instant before) {
    return transaction(
        c -> {
          List<String> keys =
              keys(c, "superseded_at IS NOT NULL AND superseded_at < ?", before.toEpochMilli());
          delete(c, keys);
          return keys;
        });
  }

  /**
   * The least recently used snapshots of {@code source} to drop so that the rest fit in {@code
   * maxTotalBytes}, never {@code keep}; removed from the index.
   */
  List<String> evict(String source, long maxTotalBytes, String keep) {
    return transaction(
        c -> {
          List<String> victims = new ArrayList<>();
          long total;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT coalesce(sum(bytes), 0) FROM dbsnap_snapshots WHERE source = ?")) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              total = rs.getLong(1);
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT object_key, bytes FROM dbsnap_snapshots WHERE source = ? AND object_key <> ?"
                      + " ORDER BY superseded_at IS NULL, last_used_at, object_key")) {
            ps.setString(1, source);
            ps.setString(2, keep);
            try (ResultSet rs = ps.executeQuery()) {
              while (total > maxTotalBytes && rs.next()) {
                victims.add(rs.getString(1));
                total -= rs.getLong(2);
              }
            }
          }
          delete(c, victims);
          return victims;
        });
  }

  /** Whether the index or a build in progress knows the key. */
  boolean known(String key) {
    return run(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT 1 FROM dbsnap_snapshots WHERE object_key = ?"
                      + " UNION ALL SELECT 1 FROM dbsnap_snapshot_builds WHERE result_key = ?")) {
            ps.setString(1, key);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next();
            }
          }
        });
  }

  /** Upload ids that builds holding a live lease are continuing (from their checkpoints). */
  List<String> liveCheckpoints() {
    return run(
        c -> {
          List<String> result = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT checkpoint FROM dbsnap_snapshot_builds WHERE state = 'building'"
                      + " AND checkpoint IS NOT NULL")) {
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                result.add(rs.getString(1));
              }
            }
          }
          return result;
        });
  }

  /** Records that the reaper saw {@code key} unknown to the index, and says when it first did. */
  Instant firstSeenOrphan(String key, Instant now) {
    return run(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO dbsnap_snapshot_orphans (object_key, first_seen) VALUES (?, ?)"
                      + " ON CONFLICT (object_key) DO NOTHING")) {
            ps.setString(1, key);
            ps.setLong(2, now.toEpochMilli());
            ps.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT first_seen FROM dbsnap_snapshot_orphans WHERE object_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return Instant.ofEpochMilli(rs.getLong(1));
            }
          }
        });
  }

  void forgetOrphan(String key) {
    update("DELETE FROM dbsnap_snapshot_orphans WHERE object_key = ?", key);
  }

  // ---- plumbing

  private static final String COLUMNS =
      "source, tbl, object_key, version, shape, format, compression, bytes, rows_count, sha256,"
          + " built_at";
  private static final String SELECT = "SELECT " + COLUMNS + " FROM dbsnap_snapshots";

  private static Optional<Snapshot> first(PreparedStatement ps) throws SQLException {
    List<Snapshot> all = all(ps);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  private static List<Snapshot> all(PreparedStatement ps) throws SQLException {
    List<Snapshot> result = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.add(snapshot(rs));
      }
    }
    return result;
  }

  /** The snapshot in the current row of a result set that starts with {@link #COLUMNS}. */
  private static Snapshot snapshot(ResultSet rs) throws SQLException {
    long version = rs.getLong(4);
    return new Snapshot(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.wasNull() ? null : version,
        rs.getString(5),
        rs.getString(6),
        rs.getString(7),
        rs.getLong(8),
        rs.getLong(9),
        rs.getString(10),
        Instant.ofEpochMilli(rs.getLong(11)),
        Snapshot.Outcome.HIT);
  }

  private static List<String> keys(Connection c, String where, Object... values)
      throws SQLException {
    List<String> keys = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT object_key FROM dbsnap_snapshots WHERE " + where)) {
      for (int i = 0; i < values.length; i++) {
        ps.setObject(i + 1, values[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          keys.add(rs.getString(1));
        }
      }
    }
    return keys;
  }

  private static void delete(Connection c, List<String> keys) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM dbsnap_snapshots WHERE object_key = ?")) {
      for (String key : keys) {
        ps.setString(1, key);
        ps.executeUpdate();
      }
    }
  }

  private boolean update(String sql, Object... values) {
    return run(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
              ps.setObject(i + 1, values[i]);
            }
            return ps.executeUpdate() == 1;
          }
        });
  }

  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> T run(Work<T> work) {
    lock();
    try (Connection c = db.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw unavailable(e);
    } finally {
      unlock();
    }
  }

  private <T> T transaction(Work<T> work) {
    lock();
    try (Connection c = db.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(auto);
      }
    } catch (SQLException e) {
      throw unavailable(e);
    } finally {
      unlock();
    }
  }

  private void lock() {
    if (!postgres) {
      sqliteLock.lock();
    }
  }

  private void unlock() {
    if (!postgres) {
      sqliteLock.unlock();
    }
  }

  private static DbsnapException unavailable(SQLException e) {
    return new DbsnapException(
        ErrorCode.SERVER_UNAVAILABLE,
        "the snapshot index's control database failed: " + e.getMessage(),
        e);
  }
}
