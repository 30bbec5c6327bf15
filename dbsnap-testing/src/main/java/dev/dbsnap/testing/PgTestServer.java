package dev.dbsnap.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
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
}
