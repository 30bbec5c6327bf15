package dev.dbsnap.export;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.TableSelection;
import java.util.Objects;

/**
 * How to export: validated when built, immutable afterwards.
 *
 * @param format the output format
 * @param compression the compression of every object
 * @param selection which tables
 * @param partSize bytes per multipart part (every part but the last has exactly this size)
 * @param concurrency parts uploaded at once
 * @param rowsPerInsert rows per INSERT statement in the sql format
 * @param frameSize uncompressed bytes after which a new compression frame (and restart point)
 *     starts
 */
public record ExportOptions(
    Format format,
    Compression compression,
    TableSelection selection,
    int partSize,
    int concurrency,
    int rowsPerInsert,
    int frameSize) {
  public static final int MIN_PART_SIZE = 5 * 1024 * 1024;
  public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;

  public ExportOptions {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(compression, "compression");
    Objects.requireNonNull(selection, "selection");
    if (partSize < 1) {
      throw invalid("part size " + partSize + " must be positive");
    }
    if (concurrency < 1 || concurrency > 64) {
      throw invalid("concurrency " + concurrency + " is outside 1..64");
    }
    if (rowsPerInsert < 1) {
      throw invalid("rows per insert " + rowsPerInsert + " is below 1");
    }
    if (frameSize < 1) {
      throw invalid("frame size " + frameSize + " must be positive");
    }
  }

  private static DbsnapException invalid(String message) {
    return new DbsnapException(ErrorCode.INVALID_ARGUMENT, message);
  }

  /** Defaults: 8 MiB parts, 4 uploads at once, 100 rows per INSERT, one frame per part of input. */
  public static ExportOptions defaults(Format format, Compression compression) {
    return new ExportOptions(
        format, compression, TableSelection.ALL, DEFAULT_PART_SIZE, 4, 100, DEFAULT_PART_SIZE);
  }

  /**
   * Sets the part size as a user gave it: at least 5 MiB (S3's minimum) and at most 5 GiB; the
   * frame size follows it.
   */
  public ExportOptions withPartSize(long bytes) {
    if (bytes < MIN_PART_SIZE) {
      throw invalid(
          "part size " + bytes + " is below the 5 MiB minimum (" + MIN_PART_SIZE + " bytes)");
    }
    if (bytes > Integer.MAX_VALUE - 8) {
      throw invalid("part size " + bytes + " is above the 2 GiB dbsnap supports");
    }
    return new ExportOptions(
        format, compression, selection, (int) bytes, concurrency, rowsPerInsert, (int) bytes);
  }

  /**
   * Sets part and frame sizes without the 5 MiB minimum; only for a local store or for tests that
   * need many parts from little data.
   */
  public ExportOptions withSmallParts(int partSize, int frameSize) {
    return new ExportOptions(
        format, compression, selection, partSize, concurrency, rowsPerInsert, frameSize);
  }

  public ExportOptions withSelection(TableSelection s) {
    return new ExportOptions(
        format, compression, s, partSize, concurrency, rowsPerInsert, frameSize);
  }

  public ExportOptions withConcurrency(int n) {
    return new ExportOptions(format, compression, selection, partSize, n, rowsPerInsert, frameSize);
  }

  public ExportOptions withRowsPerInsert(int n) {
    return new ExportOptions(format, compression, selection, partSize, concurrency, n, frameSize);
  }

  public ExportOptions withFormat(Format f) {
    return new ExportOptions(
        f, compression, selection, partSize, concurrency, rowsPerInsert, frameSize);
  }

  public ExportOptions withCompression(Compression c) {
    return new ExportOptions(format, c, selection, partSize, concurrency, rowsPerInsert, frameSize);
  }
}
