package dev.dbsnap.format;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable byte buffer that encoders write into: UTF-8 text, ASCII and raw bytes without the
 * allocation of String.getBytes on the hot path. Not thread-safe.
 */
public final class ByteBuf {
  private static final byte[] HEX =
      "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private byte[] buf;
  private int size;

  public ByteBuf(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  public int size() {
    return size;
  }

  public void clear() {
    size = 0;
  }

  public byte[] array() {
    return buf;
  }

  public void writeTo(OutputStream out) throws IOException {
    out.write(buf, 0, size);
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  private void ensure(int extra) {
    if (size + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
    }
  }

  public ByteBuf write(int b) {
    ensure(1);
    buf[size++] = (byte) b;
    return this;
  }

  public ByteBuf write(byte[] b) {
    return write(b, 0, b.length);
  }

  public ByteBuf write(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, size, len);
    size += len;
    return this;
  }

  /**
   * Writes {@code len} bytes with every {@code quote} byte doubled: the body of a CSV or SQL quoted
   * field from UTF-8 text, in which a quote byte is always the quote character.
   */
  public ByteBuf writeDoubling(byte[] b, int off, int len, byte quote) {
    ensure(len * 2);
    byte[] d = buf;
    int p = size;
    int start = off;
    int end = off + len;
    for (int i = off; i < end; i++) {
      if (b[i] == quote) {
        int n = i + 1 - start;
        System.arraycopy(b, start, d, p, n);
        p += n;
        d[p++] = quote;
        start = i + 1;
      }
    }
    System.arraycopy(b, start, d, p, end - start);
    size = p + end - start;
    return this;
  }

  /** Writes a string that is known to be ASCII (digits, keywords). */
  public ByteBuf ascii(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[size++] = (byte) s.charAt(i);
    }
    return this;
  }

  public ByteBuf decimal(long v) {
    if (v >= 0 && v < 10) {
      return write('0' + (int) v);
    }
    return ascii(Long.toString(v));
  }

  /** Writes a string as UTF-8; unpaired surrogates become '?', as String.getBytes does. */
  public ByteBuf utf8(CharSequence s) {
    return utf8(s, 0, s.length());
  }

  public ByteBuf utf8(CharSequence s, int from, int to) {
    ensure((to - from) * 3);
    byte[] b = buf;
    int p = size;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        b[p++] = (byte) c;
      } else if (c < 0x800) {
        b[p++] = (byte) (0xC0 | (c >> 6));
        b[p++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < to
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        b[p++] = (byte) (0xF0 | (cp >> 18));
        b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        b[p++] = (byte) (0x80 | (cp & 0x3F));
      } else if (Character.isSurrogate(c)) {
        b[p++] = '?';
      } else {
        b[p++] = (byte) (0xE0 | (c >> 12));
        b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        b[p++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    size = p;
    return this;
  }

  /** Writes bytes as lower-case hex digits. */
  public ByteBuf hex(byte[] bytes) {
    ensure(bytes.length * 2);
    for (byte x : bytes) {
      buf[size++] = HEX[(x >> 4) & 0xF];
      buf[size++] = HEX[x & 0xF];
    }
    return this;
  }

  /** Writes bytes as standard base64 with padding. */
  public ByteBuf base64(byte[] bytes) {
    return write(java.util.Base64.getEncoder().encode(bytes));
  }
}
