package dev.dbsnap.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** PostgreSQL's own clients (psql, pg_dump) run against the embedded test server. */
public final class PgClients {
  private PgClients() {}

  public static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Runs scripts with psql in one session, in order (as {@code psql -f a -f b}), stopping at the
   * first error.
   */
  public static void psql(String db, Path file, Path... more)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "psql",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "localhost",
                "-p",
                String.valueOf(PgTestServer.port()),
                "-U",
                PgTestServer.USER,
                "-d",
                db,
                "-f",
                file.toString()));
    for (Path f : more) {
      command.add("-f");
      command.add(f.toString());
    }
    run(command);
  }

  /**
   * pg_dump's data of a database, comments left out and rows sorted within each table, since heap
   * order may differ between a source and its restored copy.
   */
  public static String dataDump(String db) throws IOException, InterruptedException {
    // The partitioned table becomes an ordinary one; its rows are compared through the reader.
    String dump =
        run(
            List.of(
                "pg_dump",
                "--data-only",
                "--no-owner",
                "-h",
                "localhost",
                "-p",
                String.valueOf(PgTestServer.port()),
                "-U",
                PgTestServer.USER,
                "-T",
                "public.measure*",
                "-T",
                "public.dbsnap_*",
                db));
    StringBuilder out = new StringBuilder();
    List<String> block = null;
    for (String line : dump.split("\n", -1)) {
      if (line.startsWith("--")
          || line.startsWith("\\restrict")
          || line.startsWith("\\unrestrict")) {
        continue;
      }
      if (block != null) {
        if (line.equals("\\.")) {
          block.sort(null);
          block.forEach(l -> out.append(l).append('\n'));
          out.append(line).append('\n');
          block = null;
        } else {
          block.add(line);
        }
      } else {
        out.append(line).append('\n');
        if (line.startsWith("COPY ")) {
          block = new ArrayList<>();
        }
      }
    }
    assertThat(out.toString()).contains("COPY public.edge", "COPY app.pairs", "pg_catalog.setval");
    return out.toString();
  }

  /**
   * pg_dump's structure of a database ({@code --schema-only}, then {@code options} such as {@code
   * --no-owner}), its comment lines and the per-run {@code \restrict} keys left out, so two
   * databases holding the same objects compare equal.
   */
  public static String schemaDump(String db, String... options)
      throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("pg_dump", "--schema-only"));
    command.addAll(List.of(options));
    command.addAll(
        List.of(
            "-h",
            "localhost",
            "-p",
            String.valueOf(PgTestServer.port()),
            "-U",
            PgTestServer.USER,
            db));
    String dump = run(command);
    StringBuilder out = new StringBuilder();
    for (String line : dump.split("\n", -1)) {
      if (!line.startsWith("--")
          && !line.startsWith("\\restrict")
          && !line.startsWith("\\unrestrict")) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("PGCLIENTENCODING", "UTF8");
    pb.environment().put("PGTZ", "UTC");
    Process p = pb.start();
    byte[] output = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    String text = new String(output, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + text).isZero();
    return text;
  }
}
