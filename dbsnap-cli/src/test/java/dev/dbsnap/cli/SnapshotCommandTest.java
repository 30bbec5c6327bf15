package dev.dbsnap.cli;

import static dev.dbsnap.cli.CliTest.assertOneSentenceError;
import static dev.dbsnap.cli.CliTest.run;
import static dev.dbsnap.cli.ExportCommandTest.respond;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.ErrorCode;
import dev.dbsnap.cli.CliTest.Result;
import dev.dbsnap.cli.ExportCommandTest.FakeServer;
import dev.dbsnap.cli.ExportCommandTest.Recorded;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.testing.PgTestServer;
import dev.dbsnap.track.ChangeTracking;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dbsnap snapshot} on a local store with an SQLite or PostgreSQL index, and {@code dbsnap
 * snapshot get} against a real HTTP server on a free port that answers as the server's snapshot API
 * is specified.
 */
class SnapshotCommandTest {
  private static final Pattern LINE =
      Pattern.compile(
          "^(snapshots/app/main\\.(\\w+)/(v\\d+|u\\d+)-[0-9a-f]{12}\\.csv)  version (\\d+|untracked)"
              + "  (built|hit|joined)  \\(([\\d,]+) rows, [\\d.]+ (?:B|KiB|MiB)\\)$");
  private static final String TOKEN = "secret-token";

  @TempDir Path dir;
  String sqlite;
  Path store;

  @BeforeEach
  void createSqliteDatabase() throws Exception {
    Path file = dir.resolve("app.db");
    sqlite = file.toString();
    Source source = Source.parse("jdbc:sqlite:" + file, null, null);
    try (Connection c = source.connectForWriting();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO items VALUES (?, ?)")) {
        for (int i = 1; i <= 3000; i++) {
          ps.setInt(1, i);
          ps.setString(2, "item " + i);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      c.commit();
    }
    ChangeTracking.of(source).install(TableSelection.ALL);
    try (Connection c = source.connectForWriting();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY)"); // made after: not tracked
      st.execute("INSERT INTO plain VALUES (1), (2)");
    }
    store = dir.resolve("store");
  }

  // ---- dbsnap snapshot: this machine builds

  @Test
  void a_tracked_table_is_built_then_hit_then_built_anew_after_an_insert() throws Exception {
    Matcher first = line(ok(snapshot("--table", "items")));
    assertThat(first.group(5)).isEqualTo("built");
    assertThat(first.group(6)).isEqualTo("3,000");
    assertThat(first.group(4)).isNotEqualTo("untracked");
    assertThat(store.resolve(first.group(1))).isRegularFile();
    assertThat(store.resolve(SnapshotCommand.LOCAL_INDEX)).isRegularFile();

    Matcher second = line(ok(snapshot("--table", "items")));
    assertThat(second.group(5)).isEqualTo("hit");
    assertThat(second.group(1)).isEqualTo(first.group(1));

    try (Connection c = Source.parse(sqlite, null, null).connectForWriting();
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO items VALUES (3001, 'new')");
    }
    Matcher third = line(ok(snapshot("--table", "items")));
    assertThat(third.group(5)).isEqualTo("built");
    assertThat(third.group(1)).isNotEqualTo(first.group(1));
    assertThat(Long.parseLong(third.group(4))).isGreaterThan(Long.parseLong(first.group(4)));
    assertThat(third.group(6)).isEqualTo("3,001");
    assertThat(Files.readString(store.resolve(third.group(1)))).contains("3001,new");
  }

  @Test
  void an_untracked_table_prints_untracked_and_max_age_reuses_it() {
    Matcher built = line(ok(snapshot("--table", "plain")));
    assertThat(built.group(4)).isEqualTo("untracked");
    assertThat(built.group(5)).isEqualTo("built");
    assertThat(built.group(6)).isEqualTo("2");

    Matcher reused = line(ok(snapshot("--table", "plain", "--max-age", "1h")));
    assertThat(reused.group(5)).isEqualTo("hit");
    assertThat(reused.group(1)).isEqualTo(built.group(1));
  }

  @Test
  void an_unknown_table_exits_4() {
    Result r = snapshot("--table", "nope");

    assertThat(assertOneSentenceError(r, ErrorCode.UNKNOWN_TABLE)).contains("nope");
    assertThat(r.code()).isEqualTo(4);
  }

  @Test
  void name_sets_the_source_in_keys_and_a_bad_one_exits_2() {
    Result named = ok(snapshot("--table", "items", "--name", "shop_1"));
    assertThat(named.out()).startsWith("snapshots/shop_1/main.items/v");

    Result bad = snapshot("--table", "items", "--name", "Shop 1");
    assertThat(assertOneSentenceError(bad, ErrorCode.INVALID_ARGUMENT)).contains("'Shop 1'");
  }

