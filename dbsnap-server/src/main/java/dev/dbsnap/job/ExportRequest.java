package dev.dbsnap.job;

import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.SchemaOptions;
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
 * @param jobs tables exported at once (1 to {@link ExportOptions#MAX_JOBS}; more than one splits
 *     the sql format into scripts)
 * @param schemaOptions owners, grants and unsupported objects ({@code noOwner}, {@code
 *     noPrivileges}, {@code skipUnsupported} in a request)
 */
public record ExportRequest(
    String source,
    Format format,
    Compression compression,
    List<String> tables,
    List<String> excludeTables,
    long partSize,
    URI callbackUrl,
    int jobs,
    SchemaOptions schemaOptions) {
  public ExportRequest {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(compression, "compression");
    Objects.requireNonNull(schemaOptions, "schemaOptions");
    tables = List.copyOf(tables);
    excludeTables = List.copyOf(excludeTables);
    // refuses a count out of range, naming the field "jobs"
    ExportOptions.defaults(format, compression).withJobs(jobs);
  }

  /** A request that exports one table at a time. */
  public ExportRequest(
      String source,
      Format format,
      Compression compression,
      List<String> tables,
      List<String> excludeTables,
      long partSize,
      URI callbackUrl) {
    this(source, format, compression, tables, excludeTables, partSize, callbackUrl, 1);
  }

  /** A request with the default schema options. */
  public ExportRequest(
      String source,
      Format format,
      Compression compression,
      List<String> tables,
      List<String> excludeTables,
      long partSize,
      URI callbackUrl,
      int jobs) {
    this(
        source,
        format,
        compression,
        tables,
        excludeTables,
        partSize,
        callbackUrl,
        jobs,
        SchemaOptions.DEFAULTS);
  }
}
