package dev.dbsnap.snapshot;

import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import java.time.Duration;
import java.util.Objects;

/**
 * How a snapshot is made and what a request accepts.
 *
 * @param format the output format
 * @param compression the compression
 * @param maxAge for a table without change tracking, the age of a snapshot a request accepts; null
 *     to build anew (requests arriving during a build still share it). Ignored for tracked tables,
 *     whose snapshots are exact to the version.
 */
public record SnapshotOptions(Format format, Compression compression, Duration maxAge) {
  public SnapshotOptions {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(compression, "compression");
    if (maxAge != null && maxAge.isNegative()) {
      throw new IllegalArgumentException("maxAge " + maxAge + " is negative");
    }
  }

  /** CSV, no compression, no older file accepted. */
  public static SnapshotOptions csv() {
    return new SnapshotOptions(Format.CSV, Compression.NONE, null);
  }

  public SnapshotOptions withMaxAge(Duration age) {
    return new SnapshotOptions(format, compression, age);
  }
}
