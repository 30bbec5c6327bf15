package dev.dbsnap.export;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Tells whether the object at a key is the one a multipart upload was completing: for a completion
 * whose answer was lost (a crash, or a failure at the client after the store completed it).
 *
 * <p>The size must match. Then the HEAD usually settles it: S3 and most compatible stores give a
 * multipart object the ETag {@code md5(md5(part 1) … md5(part n))-n}, computable from the parts'
 * ETags the checkpoint holds. When the store's ETags are not MD5s (a local directory, encrypted
 * buckets) the object is read once and its SHA-256 compared.
 */
final class CompletedObjects {
  private static final Pattern MD5 = Pattern.compile("[0-9a-fA-F]{32}");

  private CompletedObjects() {}

  /**
   * Whether {@code key} holds an object of {@code bytes} bytes with SHA-256 {@code sha256}, made of
   * {@code parts}.
   *
   * @throws DbsnapException STORE_UNAVAILABLE when the store cannot be asked
   */
  static boolean isWhole(
      ObjectStore store, String key, long bytes, String sha256, List<Checkpoint.Part> parts) {
    Optional<ObjectInfo> info = store.head(key);
    if (info.isEmpty() || info.get().size() != bytes) {
      return false;
    }
    String expected = multipartEtag(parts);
    if (expected != null && expected.equalsIgnoreCase(unquote(info.get().etag()))) {
      return true;
    }
    return sha256.equalsIgnoreCase(sha256Of(store, key));
  }

  /** The ETag S3 gives the object completed from {@code parts}, or null if it cannot be known. */
  static String multipartEtag(List<Checkpoint.Part> parts) {
    if (parts.isEmpty()) {
      return null;
    }
    MessageDigest md5 = digest("MD5");
    for (Checkpoint.Part p : parts) {
      String etag = unquote(p.etag());
      if (etag == null || !MD5.matcher(etag).matches()) {
        return null;
      }
      md5.update(HexFormat.of().parseHex(etag));
    }
    return HexFormat.of().formatHex(md5.digest()) + "-" + parts.size();
  }

  private static String unquote(String etag) {
    if (etag == null) {
      return null;
    }
    return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
        ? etag.substring(1, etag.length() - 1)
        : etag;
  }

  private static String sha256Of(ObjectStore store, String key) {
    MessageDigest sha = digest("SHA-256");
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = store.get(key)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "cannot read " + key + ": " + e.getMessage(), e);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
