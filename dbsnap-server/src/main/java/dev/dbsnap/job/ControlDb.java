package dev.dbsnap.job;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.source.Source;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The control database: a HikariCP pool over SQLite (one process) or PostgreSQL (a fleet), migrated
 * by Flyway when opened. Statements are the same on both; only the claim differs (see {@link
 * Leases}). Thread-safe.
 */
final class ControlDb implements AutoCloseable {
  /** Work done on one pooled connection. */
  interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  private final HikariDataSource pool;
  private final boolean postgres;
  private final String safeUrl;

  private ControlDb(HikariDataSource pool, boolean postgres, String safeUrl) {
    this.pool = pool;
    this.postgres = postgres;
    this.safeUrl = safeUrl;
  }

  /**
   * Opens the pool and applies the migrations.
   *
   * @throws DbsnapException INVALID_ARGUMENT for a URL of another kind, SERVER_UNAVAILABLE when the
   *     database cannot be reached or migrated
   */
  static ControlDb open(ServerConfig.Control control) {
    String url = control.url();
    boolean postgres = url != null && url.startsWith("jdbc:postgresql:");
    boolean sqlite = url != null && url.startsWith("jdbc:sqlite:");
    if (!postgres && !sqlite) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "control database URL '"
              + (url == null ? "" : new Source(url, null, null).safeUrl())
              + "' is not usable: write jdbc:sqlite:<file> or jdbc:postgresql://host:port/db");
    }
    String safeUrl = new Source(url, null, null).safeUrl();
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("dbsnap-control");
    hikari.setJdbcUrl(url);
    if (control.user() != null) {
      hikari.setUsername(control.user());
    }
    if (control.password() != null) {
      hikari.setPassword(control.password());
    }
    hikari.setMaximumPoolSize(Math.max(2, control.poolSize()));
    hikari.setConnectionTimeout(10_000);
    if (sqlite) {
      createParentDirectory(url.substring("jdbc:sqlite:".length()));
      // WAL lets readers (status requests) run beside the one writer; IMMEDIATE transactions take
      // the write lock at BEGIN, so a read-then-write transaction never fails to upgrade its lock.
      hikari.addDataSourceProperty("journal_mode", "WAL");
      hikari.addDataSourceProperty("synchronous", "NORMAL");
      hikari.addDataSourceProperty("busy_timeout", "10000");
      hikari.addDataSourceProperty("foreign_keys", "true");
      hikari.addDataSourceProperty("transaction_mode", "IMMEDIATE");
    }
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(hikari);
    } catch (RuntimeException e) {
      throw new DbsnapException(
          ErrorCode.SERVER_UNAVAILABLE,
          "cannot open the control database " + safeUrl + ": " + rootMessage(e),
          e);
    }
    try {
      Flyway.configure()
          .dataSource(pool)
          .locations("classpath:db/migration/" + (postgres ? "postgresql" : "sqlite"))
          .load()
          .migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw new DbsnapException(
          ErrorCode.SERVER_UNAVAILABLE,
          "cannot migrate the control database " + safeUrl + ": " + rootMessage(e),
          e);
    }
    return new ControlDb(pool, postgres, safeUrl);
  }

  private static void createParentDirectory(String path) {
    int query = path.indexOf('?');
    String file = query < 0 ? path : path.substring(0, query);
    if (file.isEmpty() || file.startsWith(":memory:") || file.startsWith("file:")) {
      return;
    }
    Path parent = Path.of(file).toAbsolutePath().getParent();
    try {
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.SERVER_UNAVAILABLE,
          "cannot create the directory of the control database " + file + ": " + e.getMessage(),
          e);
    }
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  boolean postgres() {
    return postgres;
  }

  /** The pool itself, for components that keep their own tables in the control database. */
  DataSource dataSource() {
    return pool;
  }

  /** Runs {@code work} in auto-commit mode. */
  <T> T read(SqlWork<T> work) {
    try (Connection c = pool.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  /**
   * Runs {@code work} in one transaction, committed when it returns and rolled back when it throws.
   */
  <T> T transaction(SqlWork<T> work) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  DbsnapException unavailable(SQLException e) {
    return new DbsnapException(
        ErrorCode.SERVER_UNAVAILABLE,
        "the control database " + safeUrl + " failed: " + rootMessage(e),
        e);
  }

  /** True when a trivial query answers now. */
  boolean reachable() {
    try (Connection c = pool.getConnection();
        Statement st = c.createStatement()) {
      st.execute("SELECT 1");
      return true;
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }

  /** True when the failure is a unique-key violation (SQLState 23505; SQLite's constraint code). */
  static boolean uniqueViolation(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s
          && ("23505".equals(s.getSQLState())
              || (s.getMessage() != null && s.getMessage().contains("UNIQUE constraint failed")))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    pool.close();
  }
}
