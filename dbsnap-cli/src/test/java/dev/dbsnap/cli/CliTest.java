package dev.dbsnap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.ErrorCode;
import dev.dbsnap.source.Source;
import dev.dbsnap.testing.PgTestServer;
import dev.dbsnap.testing.S3ProxyServer;
import dev.dbsnap.testing.SqliteSamples;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line run in-process through {@link Main#run}: exit codes, messages and round trips.
 */
class CliTest {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static final String[] AWS_PROPERTIES = {"aws.accessKeyId", "aws.secretAccessKey"};

  @TempDir static Path dir;
  static Path db;
  private static final List<String> savedProperties = new ArrayList<>();

  @BeforeAll
  static void createDatabase() throws Exception {
    db = SqliteSamples.create(dir.resolve("src.db"), 2_000);
    SqliteSamples.addEdgeTable(db);
    for (String p : AWS_PROPERTIES) {
      savedProperties.add(System.getProperty(p));
    }
  }

  @AfterAll
  static void restoreProperties() {
    for (int i = 0; i < AWS_PROPERTIES.length; i++) {
      if (savedProperties.get(i) == null) {
        System.clearProperty(AWS_PROPERTIES[i]);
      } else {
        System.setProperty(AWS_PROPERTIES[i], savedProperties.get(i));
      }
    }
  }

  /** What one run of the command line printed and returned. */
  record Result(int code, String out, String err) {}

  static synchronized Result run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setOut(o);
      System.setErr(e);
      try {
        code = Main.run(args);
      } finally {
        System.setOut(oldOut);
        System.setErr(oldErr);
      }
    }
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** A fresh directory for exports. */
  static Path newDir() throws IOException {
    return Files.createDirectories(dir.resolve("out-" + RUNS.incrementAndGet()));
  }

  /**
   * The run failed with {@code code}, saying so in one line that starts "dbsnap: " and no stack
   * trace.
   */
  static String assertOneSentenceError(Result r, ErrorCode code) {
    assertThat(r.code()).as("exit code; stderr: %s", r.err()).isEqualTo(code.exitCode());
    List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).as("stderr").hasSize(1);
    String line = lines.get(0);
    assertThat(line).startsWith("dbsnap: ").doesNotContain("internal error");
    assertThat(r.err()).doesNotContain("\tat ");
    return line;
  }

  @Test
  void a_resume_after_the_manifest_was_written_says_the_export_is_complete() throws IOException {
    Path out = newDir();
    Result dump =
        run("dump", "--source", db.toString(), "--to", out.toString(), "--export-id", "done");
    assertThat(dump.code()).as(dump.err()).isZero();
    // a stop between writing the manifest and removing the checkpoint leaves both
    Files.writeString(
        out.resolve("done/_checkpoint.json"),
        "{\"exportId\":\"done\",\"fingerprint\":\"x\",\"finished\":[]}");
    byte[] manifest = Files.readAllBytes(out.resolve("done/manifest.json"));

    Result resumed = run("dump", "--source", db.toString(), "--to", out.toString(), "--resume");

    assertThat(resumed.code()).as(resumed.err()).isZero();
    assertThat(resumed.err()).contains("export done is already complete");
    assertThat(out.resolve("done/_checkpoint.json")).doesNotExist();
    assertThat(Files.readAllBytes(out.resolve("done/manifest.json"))).isEqualTo(manifest);
  }

  @Test
  void a_dump_verifies_and_a_tampered_object_fails_verification() throws IOException {
    Path out = newDir();
    Result dump =
        run(
            "dump",
            "--source",
            db.toString(),
            "--to",
            out.toString(),
            "--export-id",
            "v1",
            "--format",
            "csv",
            "--compression",
            "gzip",
            "-q");
    assertThat(dump.code()).as(dump.err()).isZero();
    assertThat(dump.err()).startsWith("dbsnap: exported ");
    assertThat(out.resolve("v1").resolve("manifest.json")).exists();
    assertThat(out.resolve("v1").resolve("_checkpoint.json")).doesNotExist();

    Result ok = run("verify", "--from", out.resolve("v1").toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("OK    items.csv.gz").contains("verified");

    Path object = out.resolve("v1").resolve("items.csv.gz");
    try (RandomAccessFile f = new RandomAccessFile(object.toFile(), "rw")) {
      long at = f.length() / 2;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x01);
    }
    Result bad = run("verify", "--from", out.resolve("v1").toString());
    String message = assertOneSentenceError(bad, ErrorCode.VERIFY_FAILED);
    assertThat(message).contains("1 of ").contains("do not match the manifest");
    assertThat(bad.out()).contains("FAIL  items.csv.gz: sha256 ");
  }

  @Test
  void a_bad_jdbc_url_is_an_invalid_argument() throws IOException {
    Result r = run("dump", "--source", "jdbc:mysql://x", "--to", newDir().toString(), "-q");
    assertThat(assertOneSentenceError(r, ErrorCode.INVALID_ARGUMENT)).contains("jdbc:mysql://x");
  }

  @Test
  void a_missing_sqlite_file_is_an_unavailable_source() throws IOException {
    Result r =
        run(
            "dump",
            "--source",
            dir.resolve("nothing-here.db").toString(),
            "--to",
            newDir().toString(),
            "-q");
    assertThat(assertOneSentenceError(r, ErrorCode.SOURCE_UNAVAILABLE)).contains("nothing-here.db");
  }

  /** PgTestServer makes the role need its password; the embedded server trusts other logins. */
  @Test
  void a_wrong_postgres_password_is_an_authentication_failure_with_the_password_hidden()
      throws Exception {
    String role = "dbsnap_cli_pw";
    PgTestServer.createPasswordRole(role, "the-right-one");
    String base =
        "jdbc:postgresql://localhost:"
            + PgTestServer.port()
            + "/postgres?user="
            + role
            + "&password=";
    // The rule is in force: the right password connects.
    try (Connection ok = Source.parse(base + "the-right-one", null, null).connect()) {
      assertThat(ok.isValid(5)).isTrue();
    }

    Result r = run("dump", "--source", base + "wrong-secret", "--to", newDir().toString(), "-q");
    String message = assertOneSentenceError(r, ErrorCode.SOURCE_AUTHENTICATION_FAILED);
    assertThat(message)
        .contains("password authentication failed")
        .contains(role)
        .doesNotContain("wrong-secret");
  }

  /**
   * A refused password is not retried, so the command fails at once. DBSNAP_TEST_WRONG_PASSWORD is
   * set for the tests in this module's pom.
   */
  @Test
  void a_password_from_the_environment_that_is_refused_exits_with_code_3_at_once()
      throws Exception {
    String role = "dbsnap_cli_env_pw";
    PgTestServer.createPasswordRole(role, "the-right-one");
    String url = "jdbc:postgresql://127.0.0.1:" + PgTestServer.port() + "/postgres";
    Path out = newDir();

    long start = System.nanoTime();
    Result r =
        run(
            "dump",
            "--source",
            url,
            "--user",
            role,
            "--password-env",
            "DBSNAP_TEST_WRONG_PASSWORD",
            "--to",
            out.toString(),
            "-q");
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(r.code()).isEqualTo(3);
    String message = assertOneSentenceError(r, ErrorCode.SOURCE_AUTHENTICATION_FAILED);
    assertThat(message)
        .contains("password authentication failed for user \"" + role + "\"")
        .contains(url)
        .doesNotContain(System.getenv("DBSNAP_TEST_WRONG_PASSWORD"));
    assertThat(millis).as("milliseconds until the refusal was reported").isLessThan(2_000);
  }

  @Test
  void an_unknown_table_is_named() throws IOException {
    Result r =
        run(
            "dump",
            "--source",
            db.toString(),
            "--to",
            newDir().toString(),
            "--tables",
            "nope",
            "-q");
    assertThat(assertOneSentenceError(r, ErrorCode.UNKNOWN_TABLE)).contains("'nope'");
  }

  @Test
  void an_unreachable_s3_endpoint_is_an_unavailable_store() throws IOException {
    setAwsKeys(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
    String closed = "http://127.0.0.1:" + closedPort();
    Result r =
        run(
            "dump",
            "--source",
            db.toString(),
            "--to",
            "s3://some-bucket/exports",
            "--endpoint-url",
            closed,
            "--region",
            "us-east-1",
            "-q");
    assertThat(assertOneSentenceError(r, ErrorCode.STORE_UNAVAILABLE))
        .contains("cannot reach " + closed)
        .contains("some-bucket");
  }

  /**
   * The AWS SDK reads the aws.accessKeyId and aws.secretAccessKey system properties ahead of the
   * AWS_* variables, which a test cannot set in its own process.
   */
  @Test
  void an_s3_store_that_denies_access_is_an_unavailable_store() throws IOException {
    S3ProxyServer server = S3ProxyServer.shared();
    setAwsKeys(S3ProxyServer.ACCESS_KEY, "not-the-secret");
    Result r =
        run(
            "dump",
            "--source",
            db.toString(),
            "--to",
            "s3://" + server.bucket() + "/cli-denied",
            "--endpoint-url",
            server.endpoint().toString(),
            "--region",
            S3ProxyServer.REGION,
            "-q");
    assertThat(assertOneSentenceError(r, ErrorCode.STORE_UNAVAILABLE))
        .contains("denied")
        .contains(server.bucket())
        .doesNotContain("not-the-secret");
  }

  @Test
  void a_dump_to_s3_verifies_and_restores() throws IOException {
    S3ProxyServer server = S3ProxyServer.shared();
    setAwsKeys(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
    String to = "s3://" + server.bucket() + "/cli-" + RUNS.incrementAndGet();
    String endpoint = server.endpoint().toString();
    Result dump =
        run(
            "dump",
            "--source",
            db.toString(),
            "--to",
            to,
            "--export-id",
            "s1",
            "--format",
            "jsonl",
            "--compression",
            "zstd",
            "--endpoint-url",
            endpoint,
            "--region",
            S3ProxyServer.REGION,
            "-q");
    assertThat(dump.code()).as(dump.err()).isZero();

    Result verify =
        run(
            "verify",
            "--from",
            to + "/s1",
            "--endpoint-url",
            endpoint,
            "--region",
            S3ProxyServer.REGION);
    assertThat(verify.code()).as(verify.err()).isZero();

    Path restored = newDir().resolve("restored.db");
    Result restore =
        run(
            "restore",
            "--from",
            to + "/s1",
            "--target",
            restored.toString(),
            "--endpoint-url",
            endpoint,
            "--region",
            S3ProxyServer.REGION,
            "-q");
    assertThat(restore.code()).as(restore.err()).isZero();
    assertSameTables(restored, false);
  }

  @Test
  void an_existing_export_id_needs_overwrite() throws IOException {
    Path out = newDir();
    String[] args = {
      "dump", "--source", db.toString(), "--to", out.toString(), "--export-id", "same", "-q"
    };
    assertThat(run(args).code()).isZero();
    Path marker = out.resolve("same").resolve("stale-object");
    Files.writeString(marker, "from an earlier export");

    Result again = run(args);
    assertThat(assertOneSentenceError(again, ErrorCode.DESTINATION_NOT_EMPTY))
        .contains("'same'")
        .contains("--overwrite");
    assertThat(marker).exists();

    List<String> withOverwrite = new ArrayList<>(List.of(args));
    withOverwrite.add("--overwrite");
    Result replaced = run(withOverwrite.toArray(String[]::new));
    assertThat(replaced.code()).as(replaced.err()).isZero();
    assertThat(marker).as("the old export was removed").doesNotExist();
    assertThat(run("verify", "--from", out.resolve("same").toString()).code()).isZero();
  }

  @Test
  void a_part_size_below_five_mib_names_the_minimum() throws IOException {
    Result r =
        run(
            "dump",
            "--source",
            db.toString(),
            "--to",
            newDir().toString(),
            "--part-size",
            "1MiB",
            "-q");
    assertThat(assertOneSentenceError(r, ErrorCode.INVALID_ARGUMENT)).contains("5 MiB minimum");
  }

  @Test
  void dump_with_jobs_writes_the_files_of_one_job_and_refuses_sql() throws IOException {
    Path out = newDir();
    for (String jobs : List.of("1", "3")) {
      Result r =
          run(
              "dump",
              "--source",
              db.toString(),
              "--to",
              out.toString(),
              "--export-id",
              "j" + jobs,
              "--format",
              "jsonl",
              "--compression",
              "gzip",
              "--jobs",
              jobs,
              "-q");
      assertThat(r.code()).as(r.err()).isZero();
    }
    List<String> names;
    try (var files = Files.list(out.resolve("j1"))) {
      names =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> !n.equals("manifest.json"))
              .sorted()
              .toList();
    }
    assertThat(names).hasSizeGreaterThan(1);
    for (String name : names) {
      assertThat(Files.readAllBytes(out.resolve("j3").resolve(name)))
          .as(name)
          .isEqualTo(Files.readAllBytes(out.resolve("j1").resolve(name)));
    }
    Result verified = run("verify", "--from", out.resolve("j3").toString());
    assertThat(verified.code()).as(verified.err()).isZero();

    Path split = newDir();
    Result sql =
        run("dump", "--source", db.toString(), "--to", split.toString(), "--jobs", "2", "-q");
    assertThat(sql.code()).as(sql.err()).isZero();
    List<String> scripts;
    try (var files = Files.list(Files.list(split).findFirst().orElseThrow())) {
      scripts = files.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertThat(scripts).contains("pre-data.sql", "post-data.sql", "manifest.json");
    Result bad =
        run("dump", "--source", db.toString(), "--to", newDir().toString(), "--jobs", "17", "-q");
    assertThat(assertOneSentenceError(bad, ErrorCode.INVALID_ARGUMENT)).contains("jobs 17");
  }

  @Test
  void an_unparsable_part_size_is_an_invalid_argument() throws IOException {
    Result r =
        run(
            "dump",
            "--source",
            db.toString(),
            "--to",
            newDir().toString(),
            "--part-size",
            "lots",
            "-q");
    assertThat(assertOneSentenceError(r, ErrorCode.INVALID_ARGUMENT)).contains("'lots'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "dump", "restore", "verify", "demo"})
  void help_exits_zero(String command) {
    Result r = command.isEmpty() ? run("--help") : run(command, "--help");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("Usage: dbsnap" + (command.isEmpty() ? "" : " " + command));
    assertThat(r.err()).isEmpty();
  }

  @Test
  void the_help_command_exits_zero() {
    Result r = run("help", "dump");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Usage: dbsnap dump");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sql:none", "csv:gzip", "json:zstd"})
  void restore_loads_a_dump_into_a_new_sqlite_file(String formatAndCompression) throws Exception {
    String[] fc = formatAndCompression.split(":");
    Path out = newDir();
    Result dump =
        run(
            "dump",
            "--source",
            db.toString(),
            "--to",
            out.toString(),
            "--export-id",
            "r1",
            "--format",
            fc[0],
            "--compression",
            fc[1],
            "-q");
    assertThat(dump.code()).as(dump.err()).isZero();

    Path restored = out.resolve("restored.db");
    Result restore =
        run(
            "restore",
            "--from",
            out.resolve("r1").toString(),
            "--target",
            restored.toString(),
            "-q");
    assertThat(restore.code()).as(restore.err()).isZero();
    assertThat(restore.err()).startsWith("dbsnap: restored ");
    assertSameTables(restored, fc[0].equals("sql"));
  }

  /**
   * The restored tables equal the source's. CSV and JSON carry values by the column's declared
   * type, so only an SQL dump keeps the storage classes of the edge table, whose values differ from
   * their columns' types; for the other formats that table is left out.
   */
  private static void assertSameTables(Path restored, boolean withEdgeTable) {
    try {
      var expected =
          new java.util.TreeMap<>(TableDigest.of(Source.parse(db.toString(), null, null)));
      var actual =
          new java.util.TreeMap<>(TableDigest.of(Source.parse(restored.toString(), null, null)));
      if (!withEdgeTable) {
        assertThat(actual.remove("edge")).isNotNull();
        expected.remove("edge");
      }
      assertThat(actual).isEqualTo(expected);
      assertThat(expected).containsKey("items");
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
  }

  private static void setAwsKeys(String accessKey, String secretKey) {
    System.setProperty("aws.accessKeyId", accessKey);
    System.setProperty("aws.secretAccessKey", secretKey);
  }

  /** A loopback port with nothing listening on it. */
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
