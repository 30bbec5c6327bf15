package dev.dbsnap.export;

import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.LocalObjectStore;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A separate JVM's side of the digest tests: continues a saved SHA-256 state, or resumes an export
 * from a checkpoint, and prints which implementation it used and the hashes it got.
 *
 * <ul>
 *   <li>{@code digest STATE_FILE DATA_FILE OFFSET}: restores the state and hashes the data from
 *       OFFSET on;
 *   <li>{@code resume SQLITE_DB STORE_DIR CHECKPOINT_FILE}: resumes the export {@code x1} under
 *       {@code exports} with {@link #options()}.
 * </ul>
 */
public final class Sha256Resume {
  /** What the other JVM printed. */
  record Output(String implementation, List<String> sha256, String stderr) {}

  static ExportOptions options() {
    return ExportOptions.defaults(Format.CSV, Compression.NONE).withSmallParts(16 * 1024, 6 * 1024);
  }

  public static void main(String[] args) throws Exception {
    System.out.println("implementation=" + ResumableSha256.implementation());
    switch (args[0]) {
      case "digest" -> {
        ResumableSha256 d = ResumableSha256.restore(Files.readString(Path.of(args[1])).trim());
        byte[] data = Files.readAllBytes(Path.of(args[2]));
        int offset = Integer.parseInt(args[3]);
        d.update(data, offset, data.length - offset);
        System.out.println("sha256=" + d.hexDigest());
      }
      case "resume" -> {
        Checkpoint checkpoint = Checkpoint.fromJson(Files.readString(Path.of(args[3])));
        Manifest m =
            new Exporter(
                    Source.parse(args[1], null, null),
                    LocalObjectStore.open(Path.of(args[2])),
                    "exports",
                    "x1",
                    options(),
                    ExportListener.NONE,
                    Clock.systemUTC(),
                    () -> false)
                .run(checkpoint);
        for (Manifest.ObjectEntry o : m.objects()) {
          System.out.println("sha256=" + o.key() + " " + o.sha256());
        }
      }
      default -> throw new IllegalArgumentException("unknown command " + args[0]);
    }
  }

  /**
   * Runs {@link #main} in a new JVM on this test classpath, with or without {@code --add-opens
   * java.base/sun.security.provider=ALL-UNNAMED}.
   */
  static Output run(boolean opened, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (opened) {
      cmd.add("--add-opens");
      cmd.add("java.base/sun.security.provider=ALL-UNNAMED");
    }
    cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path")));
    cmd.add(Sha256Resume.class.getName());
    cmd.addAll(List.of(args));
    File err = File.createTempFile("sha256resume", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(err).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("the other JVM did not finish in 60 s");
      }
      String stderr = Files.readString(err.toPath());
      if (p.exitValue() != 0) {
        throw new IllegalStateException("the other JVM exited " + p.exitValue() + ":\n" + stderr);
      }
      String impl = null;
      List<String> hashes = new ArrayList<>();
      for (String line : out.split("\n")) {
        if (line.startsWith("implementation=")) {
          impl = line.substring("implementation=".length());
        } else if (line.startsWith("sha256=")) {
          hashes.add(line.substring("sha256=".length()));
        }
      }
      return new Output(impl, hashes, stderr);
    } finally {
      Files.deleteIfExists(err.toPath());
    }
  }

  /** The SHA-256 of a file, by the {@code sha256sum} program when there is one. */
  static String sha256sum(Path file) throws IOException, InterruptedException {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path program = Path.of(dir, "sha256sum");
      if (!dir.isEmpty() && Files.isExecutable(program)) {
        Process p = new ProcessBuilder(program.toString(), file.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        if (p.waitFor() != 0) {
          throw new IllegalStateException("sha256sum " + file + " exited " + p.exitValue());
        }
        return out.substring(0, 64);
      }
    }
    try (InputStream in = Files.newInputStream(file)) {
      return sha256sum(in.readAllBytes());
    }
  }

  static String sha256sum(byte[] data) {
    return sha256sum(data, data.length);
  }

  static String sha256sum(byte[] data, int length) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(data, 0, length);
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
