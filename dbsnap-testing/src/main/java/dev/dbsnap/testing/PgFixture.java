package dev.dbsnap.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** The edge-value database the PostgreSQL tests share: created once per JVM from pg-edge.sql. */
public final class PgFixture {
  private static String database;

  private PgFixture() {}

  public static synchronized String database() throws SQLException {
    if (database == null) {
      String db = PgTestServer.createDatabase();
      try (Connection c = PgTestServer.connect(db);
          Statement st = c.createStatement()) {
        st.setEscapeProcessing(false);
        st.execute(resource("pg-edge.sql"));
      }
      database = db;
    }
    return database;
  }

  public static String resource(String name) {
    try (InputStream in = PgFixture.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
