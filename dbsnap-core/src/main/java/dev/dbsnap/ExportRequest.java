package dev.dbsnap;

import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What to export and how: a source, format, compression, tables, part size, and where in the store
 * ({@code prefix/exportId/}). Immutable and validated when built; reuse one for several exports.
 *
 * <pre>{@code
 * ExportRequest request = ExportRequest.builder(Source.parse("app.db", null, null))
 *     .format(Format.CSV)
 *     .compression(Compression.GZIP)
 *     .tables(List.of("users", "orders"))
 *     .build();
 * }</pre>
 */
public final class ExportRequest {
  private static final Pattern EXPORT_ID = Pattern.compile("[A-Za-z0-9._-]+");

  private final Source source;
  private final ExportOptions options;
  private final String exportId;
  private final String prefix;
  private final boolean overwrite;
  private final int retries;
  private final java.time.Duration retryWait;

  private ExportRequest(Builder b) {
    this.source = Objects.requireNonNull(b.source, "source");
    this.options =
        b.options
            .withSelection(b.selection)
            .withConcurrency(b.concurrency)
            .withRowsPerInsert(b.rowsPerInsert)
            .withJobs(b.jobs);
    this.exportId = b.exportId;
    this.prefix = b.prefix;
    this.overwrite = b.overwrite;
    this.retries = b.retries;
    this.retryWait = b.retryWait;
  }

  /** A builder for exporting {@code source}: sql, no compression, every table, 8 MiB parts. */
  public static Builder builder(Source source) {
    return new Builder(source);
  }

  /** A builder that starts from this request's settings. */
  public Builder newBuilder() {
    Builder b = new Builder(source);
    b.selection = options.selection();
    b.options = options.withJobs(1);
    b.concurrency = options.concurrency();
    b.jobs = options.jobs();
    b.rowsPerInsert = options.rowsPerInsert();
    b.exportId = exportId;
    b.prefix = prefix;
    b.overwrite = overwrite;
    b.retries = retries;
    b.retryWait = retryWait;
    return b;
  }

  public Source source() {
    return source;
  }

  public ExportOptions options() {
    return options;
  }

  /** The export's name, or null to name it by its start time ({@code 20261121T101500Z}). */
  public String exportId() {
    return exportId;
  }

  /** The key prefix the export directory is created under; "" for the store's root. */
  public String prefix() {
    return prefix;
  }

  /** Whether an export of the same id already in the store is replaced rather than refused. */
  public boolean overwrite() {
    return overwrite;
  }

  /**
   * How many attempts in a row that upload nothing new {@link Export#run()} and {@link
   * Export#resume()} make again after a transient failure; an attempt that uploaded a part starts
   * the count again.
   */
  public int retries() {
    return retries;
  }

  /** The wait before the first retry; doubled for each further retry in a row, up to a minute. */
  public java.time.Duration retryWait() {
    return retryWait;
  }

  /** Builds an {@link ExportRequest}; not thread-safe. */
  public static final class Builder {
    private final Source source;
    private ExportOptions options = ExportOptions.defaults(Format.SQL, Compression.NONE);
    private TableSelection selection = TableSelection.ALL;
    private int concurrency = options.concurrency();
    private int jobs = 1;
    private int rowsPerInsert = options.rowsPerInsert();
    private String exportId;
    private String prefix = "";
    private boolean overwrite;
    private int retries;
    private java.time.Duration retryWait = java.time.Duration.ofSeconds(1);

    private Builder(Source source) {
      this.source = Objects.requireNonNull(source, "source");
    }

    public Builder format(Format format) {
      options = options.withFormat(Objects.requireNonNull(format, "format"));
      return this;
    }

    public Builder compression(Compression compression) {
      options = options.withCompression(Objects.requireNonNull(compression, "compression"));
      return this;
    }

    /** Only these tables ({@code name} or {@code schema.name}); empty for every table. */
    public Builder tables(List<String> tables) {
      selection = new TableSelection(selection.schemas(), tables, selection.exclude());
      return this;
    }

    /** Leaves these tables out. */
    public Builder excludeTables(List<String> tables) {
      selection = new TableSelection(selection.schemas(), selection.include(), tables);
      return this;
    }

    /** Only tables in these PostgreSQL schemas; empty for every schema but the system ones. */
    public Builder schemas(List<String> schemas) {
      selection = new TableSelection(schemas, selection.include(), selection.exclude());
      return this;
    }

