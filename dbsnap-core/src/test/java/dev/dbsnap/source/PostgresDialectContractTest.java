package dev.dbsnap.source;

import dev.dbsnap.testing.PgTestServer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** The dialect contract on a fresh database of the embedded PostgreSQL server. */
class PostgresDialectContractTest extends DialectContractTest {
  private String database;

  @Override
  Dialect dialect() {
    return PostgresDialect.INSTANCE;
  }

  @Override
  void createDatabase() {
    database = PgTestServer.createDatabase();
  }

  @Override
  Connection connectForWriting() throws SQLException {
    return PgTestServer.connect(database);
  }

  @Override
  Connection connectForReading() throws SQLException {
    return PgTestServer.connect(database);
  }

  @Override
  List<String> createTables() {
    return List.of(
        "CREATE TABLE items (id bigint PRIMARY KEY, name text, big bigint, score double precision,"
            + " data bytea)",
        "CREATE TABLE pairs (a integer, b text, v text, PRIMARY KEY (b, a))",
        "CREATE TABLE loose (x text, y bigint)",
        "CREATE TABLE tally (id bigint PRIMARY KEY)");
  }

  @Override
  List<String> itemTypes() {
    return List.of("bigint", "text", "bigint", "double precision", "bytea");
  }

  @Override
  KeyKind keylessKind() {
    return KeyKind.NONE;
  }
}
