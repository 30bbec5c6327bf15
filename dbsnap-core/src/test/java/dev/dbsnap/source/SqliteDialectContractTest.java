package dev.dbsnap.source;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;

/**
 * The dialect contract on an SQLite file in WAL mode, so a writer can commit while a snapshot
 * reads.
 */
class SqliteDialectContractTest extends DialectContractTest {
  private Path file;

  @Override
  Dialect dialect() {
    return SqliteDialect.INSTANCE;
  }

  @Override
  void createDatabase() throws Exception {
    file = Files.createTempFile("dbsnap-dialect-contract", ".db");
  }

  @Override
  void dropDatabase() throws Exception {
    for (String suffix : List.of("", "-wal", "-shm")) {
      Files.deleteIfExists(Path.of(file + suffix));
    }
  }

  @Override
  Connection connectForWriting() throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + file);
  }

  @Override
  Connection connectForReading() {
    return Source.parse(file.toString(), null, null).connect();
  }

  @Override
  List<String> createTables() {
    return List.of(
        "PRAGMA journal_mode=WAL",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, big INTEGER, score REAL, data BLOB)",
        "CREATE TABLE pairs (a INTEGER NOT NULL, b TEXT NOT NULL, v TEXT, PRIMARY KEY (b, a))",
        "CREATE TABLE loose (x TEXT, y INTEGER)",
        "CREATE TABLE tally (id INTEGER PRIMARY KEY)");
  }

  @Override
  List<String> itemTypes() {
    return List.of("INTEGER", "TEXT", "INTEGER", "REAL", "BLOB");
  }

  @Override
  KeyKind keylessKind() {
    return KeyKind.ROWID;
  }
}