  @Test
  void snapshot_without_source_table_or_destination_exits_2_naming_them() {
    Result r = run("snapshot", "--table", "items");

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("--source").contains("--to").doesNotContain("--table,");
  }

  @Test
  void a_postgresql_control_database_holds_the_index_instead_of_a_local_file() throws Exception {
    String control = PgTestServer.createDatabase();
    String url = PgTestServer.jdbcUrl(control);

    Matcher first = line(ok(snapshot("--table", "items", "--control-db", url)));
    Matcher second = line(ok(snapshot("--table", "items", "--control-db", url)));

    assertThat(first.group(5)).isEqualTo("built");
    assertThat(second.group(5)).isEqualTo("hit");
    assertThat(second.group(1)).isEqualTo(first.group(1));
    assertThat(store.resolve(SnapshotCommand.LOCAL_INDEX)).doesNotExist();
    try (Connection c = PgTestServer.connect(control);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT object_key FROM dbsnap_snapshots")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo(first.group(1));
    }
  }

  @Test
  void the_local_index_of_an_s3_store_is_named_after_its_bucket_and_prefix() {
    assertThat(SnapshotCommand.s3IndexName("s3://bucket/some/Prefix/", null))
        .isEqualTo("snapshots-bucket-some-prefix.db");
    assertThat(SnapshotCommand.s3IndexName("s3://bucket", "http://127.0.0.1:9000"))
        .isEqualTo("snapshots-127.0.0.1-9000-bucket.db");
  }

  // ---- dbsnap snapshot get: the server builds

  static final byte[] CONTENT = "id,name\n1,a\n2,b\n".getBytes(StandardCharsets.UTF_8);
  static final String SNAPSHOT_PATH = "/v1/sources/app/tables/my items/x/snapshot";

  FakeServer server;
  FakeServer elsewhere;

  @BeforeEach
  void startServers() throws Exception {
    server = new FakeServer();
    elsewhere = new FakeServer();
  }

  @AfterEach
  void stopServers() {
    server.close();
    elsewhere.close();
  }

  /** The snapshot document of the contract, its download at {@code url}. */
  static String document(String outcome, String sha256, String url) {
    return """
        {"source":"app","table":"my items/x","version":1764000000000001,"shape":"3fa2b4c5d6e7",
         "format":"csv","compression":"none",
         "key":"snapshots/app/main.my items_x/v1764000000000001-3fa2b4c5d6e7.csv",
         "bytes":%d,"rows":2,"sha256":"%s","builtAt":"2025-11-24T10:00:00Z","outcome":"%s",
         "download":{"url":"%s","expiresAt":"2025-11-24T10:15:00Z"}}
        """
        .formatted(CONTENT.length, sha256, outcome, url);
  }

  void serveSnapshot(String outcome, String sha256, String downloadUrl) {
    server.on(
        "GET",
        SNAPSHOT_PATH,
        ex -> respond(ex, 200, "application/json", document(outcome, sha256, downloadUrl)));
  }

  void serveDownload(FakeServer on) {
    on.on("GET", "/download/snap.csv", ex -> respond(ex, 200, "text/csv", CONTENT));
  }

  Result get(String... more) {
    return run(
        Stream.concat(
                Stream.of(
                    "snapshot",
                    "get",
                    "app",
                    "my items/x",
                    "--server",
                    server.url(),
                    "--token",
                    TOKEN),
                Stream.of(more))
            .toArray(String[]::new));
  }

  @Test
  void get_prints_the_line_and_asks_with_the_token_and_an_encoded_table_name() {
    serveSnapshot("hit", sha256(CONTENT), "/download/snap.csv");

    Result r = ok(get("--max-age", "60s"));

    assertThat(r.out())
        .isEqualTo(
            "snapshots/app/main.my items_x/v1764000000000001-3fa2b4c5d6e7.csv"
                + "  version 1764000000000001  hit  (2 rows, 16 B, sha256 "
                + sha256(CONTENT)
                + ")\n");
    Recorded asked = server.only("GET");
    assertThat(asked.uri())
        .isEqualTo(
            "/v1/sources/app/tables/my%20items%2Fx/snapshot"
                + "?format=csv&compression=none&wait=30s&maxAge=1m");
    assertThat(asked.authorization()).isEqualTo("Bearer " + TOKEN);
  }

