package dev.dbsnap.verify;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Checks an export's objects against its manifest by reading them back. */
public final class Verifier {
  private Verifier() {}

  public record Report(Manifest manifest, List<String> lines, int problems, int objects) {
    public boolean ok() {
      return problems == 0;
    }
  }

  public static Report verify(ObjectStore store, String exportDir) {
    Manifest manifest = Manifest.read(store.get(exportDir + Manifest.FILE));
    List<String> lines = new ArrayList<>();
    int problems = 0;
    for (Manifest.ObjectEntry o : manifest.objects()) {
      String problem = check(store, exportDir + o.key(), o);
      lines.add(
          (problem == null ? "OK    " : "FAIL  ")
              + o.key()
              + (problem == null ? "" : ": " + problem));
      if (problem != null) {
        problems++;
      }
    }
    return new Report(manifest, lines, problems, manifest.objects().size());
  }

  private static String check(ObjectStore store, String key, Manifest.ObjectEntry expected) {
    if (store.head(key).isEmpty()) {
      return "missing";
    }
    try (InputStream in = store.get(key)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      long size = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
        size += n;
      }
      if (size != expected.bytes()) {
        return "size " + size + " bytes, manifest says " + expected.bytes();
      }
      String hex = HexFormat.of().formatHex(sha.digest());
      return hex.equals(expected.sha256())
          ? null
          : "sha256 " + hex + ", manifest says " + expected.sha256();
    } catch (IOException | DbsnapException e) {
      return "unreadable: " + e.getMessage();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
