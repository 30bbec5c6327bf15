package dev.dbsnap.export;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;

/**
 * The state of a SHA-256 computation between two updates, as a checkpoint keeps it: the chaining
 * value H0..H7, the number of bytes hashed so far and the bytes of the block not yet compressed.
 * Every {@link ResumableSha256} reads and writes it, so a checkpoint written by one implementation
 * resumes in the other.
 *
 * <p>Its text form is {@code v2:} followed by the base64 of H0..H7 (big-endian), the byte count (8
 * bytes, big-endian) and the partial block ({@code count % 64} bytes). {@link #decode} also reads
 * the form checkpoints held before: a plain base64 of Bouncy Castle's {@code
 * SHA256Digest.getEncodedState()}.
 *
 * @param h the chaining value after the whole blocks hashed so far
 * @param bytes how many bytes were hashed
 * @param partial the last {@code bytes % 64} bytes, not yet compressed
 */
record Sha256State(int[] h, long bytes, byte[] partial) {
  private static final String PREFIX = "v2:";

  /** The state before any byte. */
  static final Sha256State INITIAL =
      new Sha256State(
          new int[] {
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
          },
          0,
          new byte[0]);

  Sha256State {
    if (h.length != 8) {
      throw new IllegalArgumentException("SHA-256 state has " + h.length + " words, not 8");
    }
    if (bytes < 0 || partial.length != (int) (bytes % 64)) {
      throw new IllegalArgumentException(
          "SHA-256 state of " + bytes + " bytes holds a partial block of " + partial.length);
    }
    h = h.clone();
    partial = partial.clone();
  }

  @Override
  public int[] h() {
    return h.clone();
  }

  @Override
  public byte[] partial() {
    return partial.clone();
  }

  /** The text form, {@code v2:} and base64. */
  String encode() {
    ByteBuffer b = ByteBuffer.allocate(40 + partial.length);
    for (int word : h) {
      b.putInt(word);
    }
    b.putLong(bytes).put(partial);
    return PREFIX + Base64.getEncoder().encodeToString(b.array());
  }

  /**
   * Reads either text form.
   *
   * @throws IllegalArgumentException when {@code text} is neither
   */
  static Sha256State decode(String text) {
    if (!text.startsWith(PREFIX)) {
      return fromBouncyCastle(Base64.getDecoder().decode(text));
    }
    byte[] raw = Base64.getDecoder().decode(text.substring(PREFIX.length()));
    if (raw.length < 40) {
      throw new IllegalArgumentException("SHA-256 state of " + raw.length + " bytes is too short");
    }
    ByteBuffer b = ByteBuffer.wrap(raw);
    int[] h = new int[8];
    for (int i = 0; i < 8; i++) {
      h[i] = b.getInt();
    }
    long bytes = b.getLong();
    return new Sha256State(h, bytes, Arrays.copyOfRange(raw, 40, raw.length));
  }

  // Bouncy Castle 1.79's SHA256Digest.getEncodedState(): xBuf (4 bytes, xBufOff of them used),
  // xBufOff (int), byteCount (long), H1..H8 (ints), xOff (int), X[0..xOff) (ints), then the
  // CryptoServicePurpose's ordinal (one byte). All big-endian. The block's bytes are the words of
  // X followed by the bytes of xBuf.
  private static final int BC_WORDS = 52;

  static Sha256State fromBouncyCastle(byte[] encoded) {
    if (encoded.length < BC_WORDS + 1) {
      throw new IllegalArgumentException(
          "Bouncy Castle SHA-256 state of " + encoded.length + " bytes is too short");
    }
    ByteBuffer b = ByteBuffer.wrap(encoded);
    int xBufOff = b.getInt(4);
    long bytes = b.getLong(8);
    int[] h = new int[8];
    for (int i = 0; i < 8; i++) {
      h[i] = b.getInt(16 + 4 * i);
    }
    int xOff = b.getInt(48);
    if (xBufOff < 0 || xBufOff > 3 || xOff < 0 || xOff > 15) {
      throw new IllegalArgumentException(
          "Bouncy Castle SHA-256 state has xOff " + xOff + " and xBufOff " + xBufOff);
    }
    if (encoded.length != BC_WORDS + 4 * xOff + 1) {
      throw new IllegalArgumentException(
          "Bouncy Castle SHA-256 state of " + encoded.length + " bytes with xOff " + xOff);
    }
    byte[] partial = new byte[4 * xOff + xBufOff];
    System.arraycopy(encoded, BC_WORDS, partial, 0, 4 * xOff);
    System.arraycopy(encoded, 0, partial, 4 * xOff, xBufOff);
    return new Sha256State(h, bytes, partial);
  }

  /** Bouncy Castle's encoded state, for {@code new SHA256Digest(byte[])}. */
  byte[] toBouncyCastle() {
    int xOff = partial.length / 4;
    int xBufOff = partial.length % 4;
    ByteBuffer b = ByteBuffer.allocate(BC_WORDS + 4 * xOff + 1);
    b.put(0, partial, 4 * xOff, xBufOff);
    b.putInt(4, xBufOff).putLong(8, bytes);
    for (int i = 0; i < 8; i++) {
      b.putInt(16 + 4 * i, h[i]);
    }
    b.putInt(48, xOff);
    b.put(BC_WORDS, partial, 0, 4 * xOff);
    b.put(b.capacity() - 1, (byte) org.bouncycastle.crypto.CryptoServicePurpose.ANY.ordinal());
    return b.array();
  }
}
