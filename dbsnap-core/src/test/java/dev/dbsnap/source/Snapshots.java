package dev.dbsnap.source;

import dev.dbsnap.testing.PgFixture;
import dev.dbsnap.testing.PgTestServer;
import java.sql.Connection;
import java.sql.SQLException;

/** Connections to test databases with dbsnap's read snapshot begun. */
final class Snapshots {
  private Snapshots() {}

  /** The edge-value fixture database. */
  static Connection pg() throws SQLException {
    return pg(PgFixture.database());
  }

  static Connection pg(String db) throws SQLException {
    Connection c = PgTestServer.connect(db);
    PostgresDialect.INSTANCE.beginSnapshot(c);
    return c;
  }
}
