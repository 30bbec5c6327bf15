package dev.dbsnap.export;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.SchemaOptions;
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
 * @param jobs objects written at once, each by its own source connection in one shared snapshot (1
 *     to {@link #MAX_JOBS}); more than one splits the sql format into scripts (see {@link
 *     #splitScript()})
 * @param schemaOptions owners, grants and unsupported objects (see {@link SchemaOptions})
 */
public record ExportOptions(
    Format format,
    Compression compression,
    TableSelection selection,
    int partSize,
    int concurrency,
    int rowsPerInsert,
    int frameSize,
    int jobs,
    SchemaOptions schemaOptions) {
  /** The most objects an export writes at once. */
  public static final int MAX_JOBS = 16;

  /** The smallest part size a user may ask for: 5 MiB, S3's minimum for every part but the last. */
  public static final int MIN_PART_SIZE = 5 * 1024 * 1024;

  /**
   * The largest part size a user may ask for, "2 GiB" in messages: a part is buffered in one byte
   * array, and a JVM array holds at most a few bytes less than {@code Integer.MAX_VALUE}.
   */
  public static final int MAX_PART_SIZE = Integer.MAX_VALUE - 8;

  public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;

  public ExportOptions {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(compression, "compression");
    Objects.requireNonNull(selection, "selection");
    Objects.requireNonNull(schemaOptions, "schemaOptions");
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
    if (jobs < 1 || jobs > MAX_JOBS) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT, "jobs", "jobs " + jobs + " is outside 1.." + MAX_JOBS);
    }
  }

  /**
   * True when the sql format is written as several scripts so that tables can be exported at once
   * ({@code jobs} above 1): {@code pre-data.sql} (settings, the transaction's start, everything
   * before the data), one script per table with its rows, and {@code post-data.sql} (constraints,
   * indexes, everything after the data, the commit). Run in that order, in one session, they are
   * the one script a single job writes.
   */
  public boolean splitScript() {
    return format == Format.SQL && jobs > 1;
  }

  /** Options that write one object at a time. */
  public ExportOptions(
      Format format,
      Compression compression,
      TableSelection selection,
      int partSize,
      int concurrency,
      int rowsPerInsert,
      int frameSize) {
    this(
        format,
        compression,
        selection,
        partSize,
        concurrency,
        rowsPerInsert,
        frameSize,
        1,
        SchemaOptions.DEFAULTS);
  }

  /**
   * Sets how many objects are written at once (1 to {@link #MAX_JOBS}); the bytes of every object
   * are the same for any number, except that the sql format is split into scripts above 1 ({@link
   * #splitScript()}).
   *
   * @throws InvalidInputException INVALID_ARGUMENT for the field {@code jobs} outside the range
   */
  public ExportOptions withJobs(int n) {
    return new ExportOptions(
        format,
        compression,
        selection,
        partSize,
        concurrency,
        rowsPerInsert,
        frameSize,
        n,
        schemaOptions);
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
   * Checks a part size a user gave, on any surface (command line, HTTP request, job queue): at
   * least {@link #MIN_PART_SIZE} (5 MiB) and at most {@link #MAX_PART_SIZE} (2 GiB).
   *
   * @return the size, which fits an int
   * @throws InvalidInputException {@link ErrorCode#INVALID_ARGUMENT} for the field {@code
   *     partSize}, quoting the size and the bound it breaks ("part size 1048576 is below the 5 MiB
   *     minimum (5242880 bytes)")
   */
  public static int checkPartSize(long bytes) {
    if (bytes < MIN_PART_SIZE) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "partSize",
          "part size " + bytes + " is below the 5 MiB minimum (" + MIN_PART_SIZE + " bytes)");
    }
    if (bytes > MAX_PART_SIZE) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "partSize",
          "part size " + bytes + " is above the 2 GiB maximum (" + MAX_PART_SIZE + " bytes)");
    }
    return (int) bytes;
  }

  /**
   * Sets the part size as a user gave it, checked by {@link #checkPartSize}; the frame size follows
   * it.
   *
   * @throws InvalidInputException as {@link #checkPartSize}
   */
  public ExportOptions withPartSize(long bytes) {
    int size = checkPartSize(bytes);
    return new ExportOptions(
        format,
        compression,
        selection,
        size,
        concurrency,
        rowsPerInsert,
        size,
        jobs,
        schemaOptions);
  }

  /**
   * Sets part and frame sizes without the 5 MiB minimum; only for a local store or for tests that
   * need many parts from little data.
   */
  public ExportOptions withSmallParts(int partSize, int frameSize) {
    return new ExportOptions(
        format,
        compression,
        selection,
        partSize,
        concurrency,
        rowsPerInsert,
        frameSize,
        jobs,
        schemaOptions);
  }

  public ExportOptions withSchemaOptions(SchemaOptions o) {
    return new ExportOptions(
        format, compression, selection, partSize, concurrency, rowsPerInsert, frameSize, jobs, o);
  }

  public ExportOptions withSelection(TableSelection s) {
    return new ExportOptions(
        format,
        compression,
        s,
        partSize,
        concurrency,
        rowsPerInsert,
        frameSize,
        jobs,
        schemaOptions);
  }

  public ExportOptions withConcurrency(int n) {
    return new ExportOptions(
        format, compression, selection, partSize, n, rowsPerInsert, frameSize, jobs, schemaOptions);
  }

  public ExportOptions withRowsPerInsert(int n) {
    return new ExportOptions(
        format, compression, selection, partSize, concurrency, n, frameSize, jobs, schemaOptions);
  }

  public ExportOptions withFormat(Format f) {
    return new ExportOptions(
        f,
        compression,
        selection,
        partSize,
        concurrency,
        rowsPerInsert,
        frameSize,
        jobs,
        schemaOptions);
  }

  public ExportOptions withCompression(Compression c) {
    return new ExportOptions(
        format, c, selection, partSize, concurrency, rowsPerInsert, frameSize, jobs, schemaOptions);
  }
}
