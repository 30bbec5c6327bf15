package dev.dbsnap.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.ZstdInputStream;
import dev.dbsnap.format.Format;
import dev.dbsnap.format.SampleObjects;
import dev.dbsnap.format.SampleObjects.Table;
import dev.dbsnap.source.DialectKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every {@link Compression} promises for the output of every {@link Format}: the standard
 * decompressor reads the concatenated frames back to the encoded bytes, whether the compressor was
 * fed one big write per frame or one byte at a time, and a frame compressed on its own (as a
 * resumed export compresses it) gives the same bytes as inside the whole stream.
 */
class CompressionContractTest {

  static List<Arguments> formatsAndCompressions() {
    List<Arguments> all = new ArrayList<>();
    for (Format format : Format.values()) {
      for (Compression compression : Compression.values()) {
        all.add(Arguments.of(format, compression));
      }
    }
    return all;
  }

  /** The frames of an export of a few hundred rows, as the exporter hands them to a compressor. */
  private static List<byte[]> frames(Format format) {
    List<Table> tables =
        List.of(
            SampleObjects.items(DialectKind.POSTGRESQL, 400),
            SampleObjects.notes(DialectKind.POSTGRESQL, 50));
    List<byte[]> frames = new ArrayList<>();
    for (byte[] segment : SampleObjects.encode(format, DialectKind.POSTGRESQL, tables).segments()) {
      // The exporter writes no empty frame for a format without an object head or tail.
      if (segment.length > 0) {
        frames.add(segment);
      }
    }
    return frames;
  }

  private static byte[] concat(List<byte[]> frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    frames.forEach(out::writeBytes);
    return out.toByteArray();
  }

  /** Compresses each frame as a frame of one compressor, in one write or one byte per write. */
  private static byte[] compress(Compression compression, List<byte[]> frames, boolean byteByByte)
      throws IOException {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (Compression.FrameCompressor compressor = compression.newCompressor(sink)) {
      for (byte[] frame : frames) {
        compressor.startFrame();
        if (byteByByte) {
          for (int i = 0; i < frame.length; i++) {
            compressor.write(frame, i, 1);
          }
        } else {
          compressor.write(frame, 0, frame.length);
        }
        compressor.endFrame();
      }
    }
    return sink.toByteArray();
  }

  private static InputStream decompressing(Compression compression, byte[] compressed)
      throws IOException {
    InputStream in = new ByteArrayInputStream(compressed);
    return switch (compression) {
      case NONE -> in;
      case GZIP -> new GZIPInputStream(in);
      case ZSTD -> new ZstdInputStream(in);
    };
  }

  private static byte[] decompress(Compression compression, byte[] compressed) throws IOException {
    try (InputStream in = decompressing(compression, compressed)) {
      return in.readAllBytes();
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("formatsAndCompressions")
  void the_frames_decompress_to_the_encoded_bytes(Format format, Compression compression)
      throws IOException {
    List<byte[]> frames = frames(format);

    byte[] compressed = compress(compression, frames, false);

    assertThat(decompress(compression, compressed)).isEqualTo(concat(frames));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("formatsAndCompressions")
  void writing_one_byte_at_a_time_gives_the_same_stream_as_one_big_write(
      Format format, Compression compression) throws IOException {
    List<byte[]> frames = frames(format);

    byte[] big = compress(compression, frames, false);
    byte[] byteByByte = compress(compression, frames, true);

    assertThat(decompress(compression, byteByByte)).isEqualTo(concat(frames));
    assertThat(byteByByte).isEqualTo(big);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("formatsAndCompressions")
  void reading_the_decompressed_stream_one_byte_at_a_time_gives_the_encoded_bytes(
      Format format, Compression compression) throws IOException {
    List<byte[]> frames = frames(format);
    byte[] compressed = compress(compression, frames, false);

    ByteArrayOutputStream read = new ByteArrayOutputStream();
    try (InputStream in = decompressing(compression, compressed)) {
      for (int b; (b = in.read()) != -1; ) {
        read.write(b);
      }
    }

    assertThat(read.toByteArray()).isEqualTo(concat(frames));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("formatsAndCompressions")
  void a_frame_compressed_on_its_own_gives_the_same_bytes_as_inside_the_stream(
      Format format, Compression compression) throws IOException {
    List<byte[]> frames = frames(format);

    ByteArrayOutputStream separately = new ByteArrayOutputStream();
    for (byte[] frame : frames) {
      separately.writeBytes(compress(compression, List.of(frame), false));
    }

    assertThat(separately.toByteArray()).isEqualTo(compress(compression, frames, false));
  }
}
