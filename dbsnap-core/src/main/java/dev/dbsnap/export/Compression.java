package dev.dbsnap.export;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Output compression, reset at every frame (DESIGN 5): gzip members and zstd frames concatenate
 * into streams that {@code gzip -d} and {@code zstd -d} read whole, and a frame compressed alone
 * gives the same bytes whenever it is compressed again from the same input.
 */
public enum Compression {
  NONE(""),
  GZIP(".gz"),
  ZSTD(".zst");

  private final String suffix;

  Compression(String suffix) {
    this.suffix = suffix;
  }

  /** The file-name suffix: "", ".gz" or ".zst". */
  public String suffix() {
    return suffix;
  }

  public static Compression parse(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "none" -> NONE;
      case "gzip", "gz" -> GZIP;
      case "zstd", "zst" -> ZSTD;
      default ->
          throw new DbsnapException(
              ErrorCode.INVALID_ARGUMENT,
              "unknown compression '" + name + "': use none, gzip or zstd");
    };
  }

  FrameCompressor newCompressor(OutputStream sink) {
    return switch (this) {
      case NONE -> new Plain(sink);
      case GZIP -> new Gzip(sink);
      case ZSTD -> new Zstd(sink);
    };
  }

  /** Compresses one frame at a time into a sink. Not thread-safe. */
  interface FrameCompressor extends AutoCloseable {
    void startFrame() throws IOException;

    void write(byte[] b, int off, int len) throws IOException;

    /** Ends the frame: everything it compressed is in the sink when this returns. */
    void endFrame() throws IOException;

    @Override
    void close();
  }

  private static final class Plain implements FrameCompressor {
    private final OutputStream sink;

    Plain(OutputStream sink) {
      this.sink = sink;
    }

    @Override
    public void startFrame() {}

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      sink.write(b, off, len);
    }

    @Override
    public void endFrame() {}

    @Override
    public void close() {}
  }

  /** One gzip member per frame (RFC 1952), with mtime 0 so output is deterministic. */
  private static final class Gzip implements FrameCompressor {
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
    private final OutputStream sink;
    private final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    private final CRC32 crc = new CRC32();
    private final byte[] out = new byte[64 * 1024];
    private long inputBytes;

    Gzip(OutputStream sink) {
      this.sink = sink;
    }

    @Override
    public void startFrame() throws IOException {
      deflater.reset();
      crc.reset();
      inputBytes = 0;
      sink.write(HEADER);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      crc.update(b, off, len);
      inputBytes += len;
      deflater.setInput(b, off, len);
      while (!deflater.needsInput()) {
        drain();
      }
    }

    private void drain() throws IOException {
      int n = deflater.deflate(out, 0, out.length, Deflater.NO_FLUSH);
      if (n > 0) {
        sink.write(out, 0, n);
      }
    }

    @Override
    public void endFrame() throws IOException {
      deflater.finish();
      while (!deflater.finished()) {
        int n = deflater.deflate(out, 0, out.length);
        sink.write(out, 0, n);
      }
      long c = crc.getValue();
      int size = (int) inputBytes;
      byte[] trailer = {
        (byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
        (byte) size, (byte) (size >> 8), (byte) (size >> 16), (byte) (size >> 24)
      };
      sink.write(trailer);
    }

    @Override
    public void close() {
      deflater.end();
    }
  }

  /** One zstd frame per frame, single-threaded at level 3 so output is deterministic. */
  private static final class Zstd implements FrameCompressor {
    private final OutputStream sink;
    private ZstdOutputStreamNoFinalizer frame;

    Zstd(OutputStream sink) {
      this.sink =
          new FilterOutputStream(sink) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              out.write(b, off, len);
            }

            @Override
            public void close() {} // closing a frame must not close the part writer
          };
    }

    @Override
    public void startFrame() throws IOException {
      frame = new ZstdOutputStreamNoFinalizer(sink, 3);
      frame.setChecksum(true);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      frame.write(b, off, len);
    }

    @Override
    public void endFrame() throws IOException {
      frame.close();
      frame = null;
    }

    @Override
    public void close() {
      if (frame != null) {
        try {
          frame.close();
        } catch (IOException ignored) {
          // the export failed already; this only frees native memory
        }
      }
    }
  }
}
