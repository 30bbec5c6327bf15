package dev.dbsnap.server;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code dbsnap serve} started from the packaged jar as a separate JVM, for crash tests. */
final class ServeProcess implements AutoCloseable {
  static final Path JAR = Path.of(System.getProperty("basedir", "."), "target", "dbsnap.jar");
  private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

  final Process process;
  final Path log;
  final URI baseUri;

  private ServeProcess(Process process, Path log, URI baseUri) {
    this.process = process;
    this.log = log;
    this.baseUri = baseUri;
  }

  /** Starts {@code dbsnap serve --config config} and waits until it listens. */
  static ServeProcess start(Path config, Map<String, String> env, Path log) throws Exception {
    if (!Files.isRegularFile(JAR)) {
      fail(
          JAR.toAbsolutePath()
              + " is missing: run 'mvn verify' (which packages it first) or 'mvn package'");
    }
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-jar",
                JAR.toString(),
                "serve",
                "--config",
                config.toString()));
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("DBSNAP_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String text = Files.exists(log) ? Files.readString(log) : "";
      Matcher m = LISTENING.matcher(text);
      if (m.find()) {
        return new ServeProcess(p, log, URI.create(m.group(1)));
      }
      if (!p.isAlive()) {
        fail("dbsnap serve exited with " + p.exitValue() + " before listening:\n" + text);
      }
      Thread.sleep(50);
    }
    p.destroyForcibly();
    fail("dbsnap serve did not listen within 60 s:\n" + Files.readString(log));
    return null;
  }

  long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook runs, the lease is left to expire. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  String output() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}
