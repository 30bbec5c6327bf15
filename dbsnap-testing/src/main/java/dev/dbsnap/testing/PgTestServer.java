package dev.dbsnap.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One embedded PostgreSQL server shared by every test in the JVM: started on first use, stopped by
 * a shutdown hook. Tests isolate themselves by creating a fresh database each.
 */
public final class PgTestServer {
  public static final String USER = "postgres";
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static EmbeddedPostgres server;

  private PgTestServer() {}

  /** The shared server, started on first call. */
  public static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        EmbeddedPostgres started =
            EmbeddedPostgres.builder()
                .setServerConfig("max_connections", "100")
                .setServerConfig("fsync", "off")
                .setServerConfig("synchronous_commit", "off")
                .setServerConfig("full_page_writes", "off")
                .start();
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      try {
                        started.close();
                      } catch (IOException e) {
                        // the JVM is exiting; nothing left to report to
                      }
                    }));
        server = started;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
      }
    }
    return server;
  }

  public static int port() {
    return server().getPort();
  }

  /** Creates a new empty database (UTF-8, from template0) and returns its name. */
  public static String createDatabase() {
    String name =
        "dbsnap_test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"));
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE DATABASE "
              + name
              + " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return name;
  }

  /** Creates a new empty database and returns its JDBC URL (user included). */
  public static String newDatabaseUrl() {
    return jdbcUrl(createDatabase());
  }

  public static String jdbcUrl(String database) {
    return server().getJdbcUrl(USER, database);
  }

  /** Opens a connection to a database of the shared server. */
  public static Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database));
  }

  /**
   * Makes {@code role} a login role that must give {@code password} (scram-sha-256), creating it or
   * changing its password. The embedded server trusts every local login, so a pg_hba.conf rule for
   * this role alone goes ahead of the trust rules; {@link #USER} and every other role keep trust.
   * Returns once the server enforces the rule.
   *
   * @param role a plain lower-case identifier
   */
  public static synchronized void createPasswordRole(String role, String password) {
    if (!role.matches("[a-z_][a-z0-9_]*")) {
      throw new IllegalArgumentException("role '" + role + "' is not a plain identifier");
    }
    try (Connection c = connect("postgres");
        Statement st = c.createStatement()) {
      boolean exists;
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
        ps.setString(1, role);
        try (ResultSet rs = ps.executeQuery()) {
          exists = rs.next();
        }
      }
      st.execute("SET password_encryption = 'scram-sha-256'");
      st.execute(
          (exists ? "ALTER" : "CREATE")
              + " ROLE "
              + role
              + " LOGIN PASSWORD '"
              + password.replace("'", "''")
              + "'");
      Path hba;
      try (ResultSet rs = st.executeQuery("SHOW hba_file")) {
        rs.next();
        hba = Path.of(rs.getString(1));
      }
      String rules = Files.readString(hba);
      String ours =
          "host all "
              + role
              + " 127.0.0.1/32 scram-sha-256\n"
              + "host all "
              + role
              + " ::1/128 scram-sha-256\n";
      if (!rules.contains(ours)) {
        Files.writeString(hba, ours + rules);
        try (ResultSet rs = st.executeQuery("SELECT pg_reload_conf()")) {
          rs.next();
        }
      }
    } catch (SQLException | IOException e) {
      throw new IllegalStateException("cannot create password role " + role, e);
    }
    awaitPasswordRequired(role);
  }

  /** The postmaster reloads its configuration after pg_reload_conf() returns. */
  private static void awaitPasswordRequired(String role) {
    Properties noPassword = new Properties();
    noPassword.setProperty("user", role);
    String url = "jdbc:postgresql://localhost:" + port() + "/postgres";
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      try (Connection trusted = DriverManager.getConnection(url, noPassword)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the server still trusts role " + role);
        }
      } catch (SQLException refused) {
        String state = refused.getSQLState();
        if (state != null && (state.startsWith("28") || state.equals("08004"))) {
          return; // a password is asked for now
        }
        throw new IllegalStateException("cannot log in as " + role + " to check its rule", refused);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for pg_hba.conf to reload", e);
      }
    }
  }
}
