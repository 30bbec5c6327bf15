package dev.dbsnap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the packaged {@code target/dbsnap.jar} as a process, kills it with SIGKILL in the middle of
 * a multipart object, resumes with {@code dump --resume}, and checks that every object equals, byte
 * for byte, the object of a dump that was never interrupted.
 */
class KillAndResumeIT {
  private static final Path JAR =
      Path.of(System.getProperty("basedir", "."), "target", "dbsnap.jar");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static Path db;

  /**
   * About 150 MB of CSV (about 80 MB gzipped, so some fifteen 5 MiB parts) in one big table between
   * two small ones, so that an object is finished before the kill and another is written after it.
   */
  @BeforeAll
  static void createDatabase() throws Exception {
    if (!Files.isRegularFile(JAR)) {
      fail(
          JAR.toAbsolutePath()
              + " is missing: run 'mvn verify' (which packages it first) or 'mvn package'");
    }
    db = dir.resolve("big.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      st.execute("PRAGMA journal_mode=OFF");
      st.execute("PRAGMA synchronous=OFF");
      st.execute("CREATE TABLE a_small (id INTEGER PRIMARY KEY, v TEXT)");
      st.execute(
          "CREATE TABLE b_big (id INTEGER PRIMARY KEY, label TEXT NOT NULL, payload TEXT, n REAL)");
      st.execute("CREATE TABLE c_after (id INTEGER PRIMARY KEY, v TEXT)");
      st.execute(
          "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1000)"
              + " INSERT INTO a_small SELECT i, 'a' || i FROM s");
      st.execute(
          "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 750000)"
              + " INSERT INTO b_big SELECT i, printf('row %d, \"quoted\"', i), hex(randomblob(84)), i / 7.0 FROM s");
      st.execute(
          "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1000)"
              + " INSERT INTO c_after SELECT i, 'c' || i FROM s");
    }
  }

  private static List<String> dumpArgs(Path to) {
    return List.of(
        "dump",
        "--source",
        db.toString(),
        "--to",
        to.toString(),
        "--export-id",
        "k1",
        "--format",
        "csv",
        "--compression",
        "gzip",
        "--part-size",
        "5MiB",
        "-q");
  }

  private static Process start(List<String> args, Path log) throws IOException {
    List<String> command =
        new ArrayList<>(List.of(javaBinary(), "-Xmx256m", "-jar", JAR.toString()));
    command.addAll(args);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static int runToEnd(List<String> args, Path log) throws Exception {
    Process p = start(args, log);
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      fail(
          "dbsnap did not finish in 90 s: "
              + String.join(" ", args)
              + "\n"
              + Files.readString(log));
    }
    return p.exitValue();
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void a_dump_killed_mid_object_resumes_to_the_bytes_of_an_uninterrupted_dump() throws Exception {
    Path reference = dir.resolve("reference");
    Path referenceLog = dir.resolve("reference.log");
    assertThat(runToEnd(dumpArgs(reference), referenceLog))
        .as(Files.readString(referenceLog))
        .isZero();

    Path target = dir.resolve("target");
    Path checkpointFile = target.resolve("k1").resolve("_checkpoint.json");
    Path killedLog = dir.resolve("killed.log");
    Process dump = start(dumpArgs(target), killedLog);
    int partsAtKill = -1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try {
      while (partsAtKill < 2) {
        if (!dump.isAlive()) {
          fail(
              "the dump ended (exit "
                  + dump.exitValue()
                  + ") before it had uploaded two parts of an object;"
                  + " the database is too small for this test\n"
                  + Files.readString(killedLog));
        }
        if (System.nanoTime() > deadline) {
          fail(
              "no checkpoint with two parts of an object within 60 s\n"
                  + Files.readString(killedLog));
        }
        partsAtKill = currentParts(checkpointFile);
        if (partsAtKill < 2) {
          Thread.sleep(20);
        }
      }
    } finally {
      dump.destroyForcibly(); // SIGKILL: no shutdown hook, no clean-up
      dump.waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(dump.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
    System.out.println(
        "KillAndResumeIT: killed the dump after "
            + partsAtKill
            + " uploaded parts of "
            + JSON.readTree(checkpointFile.toFile()).path("current").path("key").asText());
    assertThat(checkpointFile).as("the killed dump left its checkpoint").exists();
    assertThat(target.resolve("k1").resolve("manifest.json"))
        .as("the killed dump did not finish")
        .doesNotExist();
    assertThat(uploadDirs(target)).as("the killed dump left its multipart upload").isNotEmpty();

    List<String> resume = new ArrayList<>(dumpArgs(target));
    resume.add("--resume");
    Path resumeLog = dir.resolve("resume.log");
    assertThat(runToEnd(resume, resumeLog)).as(Files.readString(resumeLog)).isZero();

    Map<String, String> expected = contents(reference.resolve("k1"));
    assertThat(expected).containsKeys("a_small.csv.gz", "b_big.csv.gz", "c_after.csv.gz");
    assertThat(Files.size(reference.resolve("k1").resolve("b_big.csv.gz")))
        .isGreaterThan(10L * 5 * 1024 * 1024);
    assertThat(contents(target.resolve("k1"))).isEqualTo(expected);
    assertThat(target.resolve("k1").resolve("manifest.json")).exists();
    assertThat(checkpointFile).doesNotExist();
    assertThat(uploadDirs(reference)).isEmpty();
    assertThat(uploadDirs(target)).as("uploads left after the resume").isEmpty();

    JsonNode manifest = JSON.readTree(target.resolve("k1").resolve("manifest.json").toFile());
    assertThat(manifest.path("resumed").asBoolean()).isTrue();
  }

  /** Parts of the object in progress that a checkpoint records, or -1 when there is none yet. */
  private static int currentParts(Path checkpoint) {
    try {
      JsonNode parts = JSON.readTree(Files.readAllBytes(checkpoint)).path("current").path("parts");
      return parts.isArray() ? parts.size() : -1;
    } catch (IOException missingOrBeingReplaced) {
      return -1;
    }
  }

  /** Directories of unfinished multipart uploads anywhere under {@code root}. */
  private static List<Path> uploadDirs(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      return paths
          .filter(
              p ->
                  p.getParent() != null
                      && p.getParent().getFileName() != null
                      && p.getParent().getFileName().toString().equals(".dbsnap-uploads"))
          .toList();
    }
  }

  /** The SHA-256 of every object but manifest.json, by file name. */
  private static Map<String, String> contents(Path exportDir) throws IOException {
    Map<String, String> result = new TreeMap<>();
    try (Stream<Path> files = Files.list(exportDir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (!f.getFileName().toString().equals("manifest.json")) {
          result.put(f.getFileName().toString(), sha256(f));
        }
      }
    }
    return result;
  }

  private static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
