package dev.dbsnap.cli;

import static dev.dbsnap.cli.CliTest.assertOneSentenceError;
import static dev.dbsnap.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.ErrorCode;
import dev.dbsnap.cli.CliTest.Result;
import dev.dbsnap.testing.PgTestServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dbsnap track install|status|remove} run in-process, against SQLite and PostgreSQL. */
class TrackCommandTest {
  private static final Pattern VERSION_LINE = Pattern.compile("^(\\S+) +v(\\d+)$");

  @TempDir Path dir;
  String sqlite;

  @BeforeEach
  void createSqliteDatabase() throws SQLException {
    Path file = dir.resolve("app.db");
    sqlite = file.toString();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");
      st.execute("CREATE TABLE other_table (id INTEGER PRIMARY KEY)");
      st.execute("INSERT INTO items VALUES (1, 'a'), (2, 'b')");
    }
  }

  @Test
  void install_prints_every_tracked_table_and_status_shows_the_same_versions() {
    Result install = ok(run("track", "install", "--source", sqlite, "--all"));

    assertThat(install.out().lines().findFirst())
        .hasValueSatisfying(
            first -> assertThat(first).startsWith("tracking installed on 2 tables of "));
    Map<String, Long> installed = versions(install);
    assertThat(installed).containsOnlyKeys("items", "other_table");
    assertThat(install.out()).containsPattern("(?m)^items        v\\d+$");

    Map<String, Long> status = versions(ok(run("track", "status", "--source", sqlite)));
    assertThat(status).isEqualTo(installed);
  }

  @Test
  void an_insert_changes_the_version_that_status_shows() throws SQLException {
    ok(run("track", "install", "--source", sqlite, "--tables", "items,other_table"));
    Map<String, Long> before = versions(ok(run("track", "status", "--source", sqlite)));

    execute("INSERT INTO items VALUES (3, 'c')");

    Map<String, Long> after = versions(ok(run("track", "status", "--source", sqlite)));
    assertThat(after.get("items")).isGreaterThan(before.get("items"));
    assertThat(after.get("other_table")).isEqualTo(before.get("other_table"));
  }

  @Test
  void installing_twice_prints_the_same_versions() {
    Map<String, Long> first =
        versions(ok(run("track", "install", "--source", sqlite, "--tables", "items")));
    Map<String, Long> second = versions(ok(run("track", "install", "--source", sqlite, "--all")));

    assertThat(first).containsOnlyKeys("items");
    assertThat(second).containsOnlyKeys("items", "other_table");
    assertThat(second.get("items")).isEqualTo(first.get("items"));
  }

  @Test
  void remove_all_leaves_no_dbsnap_object_in_the_sqlite_file() throws SQLException {
    ok(run("track", "install", "--source", sqlite, "--all"));
    assertThat(dbsnapObjects()).isNotEmpty();

    Result remove = ok(run("track", "remove", "--source", sqlite, "--all"));

    assertThat(remove.out()).startsWith("tracking removed: no table of ");
    assertThat(versions(remove)).isEmpty();
    assertThat(dbsnapObjects()).isEmpty();
    Result status = ok(run("track", "status", "--source", sqlite));
    assertThat(status.out().strip()).startsWith("no table of ").endsWith(" is tracked");
  }

  @Test
  void removing_one_table_keeps_the_others_and_their_versions() {
    Map<String, Long> installed =
        versions(ok(run("track", "install", "--source", sqlite, "--all")));

    Result remove = ok(run("track", "remove", "--source", sqlite, "--tables", "items"));

    assertThat(remove.out()).startsWith("tracking removed: 1 table of ").contains(" stays tracked");
    assertThat(versions(remove))
        .containsExactly(Map.entry("other_table", installed.get("other_table")));
  }

  @Test
  void status_names_a_table_that_lost_its_triggers_and_install_mends_it() throws SQLException {
    Map<String, Long> before =
        versions(ok(run("track", "install", "--source", sqlite, "--tables", "items")));
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + sqlite);
        Statement st = c.createStatement()) {
      st.execute("DROP TABLE items");
      st.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");
    }

    Result status = ok(run("track", "status", "--source", sqlite));

    assertThat(status.out())
        .containsPattern(
            "(?m)^items  no version: its dbsnap triggers are gone .*track install again$");
    assertThat(versions(status)).isEmpty();
    Map<String, Long> mended =
        versions(ok(run("track", "install", "--source", sqlite, "--tables", "items")));
    assertThat(mended.get("items")).isGreaterThan(before.get("items"));
  }

  @Test
  void status_of_a_database_without_tracking_says_no_table_is_tracked() {
    Result status = ok(run("track", "status", "--source", sqlite));

    assertThat(status.out()).isEqualTo("no table of jdbc:sqlite:" + sqlite + " is tracked\n");
  }

  @Test
  void install_without_tables_or_all_exits_2() {
    Result r = run("track", "install", "--source", sqlite);

    assertThat(r.code()).as(r.err()).isEqualTo(ErrorCode.INVALID_ARGUMENT.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--tables").contains("--all");
  }

  @Test
  void tables_and_all_together_exit_2() {
    Result r = run("track", "remove", "--source", sqlite, "--tables", "items", "--all");

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("mutually exclusive");
  }

  @Test
  void track_without_a_subcommand_exits_2_naming_the_choices() {
    Result r = run("track");

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("install, status or remove");
  }

  @Test
  void debug_on_a_track_subcommand_prints_the_stack_trace() {
    Result r = run("track", "install", "--source", sqlite, "--tables", "nope", "--debug");

    assertThat(r.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE.exitCode());
    assertThat(r.err()).contains("\tat ").contains("dbsnap: ").contains("'nope'");
  }

  @Test
  void installing_on_an_unknown_postgres_table_exits_4_naming_it() throws SQLException {
    String db = postgresDatabase();

    Result r =
        run(
            "track",
            "install",
            "--source",
            PgTestServer.jdbcUrl(db),
            "--tables",
            "items,missing_table");

    assertThat(r.code()).isEqualTo(4);
    assertThat(assertOneSentenceError(r, ErrorCode.UNKNOWN_TABLE)).contains("'missing_table'");
    assertThat(postgresDbsnapSchemas(db)).isEmpty();
  }

  @Test
  void install_status_and_remove_on_postgres_with_a_schema() throws SQLException {
    String db = postgresDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA sales");
      st.execute("CREATE TABLE sales.orders (id bigint PRIMARY KEY)");
    }
    String url = PgTestServer.jdbcUrl(db);

    Result install = ok(run("track", "install", "--source", url, "--schema", "sales", "--all"));
    assertThat(versions(install)).containsOnlyKeys("sales.orders");
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO sales.orders VALUES (1)");
    }
    Map<String, Long> status = versions(ok(run("track", "status", "--source", url)));
    assertThat(status.get("sales.orders")).isEqualTo(versions(install).get("sales.orders") + 1);

    ok(run("track", "remove", "--source", url, "--all"));
    assertThat(postgresDbsnapSchemas(db)).isEmpty();
  }

  /** DBSNAP_TEST_READER_PASSWORD is set for the tests in this module's pom. */
  @Test
  void a_login_without_ddl_rights_exits_3_saying_what_installing_needs() throws SQLException {
    String db = postgresDatabase();
    String role = "dbsnap_cli_reader";
    PgTestServer.createPasswordRole(role, System.getenv("DBSNAP_TEST_READER_PASSWORD"));
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("REVOKE CREATE ON DATABASE \"" + db + "\" FROM PUBLIC");
      st.execute("GRANT SELECT ON items TO " + role);
    }

    Result r =
        run(
            "track",
            "install",
            "--source",
            "jdbc:postgresql://127.0.0.1:" + PgTestServer.port() + "/" + db,
            "--user",
            role,
            "--password-env",
            "DBSNAP_TEST_READER_PASSWORD",
            "--tables",
            "items");

    assertThat(r.code()).isEqualTo(3);
    assertThat(assertOneSentenceError(r, ErrorCode.SOURCE_PERMISSION_DENIED))
        .contains("needs the right")
        .doesNotContain(System.getenv("DBSNAP_TEST_READER_PASSWORD"));
    assertThat(postgresDbsnapSchemas(db)).isEmpty();
  }

  private static Result ok(Result r) {
    assertThat(r.code()).as("exit code; stderr: %s", r.err()).isZero();
    return r;
  }

  /** The table-and-version lines of the output, in order. */
  private static Map<String, Long> versions(Result r) {
    Map<String, Long> versions = new LinkedHashMap<>();
    r.out()
        .lines()
        .forEach(
            line -> {
              Matcher m = VERSION_LINE.matcher(line);
              if (m.matches()) {
                versions.put(m.group(1), Long.parseLong(m.group(2)));
              }
            });
    return versions;
  }

  private void execute(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + sqlite);
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private List<String> dbsnapObjects() throws SQLException {
    List<String> names = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + sqlite);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT type || ' ' || name FROM sqlite_master WHERE name LIKE 'dbsnap%'")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  private static String postgresDatabase() throws SQLException {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
      st.execute("INSERT INTO items VALUES (1, 'a'), (2, 'b')");
    }
    return db;
  }

  private static List<String> postgresDbsnapSchemas(String db) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'dbsnap%'")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }
}
