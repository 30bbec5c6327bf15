package dev.dbsnap.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.cli.SnapshotCommand.DurationConverter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    description = {
      "Ask a dbsnap server for the snapshot of one table; with -o, download it.",
      "Prints key, version, outcome, size and sha256. While the server builds it",
      "(HTTP 202), asks again at its Location as Retry-After says, until --timeout.",
      "A download is written under a temporary name beside FILE, checked against the",
      "size and sha256 the server gave, then renamed: a failed one leaves no file.",
      "The token goes only to the server's own origin, never to a presigned URL.",
      "The server and token come from --server/--token or DBSNAP_SERVER/DBSNAP_TOKEN."
    })
final class SnapshotGet extends ExportCommand.ServerCommand {
  private static final Duration DEFAULT_RETRY = Duration.ofSeconds(1);

  @Parameters(index = "0", paramLabel = "SOURCE", description = "the source's name on the server")
  String source;

  @Parameters(index = "1", paramLabel = "TABLE", description = "the table (name or schema.name)")
  String table;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "save the snapshot here (an existing directory: under the key's file name)")
  Path output;

  @Option(
      names = {"-f", "--format"},
      defaultValue = "csv",
      description = "sql, csv, jsonl or json (default: ${DEFAULT-VALUE})")
  String format;

  @Option(
      names = {"-c", "--compression"},
      defaultValue = "none",
      description = "none, gzip or zstd (default: ${DEFAULT-VALUE})")
  String compression;

  @Option(
      names = "--wait",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description = "how long the server may hold each request for a build (default: 30s)")
  Duration wait;

  @Option(
      names = "--max-age",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "for an untracked table, accept a snapshot at most this old")
  Duration maxAge;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "10m",
      converter = DurationConverter.class,
      description =
          "give up when the snapshot is not ready after this long, exit 19 (default: 10m)")
  Duration timeout;

  @Override
  int execute(ServerClient client, PrintStream out, PrintStream err) throws IOException {
    String path =
        "/v1/sources/"
            + ServerClient.segment(source)
            + "/tables/"
            + ServerClient.segment(table)
            + "/snapshot?format="
            + ServerClient.query(format.toLowerCase(Locale.ROOT))
            + "&compression="
            + ServerClient.query(compression.toLowerCase(Locale.ROOT))
            + "&wait="
            + DurationConverter.format(wait)
            + (maxAge == null ? "" : "&maxAge=" + DurationConverter.format(maxAge));
    // the server may hold a request for --wait: the HTTP timeout must outlast it
    Duration requestTimeout = wait.plusSeconds(30);
    long deadline = System.nanoTime() + timeout.toNanos();
    URI at = client.resolve(path);
    ServerClient.Reply reply = client.reply(at, requestTimeout);
    while (reply.status() == 202) {
      if (reply.location() != null) {
        at = reply.location();
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new DbsnapException(
            ErrorCode.SNAPSHOT_NOT_READY,
            "the snapshot of "
                + table
                + " is not ready after "
                + DurationConverter.format(timeout)
                + "; the server goes on building it");
      }
      sleep(Duration.ofNanos(Math.min(left, retryAfter(reply.retryAfter()).toNanos())));
      reply = client.reply(at, requestTimeout);
    }
    JsonNode doc = reply.body();
    if (reply.status() != 200 || doc.path("key").asText("").isEmpty()) {
      throw new DbsnapException(
          ErrorCode.SERVER_UNAVAILABLE,
          "the server at "
              + client.base()
              + " answered HTTP "
              + reply.status()
              + " without a snapshot to "
              + at.getRawPath());
    }
    if (output != null) {
      save(client, doc, err);
    }
    out.println(line(doc));
    return 0;
  }

  /** {@code key version 1764… built (3,000 rows, 165.2 KiB, sha256 3fa2…)} */
  static String line(JsonNode doc) {
    JsonNode version = doc.path("version");
    return String.format(
        Locale.ROOT,
        "%s  version %s  %s  (%,d rows, %s, sha256 %s)",
        doc.path("key").asText(),
        version.isIntegralNumber() ? version.asText() : "untracked",
        doc.path("outcome").asText("?"),
        doc.path("rows").asLong(),
        Common.humanBytes(doc.path("bytes").asLong()),
        doc.path("sha256").asText());
  }

  private void save(ServerClient client, JsonNode doc, PrintStream err) throws IOException {
    String key = doc.path("key").asText();
    String url = doc.path("download").path("url").asText("");
    if (url.isEmpty()) {
      throw new DbsnapException(
          ErrorCode.SERVER_UNAVAILABLE, "the server gave no download URL for " + key);
    }
    Path target = Files.isDirectory(output) ? output.resolve(fileName(key)) : output;
    Path dir = target.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "cannot save to " + target + ": " + dir + " is not a directory");
    }
    HttpResponse<InputStream> response = client.download(client.resolve(url));
    Path temp = Files.createTempFile(dir, "." + target.getFileName(), ".part");
    temp.toFile().deleteOnExit(); // Ctrl-C ends the JVM without unwinding to the finally below
    try {
      MessageDigest sha = sha256();
      long bytes;
      try (InputStream body = new DigestInputStream(response.body(), sha);
          OutputStream file = Files.newOutputStream(temp)) {
        bytes = body.transferTo(file);
      }
      String got = HexFormat.of().formatHex(sha.digest());
      long expectedBytes = doc.path("bytes").asLong(-1);
      String expectedSha = doc.path("sha256").asText("");
      if (bytes != expectedBytes || !got.equalsIgnoreCase(expectedSha)) {
        throw new DbsnapException(
            ErrorCode.VERIFY_FAILED,
            "snapshot "
                + key
                + " arrived as "
                + bytes
                + " bytes with sha256 "
                + got
                + ", but the server lists "
                + expectedBytes
                + " bytes with sha256 "
                + expectedSha
                + "; nothing was saved");
      }
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      err.printf(
          Locale.ROOT,
          "dbsnap: saved %s (%s, sha256 verified) to %s%n",
          key,
          Common.humanBytes(bytes),
          target);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Retry-After in seconds or as an HTTP date; a second when absent or unreadable. */
  static Duration retryAfter(String header) {
    if (header == null || header.isBlank()) {
      return DEFAULT_RETRY;
    }
    String h = header.trim();
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(h)));
    } catch (NumberFormatException notSeconds) {
      try {
        Duration d =
            Duration.between(
                ZonedDateTime.now(), ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME));
        return d.isNegative() ? Duration.ZERO : d;
      } catch (DateTimeParseException notADate) {
        return DEFAULT_RETRY;
      }
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbsnapException(ErrorCode.CANCELLED, "interrupted while waiting for the snapshot");
    }
  }

  /** The last segment of a key, refusing names that would leave the directory. */
  private static String fileName(String key) {
    String name = key.substring(key.lastIndexOf('/') + 1);
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "snapshot '" + key + "' has no file name; save it with -o FILE");
    }
    return name;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
