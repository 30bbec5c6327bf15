package dev.dbsnap.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "download",
    mixinStandardHelpOptions = true,
    description = {
      "Download a finished export: one object, or all of them as one zip.",
      "A single object is checked against the sha256 in the export's status, and each object of a zip too.",
      "A file is written under a temporary name and renamed once complete and checked."
    })
final class ExportDownload extends ExportCommand.ServerCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "the export's id")
  String id;

  @Option(
      names = "--object",
      paramLabel = "KEY",
      description = "only this object (default: the only one, else a zip of all)")
  String object;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE|DIR",
      description =
          "where to save: a file, an existing directory, or - for standard output (default: the current directory)")
  String output;

  @Override
  int execute(ServerClient client, PrintStream out, PrintStream err) throws IOException {
    String jobPath = "/v1/exports/" + ServerClient.segment(id);
    JsonNode doc = client.get(jobPath);
    Map<String, JsonNode> objects = new HashMap<>();
    doc.path("objects").forEach(o -> objects.put(o.path("key").asText(), o));
    String key = object;
    if (key == null && objects.size() == 1) {
      key = objects.keySet().iterator().next();
    }
    if (key != null && !objects.isEmpty() && !objects.containsKey(key)) {
      throw new DbsnapException(
          ErrorCode.NOT_FOUND,
          "export "
              + id
              + " has no object '"
              + key
              + "'; it has "
              + String.join(", ", objects.keySet().stream().sorted().toList()));
    }
    String path = jobPath + "/download" + (key == null ? "" : "?object=" + ServerClient.query(key));
    String defaultName = key == null ? id + ".zip" : fileName(key);
    JsonNode expected = key == null ? null : objects.get(key);

    HttpResponse<InputStream> response = client.download(path);
    if ("-".equals(output)) {
      try (InputStream body = response.body()) {
        Copied copied = copy(body, out);
        out.flush();
        check(expected, key, copied);
      }
      return 0;
    }
    Path target = target(defaultName);
    if (!Files.isDirectory(target.toAbsolutePath().getParent())) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "cannot save to "
              + target
              + ": "
              + target.toAbsolutePath().getParent()
              + " is not a directory");
    }
    Path temp =
        Files.createTempFile(
            target.toAbsolutePath().getParent(), "." + target.getFileName(), ".part");
    temp.toFile().deleteOnExit(); // Ctrl-C ends the JVM without unwinding to the finally below
    try {
      Copied copied;
      try (InputStream body = response.body();
          OutputStream file = Files.newOutputStream(temp)) {
        copied = copy(body, file);
      }
      check(expected, key, copied);
      int verified = key == null ? checkZip(temp, objects) : 1;
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      String checked =
          verified == 0
              ? ""
              : key != null ? ", sha256 verified" : ", sha256 of " + verified + " objects verified";
      err.printf(
          Locale.ROOT,
          "dbsnap: saved %s (%s%s) to %s%n",
          key == null ? "export " + id + " as a zip" : key,
          Common.humanBytes(copied.bytes()),
          checked,
          target);
      return 0;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private Path target(String defaultName) {
    if (output == null) {
      return Path.of(defaultName);
    }
    Path p = Path.of(output);
    return Files.isDirectory(p) ? p.resolve(defaultName) : p;
  }

  /** The last segment of an object key, refusing names that would leave the directory. */
  private static String fileName(String key) {
    String name = key.substring(key.lastIndexOf('/') + 1);
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "object '" + key + "' has no file name; save it with -o FILE");
    }
    return name;
  }

  record Copied(long bytes, String sha256) {}

  private static Copied copy(InputStream in, OutputStream out) throws IOException {
    MessageDigest sha = sha256();
    // Not closed here: a zip entry's stream is the whole zip's.
    DigestInputStream digesting = new DigestInputStream(in, sha);
    long n = digesting.transferTo(out);
    return new Copied(n, HexFormat.of().formatHex(sha.digest()));
  }

  private void check(JsonNode expected, String key, Copied got) {
    if (expected == null) {
      return;
    }
    long bytes = expected.path("bytes").asLong(-1);
    String sha = expected.path("sha256").asText();
    if ((bytes >= 0 && bytes != got.bytes()) || !sha.equalsIgnoreCase(got.sha256())) {
      throw new DbsnapException(
          ErrorCode.VERIFY_FAILED,
          "object "
              + key
              + " of export "
              + id
              + " arrived as "
              + got.bytes()
              + " bytes with sha256 "
              + got.sha256()
              + ", but the export lists "
              + bytes
              + " bytes with sha256 "
              + sha);
    }
  }

  /**
   * Checks every entry of the zip named like an object of the export; returns how many were
   * checked.
   */
  private int checkZip(Path zip, Map<String, JsonNode> objects) throws IOException {
    int checked = 0;
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        JsonNode expected = objects.get(e.getName());
        if (expected != null) {
          check(expected, e.getName(), copy(in, OutputStream.nullOutputStream()));
          checked++;
        }
      }
    } catch (java.util.zip.ZipException e) {
      throw new DbsnapException(
          ErrorCode.VERIFY_FAILED, "the zip of export " + id + " is damaged: " + e.getMessage(), e);
    }
    return checked;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
