package dev.dbsnap.job;

import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * What a client asked to export. Only the shape is checked here; {@link JobService#submit} checks
 * it against the source (tables exist, part size in range, callback allowed).
 *
 * @param source the configured source's name
 * @param format the output format
 * @param compression the compression
 * @param tables tables to include (empty: all)
 * @param excludeTables tables to leave out
 * @param partSize bytes per part, 0 for the default
 * @param callbackUrl where to POST the webhook on a terminal state, or null
 */
public record ExportRequest(
    String source,
    Format format,
    Compression compression,
    List<String> tables,
    List<String> excludeTables,
    long partSize,
    URI callbackUrl) {
  public ExportRequest {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(compression, "compression");
    tables = List.copyOf(tables);
    excludeTables = List.copyOf(excludeTables);
  }
}