  @Test
  void get_with_o_saves_the_checked_bytes_fetched_from_the_servers_own_origin() throws Exception {
    serveSnapshot("built", sha256(CONTENT), "/download/snap.csv");
    serveDownload(server);
    Path file = dir.resolve("items.csv");

    Result r = ok(get("-o", file.toString()));

    assertThat(file).hasBinaryContent(CONTENT);
    assertThat(r.out()).contains("  built  (2 rows, 16 B, sha256 " + sha256(CONTENT) + ")");
    assertThat(r.err()).contains("saved ").contains("sha256 verified");
    assertThat(server.requests).hasSize(2);
    assertThat(server.requests.get(1).uri()).isEqualTo("/download/snap.csv");
    assertThat(server.requests.get(1).authorization()).isEqualTo("Bearer " + TOKEN);
    assertThat(leftovers()).containsExactly("items.csv");
  }

  @Test
  void the_token_is_not_sent_to_a_download_url_on_another_origin() throws Exception {
    serveSnapshot("hit", sha256(CONTENT), elsewhere.url() + "/download/snap.csv?X-Amz-Signature=s");
    serveDownload(elsewhere);
    Path file = dir.resolve("items.csv");

    ok(get("-o", file.toString()));

    assertThat(file).hasBinaryContent(CONTENT);
    Recorded download = elsewhere.only("GET");
    assertThat(download.uri()).isEqualTo("/download/snap.csv?X-Amz-Signature=s");
    assertThat(download.authorization()).isNull();
  }

  @Test
  void a_sha256_mismatch_leaves_no_file_and_exits_9() throws Exception {
    serveSnapshot("hit", "00".repeat(32), "/download/snap.csv");
    serveDownload(server);
    Path file = dir.resolve("items.csv");

    Result r = get("-o", file.toString());

    assertThat(assertOneSentenceError(r, ErrorCode.VERIFY_FAILED)).contains("sha256");
    assertThat(r.code()).isEqualTo(9);
    assertThat(file).doesNotExist();
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void get_polls_the_location_after_202_until_the_snapshot_is_ready() {
    AtomicInteger polls = new AtomicInteger();
    server.on(
        "GET",
        SNAPSHOT_PATH,
        ex -> {
          ex.getResponseHeaders().add("Location", "/v1/snapshot-builds/b1");
          ex.getResponseHeaders().add("Retry-After", "0");
          respond(ex, 202, "application/json", "{\"state\":\"building\"}");
        });
    server.on(
        "GET",
        "/v1/snapshot-builds/b1",
        ex -> {
          if (polls.incrementAndGet() < 3) {
            ex.getResponseHeaders().add("Retry-After", "0");
            respond(ex, 202, "application/json", "");
          } else {
            respond(
                ex,
                200,
                "application/json",
                document("joined", sha256(CONTENT), "/download/snap.csv"));
          }
        });

    Result r = ok(get());

    assertThat(polls).hasValue(3);
    assertThat(r.out()).contains("  version 1764000000000001  joined  (");
    assertThat(server.requests)
        .allSatisfy(q -> assertThat(q.authorization()).isEqualTo("Bearer " + TOKEN));
  }

  @Test
  void get_gives_up_with_exit_19_when_the_snapshot_is_not_ready_in_time() {
    server.on(
        "GET",
        SNAPSHOT_PATH,
        ex -> {
          ex.getResponseHeaders().add("Location", SNAPSHOT_PATH.replace(" ", "%20"));
          ex.getResponseHeaders().add("Retry-After", "0");
          respond(ex, 202, "application/json", "");
        });

    Result r = get("--timeout", "300ms");

    assertThat(assertOneSentenceError(r, ErrorCode.SNAPSHOT_NOT_READY)).contains("not ready");
    assertThat(r.code()).isEqualTo(19);
  }

  @Test
  void get_of_an_unknown_table_exits_13_with_the_problem_detail() throws Exception {
    server.on(
        "GET",
        SNAPSHOT_PATH,
        ex ->
            respond(
                ex,
                404,
                "application/problem+json",
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
                    + "\"detail\":\"source app has no table 'my items/x'\"}"));

    Result r = get("-o", dir.resolve("items.csv").toString());

    assertThat(assertOneSentenceError(r, ErrorCode.NOT_FOUND))
        .isEqualTo("dbsnap: source app has no table 'my items/x'");
    assertThat(leftovers()).isEmpty();
  }

  // ---- helpers

  Result snapshot(String... more) {
    return run(
        Stream.concat(
                Stream.of("snapshot", "--source", sqlite, "--to", store.toString()),
                Stream.of(more))
            .toArray(String[]::new));
  }

  static Result ok(Result r) {
    assertThat(r.code()).as("exit code; stderr: %s", r.err()).isZero();
    return r;
  }

  static Matcher line(Result r) {
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(1);
    Matcher m = LINE.matcher(lines.get(0));
    assertThat(m.matches()).as("line: %s", lines.get(0)).isTrue();
    return m;
  }

  /** Files in the test directory other than the source database and the store. */
  List<String> leftovers() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith("app.db") && !n.equals("store"))
          .sorted()
          .toList();
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