    /**
     * Bytes per multipart part, 5 MiB to 2 GiB (default 8 MiB).
     *
     * @throws DbsnapException INVALID_ARGUMENT outside those bounds
     */
    public Builder partSize(long bytes) {
      options = options.withPartSize(bytes);
      return this;
    }

    /** Parts uploaded at once, 1 to 64 (default 4); memory is about (concurrency + 1) parts. */
    public Builder concurrency(int n) {
      concurrency = n;
      return this;
    }

    /**
     * Objects written at once, 1 to {@value ExportOptions#MAX_JOBS} (default 1): each by its own
     * source connection, all in one snapshot, each with its own {@code concurrency} uploads, so
     * memory is about {@code jobs × (concurrency + 1)} parts. The objects are the same bytes for
     * any number, except that more than one writes the sql format as {@code pre-data.sql}, one
     * script per table and {@code post-data.sql} (see {@link ExportOptions#splitScript()}).
     */
    public Builder jobs(int n) {
      jobs = n;
      return this;
    }

    /** Whether objects keep their owners (default true; false is pg_dump's {@code --no-owner}). */
    public Builder owners(boolean owners) {
      options = options.withSchemaOptions(options.schemaOptions().withOwners(owners));
      return this;
    }

    /** Whether grants are carried (default true; false is pg_dump's {@code --no-privileges}). */
    public Builder privileges(boolean privileges) {
      options = options.withSchemaOptions(options.schemaOptions().withPrivileges(privileges));
      return this;
    }

    /**
     * Leaves out objects dbsnap cannot carry and lists them in the manifest ({@code skipped}),
     * instead of failing with UNSUPPORTED_OBJECT naming the first (default false).
     */
    public Builder skipUnsupported(boolean skip) {
      options = options.withSchemaOptions(options.schemaOptions().withSkipUnsupported(skip));
      return this;
    }

    /** Rows per INSERT statement in the sql format (default 100). */
    public Builder rowsPerInsert(int n) {
      rowsPerInsert = n;
      return this;
    }

    /**
     * Every option at once, for callers that build {@link ExportOptions} themselves (its table
     * selection, concurrency, jobs and rows per insert replace what this builder had).
     */
    public Builder options(ExportOptions options) {
      this.options = Objects.requireNonNull(options, "options").withJobs(1);
      this.selection = options.selection();
      this.concurrency = options.concurrency();
      this.jobs = options.jobs();
      this.rowsPerInsert = options.rowsPerInsert();
      return this;
    }

    /**
     * Names the export directory; letters, digits, '.', '_' and '-' only.
     *
     * @throws DbsnapException INVALID_ARGUMENT for any other character
     */
    public Builder exportId(String id) {
      if (id != null && !EXPORT_ID.matcher(id).matches()) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT,
            "export id '" + id + "' may only hold letters, digits, '.', '_' and '-'");
      }
      this.exportId = id;
      return this;
    }

    /** The key prefix to create the export directory under ("" or null for the root). */
    public Builder prefix(String prefix) {
      this.prefix = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
      return this;
    }

    /** Replace an export of the same id instead of failing with DESTINATION_NOT_EMPTY. */
    public Builder overwrite(boolean overwrite) {
      this.overwrite = overwrite;
      return this;
    }

    /**
     * Retries a transient failure (a dropped source connection, a store that is briefly
     * unavailable) from the last checkpoint, up to {@code retries} times in a row without a new
     * uploaded part; 0, the default, fails at once.
     *
     * @throws DbsnapException INVALID_ARGUMENT for a negative count or more than 1000
     */
    public Builder retries(int retries) {
      if (retries < 0 || retries > 1000) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT, "retries must be between 0 and 1000, not " + retries);
      }
      this.retries = retries;
      return this;
    }

    /**
     * The wait before the first retry (default 1 s), doubled for each further retry in a row.
     *
     * @throws DbsnapException INVALID_ARGUMENT for a negative wait
     */
    public Builder retryWait(java.time.Duration wait) {
      if (wait.isNegative()) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT, "the retry wait must not be negative: " + wait);
      }
      this.retryWait = wait;
      return this;
    }

    /**
     * @throws DbsnapException INVALID_ARGUMENT when a setting is out of range
     */
    public ExportRequest build() {
      return new ExportRequest(this);
    }
  }
}
