package dev.dbsnap.export;

import java.util.HexFormat;
import org.bouncycastle.crypto.digests.SHA256Digest;

/** Bouncy Castle's pure-Java SHA-256, whose state is public API: the fallback. */
final class BouncyCastleSha256 implements ResumableSha256 {
  private final SHA256Digest digest;

  private BouncyCastleSha256(SHA256Digest digest) {
    this.digest = digest;
  }

  static BouncyCastleSha256 restore(Sha256State state) {
    return new BouncyCastleSha256(new SHA256Digest(state.toBouncyCastle()));
  }

  @Override
  public void update(byte[] b, int off, int len) {
    digest.update(b, off, len);
  }

  @Override
  public Sha256State state() {
    return Sha256State.fromBouncyCastle(digest.getEncodedState());
  }

  @Override
  public String hexDigest() {
    byte[] out = new byte[32];
    new SHA256Digest(digest).doFinal(out, 0);
    return HexFormat.of().formatHex(out);
  }
}
