package dev.dbsnap.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.format.Format;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgTestServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/** Errors from real PostgreSQL and SQLite databases, named and classified by {@link SqlStates}. */
class SourceExceptionTest {
  @TempDir Path dir;

  private static SourceException connecting(Source source) {
    SourceException e = catchThrowableOfType(SourceException.class, () -> source.connect().close());
    assertThat(e).as("connecting to %s", source).isNotNull();
    return e;
  }

  @Test
  void a_refused_password_is_an_authentication_failure_that_is_not_retried() {
    PgTestServer.createPasswordRole("dbsnap_core_pw", "right");
    String url = "jdbc:postgresql://127.0.0.1:" + PgTestServer.port() + "/postgres";

    SourceException e = connecting(new Source(url, "dbsnap_core_pw", "wrong"));

    assertThat(e.code()).isEqualTo(ErrorCode.SOURCE_AUTHENTICATION_FAILED);
    assertThat(e.code().exitCode()).isEqualTo(ErrorCode.SOURCE_UNAVAILABLE.exitCode());
    assertThat(e.sqlState()).isEqualTo("28P01");
    assertThat(e.isTransient()).isFalse();
    assertThat(e.table()).isNull();
    assertThat(e.getMessage())
        .startsWith("cannot connect to " + url + ": ")
        .contains("password authentication failed for user \"dbsnap_core_pw\"")
        .doesNotContain("wrong")
        .doesNotContain("\n");
  }

  @Test
  void an_unknown_database_is_named_and_not_retried() {
    String url = PgTestServer.jdbcUrl("no_such_database_here");

    SourceException e = connecting(new Source(url, null, null));

    assertThat(e.code()).isEqualTo(ErrorCode.SOURCE_UNKNOWN_DATABASE);
    assertThat(e.sqlState()).isEqualTo("3D000");
    assertThat(e.isTransient()).isFalse();
    assertThat(e.getMessage()).contains("no_such_database_here");
  }

  @Test
  void a_refused_connection_is_an_unavailable_source_that_is_retried() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    String url = "jdbc:postgresql://127.0.0.1:" + closedPort + "/postgres?connectTimeout=2";

    SourceException e = connecting(new Source(url, "postgres", null));

    assertThat(e.code()).isEqualTo(ErrorCode.SOURCE_UNAVAILABLE);
    assertThat(e.sqlState()).isEqualTo("08001");
    assertThat(e.isTransient()).isTrue();
  }

  @Test
  void a_missing_grant_is_a_permission_failure_naming_the_table() throws Exception {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE secrets (id int PRIMARY KEY)");
    }
    PgTestServer.createPasswordRole("dbsnap_core_reader", "pw");
    String url = "jdbc:postgresql://127.0.0.1:" + PgTestServer.port() + "/" + db;
    try (Connection c = new Source(url, "dbsnap_core_reader", "pw").connect();
        Statement st = c.createStatement()) {
      SQLException denied =
          catchThrowableOfType(SQLException.class, () -> st.executeQuery("SELECT * FROM secrets"));

      SourceException e =
          SourceException.from(denied, ErrorCode.SOURCE_READ_FAILED, "reading secrets", "secrets");

      assertThat(e.code()).isEqualTo(ErrorCode.SOURCE_PERMISSION_DENIED);
      assertThat(e.sqlState()).isEqualTo("42501");
      assertThat(e.table()).isEqualTo("secrets");
      assertThat(e.isTransient()).isFalse();
      assertThat(e.getMessage()).startsWith("reading secrets: ").contains("permission denied");
    }
  }

  @Test
  void an_undefined_table_keeps_the_callers_code_and_is_not_retried() throws Exception {
    try (Connection c = PgTestServer.connect("postgres");
        Statement st = c.createStatement()) {
      SQLException undefined =
          catchThrowableOfType(SQLException.class, () -> st.executeQuery("SELECT * FROM gone"));

      SourceException e =
          SourceException.from(undefined, ErrorCode.SOURCE_READ_FAILED, "reading gone", "gone");

      assertThat(e.code()).isEqualTo(ErrorCode.SOURCE_READ_FAILED);
      assertThat(e.sqlState()).isEqualTo("42P01");
      assertThat(e.isTransient()).isFalse();
    }
  }

  @Test
  void a_state_found_only_in_the_next_exception_of_a_batch_is_used() {
    BatchUpdateException batch =
        new BatchUpdateException("batch entry 3 was aborted", null, 0, null);
    batch.setNextException(new SQLException("deadlock detected", "40P01"));

    SourceException e = SourceException.from(batch, ErrorCode.RESTORE_FAILED, "restoring t", "t");

    assertThat(e.sqlState()).isEqualTo("40P01");
    assertThat(e.code()).isEqualTo(ErrorCode.RESTORE_FAILED);
    assertThat(e.isTransient()).isTrue();
  }

  @Test
  void a_busy_sqlite_database_is_retried() throws Exception {
    Path file = dir.resolve("busy.db");
    String url = "jdbc:sqlite:" + file;
    try (Connection writer = java.sql.DriverManager.getConnection(url);
        Statement st = writer.createStatement()) {
      st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
      st.execute("BEGIN EXCLUSIVE");
      SQLiteConfig impatient = new SQLiteConfig();
      impatient.setBusyTimeout(0);
      try (Connection reader = impatient.createConnection(url);
          Statement read = reader.createStatement()) {
        SQLException busy =
            catchThrowableOfType(SQLException.class, () -> read.executeQuery("SELECT * FROM t"));

        SourceException e =
            SourceException.from(busy, ErrorCode.SOURCE_READ_FAILED, "reading", "t");

        assertThat(e.sqlState()).isEqualTo("SQLITE_BUSY");
        assertThat(e.code()).isEqualTo(ErrorCode.SOURCE_READ_FAILED);
        assertThat(e.isTransient()).isTrue();
      }
      st.execute("ROLLBACK");
    }
  }

  @Test
  void a_file_that_is_not_sqlite_fails_the_export_at_once_as_an_unavailable_source()
      throws Exception {
    Path notADatabase =
        Files.writeString(dir.resolve("notes.db"), "these are notes, not a database");
    Source source = Source.parse(notADatabase.toString(), null, null);
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      Exporter exporter =
          new Exporter(
              source,
              store,
              "",
              "x",
              ExportOptions.defaults(Format.CSV, Compression.NONE),
              ExportListener.NONE,
              Clock.systemUTC(),
              () -> false);

      SourceException e = catchThrowableOfType(SourceException.class, () -> exporter.run(null));

      assertThat(e).isNotNull();
      assertThat(e.code()).isEqualTo(ErrorCode.SOURCE_UNAVAILABLE);
      assertThat(e.sqlState()).isEqualTo("SQLITE_NOTADB");
      assertThat(e.isTransient()).isFalse();
    }
  }
}
