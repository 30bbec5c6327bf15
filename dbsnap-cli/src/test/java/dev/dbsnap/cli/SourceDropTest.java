package dev.dbsnap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.ErrorCode;
import dev.dbsnap.testing.PgTestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dbsnap dump} when the source drops its connection mid-dump (the backend is terminated once
 * the first part is checkpointed): it retries from the checkpoint and ends with the bytes of a dump
 * that was never disturbed; with no retries left it keeps the checkpoint and says how to continue.
 */
class SourceDropTest {
  private static final AtomicInteger RUNS = new AtomicInteger();

  @TempDir static Path dir;
  static String database;
  static String url;
  static Map<String, String> expected;

  @BeforeAll
  static void createSource() throws Exception {
    database = PgTestServer.createDatabase();
    url = PgTestServer.jdbcUrl(database);
    try (Connection c = PgTestServer.connect(database);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE small (id int PRIMARY KEY, v text)");
      st.execute("INSERT INTO small SELECT i, 'v' || i FROM generate_series(1, 100) i");
      // about 40 MB of csv: eight 5 MiB parts
      st.execute("CREATE TABLE zz_big (id bigint PRIMARY KEY, t text NOT NULL)");
      st.execute(
          "INSERT INTO zz_big SELECT i, repeat(md5(i::text), 12)"
              + " FROM generate_series(1, 100000) i");
      st.execute("ANALYZE");
    }
    Path reference = dir.resolve("reference");
    CliTest.Result r = dump(reference, "--export-id", "e");
    assertThat(r.code()).as(r.err()).isZero();
    expected = objects(reference.resolve("e"));
  }

  private static CliTest.Result dump(Path to, String... more) {
    String[] args =
        Stream.concat(
                Stream.of(
                    "dump",
                    "--source",
                    url,
                    "--to",
                    to.toString(),
                    "--format",
                    "csv",
                    "--part-size",
                    "5MiB",
                    "--concurrency",
                    "2",
                    "--retry-wait",
                    "10ms",
                    "--quiet"),
                Stream.of(more))
            .toArray(String[]::new);
    return CliTest.run(args);
  }

  @Test
  void a_dump_survives_a_dropped_source_connection_with_identical_bytes() throws Exception {
    Path to = dir.resolve("dropped-" + RUNS.incrementAndGet());
    try (SourceKiller killer = new SourceKiller(to.resolve("e/_checkpoint.json"))) {
      CliTest.Result r = dump(to, "--export-id", "e");

      assertThat(killer.kills.get()).as("backends terminated mid-dump").isEqualTo(1);
      assertThat(r.code()).as("stderr: %s", r.err()).isZero();
      assertThat(r.err()).contains("retrying from the checkpoint");
    }
    assertThat(objects(to.resolve("e"))).isEqualTo(expected);
    assertThat(CliTest.run("verify", "--from", to.resolve("e").toString()).code()).isZero();
  }

  @Test
  void without_retries_a_dropped_connection_keeps_the_checkpoint_and_says_to_resume()
      throws Exception {
    Path to = dir.resolve("no-retries-" + RUNS.incrementAndGet());
    CliTest.Result r;
    try (SourceKiller killer = new SourceKiller(to.resolve("e/_checkpoint.json"))) {
      r = dump(to, "--export-id", "e", "--retries", "0");
      assertThat(killer.kills.get()).isEqualTo(1);
    }
    String line = CliTest.assertOneSentenceError(r, ErrorCode.SOURCE_READ_FAILED);
    assertThat(line).endsWith("run the same command with --resume to continue");
    assertThat(to.resolve("e/_checkpoint.json")).exists();

    CliTest.Result resumed = dump(to, "--export-id", "e", "--resume");
    assertThat(resumed.code()).as("stderr: %s", resumed.err()).isZero();
    assertThat(objects(to.resolve("e"))).isEqualTo(expected);
  }

  /**
   * Terminates the dump's source connection once, as soon as the checkpoint shows an uploaded part
   * of the big table.
   */
  private static final class SourceKiller implements AutoCloseable {
    final AtomicInteger kills = new AtomicInteger();
    private final Thread thread;
    private volatile boolean stop;

    SourceKiller(Path checkpoint) {
      thread =
          new Thread(
              () -> {
                while (!stop) {
                  try {
                    if (Files.exists(checkpoint)
                        && Files.readString(checkpoint).matches("(?s).*\"parts\":\\[\\{.*")) {
                      terminate();
                      return;
                    }
                    Thread.sleep(2);
                  } catch (IOException ignored) {
                    // the checkpoint is being replaced; read it again
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "source-killer");
      thread.setDaemon(true);
      thread.start();
    }

    private void terminate() {
      try (Connection c = PgTestServer.connect("postgres");
          PreparedStatement ps =
              c.prepareStatement(
                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      + " WHERE datname = ? AND pid <> pg_backend_pid()")) {
        ps.setString(1, database);
        ps.executeQuery().close();
        kills.incrementAndGet();
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      thread.join(5_000);
    }
  }

  /** SHA-256 of every object of an export but its manifest, by file name. */
  private static Map<String, String> objects(Path exportDir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(exportDir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        if (!name.equals("manifest.json") && Files.isRegularFile(p)) {
          out.put(name, sha256(p));
        }
      }
    }
    return out;
  }

  private static String sha256(Path p) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(Files.readAllBytes(p));
      return HexFormat.of().formatHex(sha.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
