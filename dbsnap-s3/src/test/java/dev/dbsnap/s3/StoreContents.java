package dev.dbsnap.s3;

import dev.dbsnap.export.Manifest;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/** What a store holds, to compare exports made different ways. */
final class StoreContents {
  private StoreContents() {}

  /**
   * The SHA-256 of every object under {@code prefix} but manifests (whose times differ), by key
   * relative to {@code prefix}.
   */
  static Map<String, String> sha256s(ObjectStore store, String prefix) {
    Map<String, String> result = new TreeMap<>();
    for (ObjectInfo info : store.list(prefix)) {
      if (info.key().endsWith(Manifest.FILE)) {
        continue;
      }
      try (InputStream in = store.get(info.key())) {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          sha.update(buf, 0, n);
        }
        result.put(info.key().substring(prefix.length()), HexFormat.of().formatHex(sha.digest()));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return result;
  }
}
