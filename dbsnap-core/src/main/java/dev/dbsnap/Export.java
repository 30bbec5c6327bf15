package dev.dbsnap;

import dev.dbsnap.export.Checkpoint;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.SourceException;
import dev.dbsnap.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * One export of one {@link ExportRequest}, made by {@link Dbsnap#newExport}. Run it once, in one of
 * four ways: {@link #run()} into the store (checkpointed beside the export), {@link #resume()} from
 * that checkpoint, {@link #writeTo(OutputStream)} into a stream, or {@link #start()} on the
 * client's executor. {@link #cancel()} may be called from any thread; everything else belongs to
 * the thread that runs it.
 *
 * <p>What a failure leaves:
 *
 * <ul>
 *   <li>A transient failure (a dropped source connection, a store that is briefly unavailable) is
 *       retried from the last checkpoint when the request allows {@link ExportRequest#retries()
 *       retries}: only attempts in a row that uploaded nothing new count. When {@link #run()} or
 *       {@link #resume()} gives up on one, everything stays as a crash would leave it, checkpoint
 *       included, for a later {@link #resume()}.
 *   <li>Any other failure of {@link #run()}, and a cancel of either, aborts the multipart upload
 *       and deletes every object and the checkpoint the export wrote.
 *   <li>{@link #resume()} never deletes the checkpoint unless it finished the export or was
 *       cancelled: a resume that fails for another reason can be run again.
 *   <li>A crash (which runs no code) leaves a checkpoint from before the first upload on, and
 *       {@link #resume()} continues from it.
 * </ul>
 *
 * {@link #run(Checkpoint, OnFailure)} lets a caller that keeps checkpoints itself choose instead.
 */
public final class Export {
  /** Name of the checkpoint object kept beside an unfinished export. */
  public static final String CHECKPOINT_FILE = Exporter.CHECKPOINT_FILE;

  private static final Duration MAX_RETRY_WAIT = Duration.ofMinutes(1);

  private static final DateTimeFormatter ID_FORMAT =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Dbsnap client;
  private final ExportRequest request;
  private final ExportListener listener;
  private final String exportId;
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile List<String> objectNames;

  Export(Dbsnap client, ExportRequest request, ExportListener listener) {
    this.client = client;
    this.request = request;
    this.listener = listener;
    this.exportId =
        request.exportId() != null
            ? request.exportId()
            : ID_FORMAT.format(client.clock().instant());
  }

  /** What a failed or cancelled run leaves behind. */
  public enum OnFailure {
    /** Abort the upload in progress and delete every object and the checkpoint this run wrote. */
    CLEAN_UP,
    /**
     * Leave everything as a crash would, so the last checkpoint can resume it; the caller decides
     * later whether to resume or to {@link Dbsnap#discard discard} it. A job service wants this: a
     * transient failure is retried from the checkpoint, and a worker that lost its lease must not
     * touch what the new owner is writing.
     */
    KEEP_FOR_RESUME
  }

  /** The export's id: the request's, or the UTC time this export was made. */
  public String exportId() {
    return exportId;
  }

  /** The key prefix of the export's objects in the store, ending in '/'. */
  public String exportDir() {
    return (request.prefix().isEmpty() ? "" : request.prefix() + "/") + exportId + "/";
  }

  /**
   * Asks the export to stop; it fails with CANCELLED within about one part's time and cleans up as
   * its run says. Safe from any thread, before or during the run.
   */
  public void cancel() {
    cancelled.set(true);
  }

  public boolean isCancelled() {
    return cancelled.get();
  }

  /**
   * Exports into the client's store under {@link #exportDir()}, keeping {@link #CHECKPOINT_FILE}
   * beside it after every uploaded part and writing {@code manifest.json} last.
   *
   * @return the manifest, already written
   * @throws DbsnapException DESTINATION_NOT_EMPTY when the export directory holds objects and the
   *     request does not overwrite; any other code when the export fails (after cleaning up)
   */
  public Manifest run() {
    claim();
    ObjectStore store = client.store();
    if (!store.list(exportDir()).isEmpty() || !store.pendingUploads(exportDir()).isEmpty()) {
      if (!request.overwrite()) {
        throw new DbsnapException(
            ErrorCode.DESTINATION_NOT_EMPTY,
            "export '"
                + exportId
                + "' already exists in "
                + store.describe()
                + "; overwrite it or choose another export id");
      }
      Exporter.discard(store, exportDir());
    }
    try {
      return withRetries(null, this::transientFailure);
    } catch (RuntimeException e) {
      if (!transientFailure(e) && store.head(exportDir() + CHECKPOINT_FILE).isPresent()) {
        // a later attempt failed for good: what the earlier ones wrote goes too
        try {
          Exporter.discard(store, exportDir());
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /**
   * Continues the unfinished export {@link #exportId()} from the checkpoint kept beside it, with
   * output byte-identical to a run that never stopped.
   *
   * @return the manifest, already written
   * @throws DbsnapException RESUME_FAILED when there is no checkpoint, or it was made with other
   *     options or another table structure; any other code when the export fails
   */
  public Manifest resume() {
    claim();
    ObjectStore store = client.store();
    String key = exportDir() + CHECKPOINT_FILE;
    if (store.head(key).isEmpty()) {
      throw new DbsnapException(
          ErrorCode.RESUME_FAILED,
          "there is no unfinished export '" + exportId + "' to resume in " + store.describe());
    }
    Checkpoint checkpoint;
    try (InputStream in = store.get(key)) {
      checkpoint = Checkpoint.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "cannot read " + key + ": " + e.getMessage(), e);
    }
    return withRetries(checkpoint, e -> !stopRequested());
  }

  /**
   * Runs the export from {@code from} (null: from the start), and again from the last checkpoint
   * after each transient failure, until it succeeds, fails otherwise, or {@link
   * ExportRequest#retries()} attempts in a row upload nothing new.
   *
   * @param keep which failures leave everything for a resume instead of cleaning up
   */
  private Manifest withRetries(Checkpoint from, Predicate<RuntimeException> keep) {
    ObjectStore store = client.store();
    Checkpoint start = from;
    int stalled = 0;
    for (int attempt = 1; ; attempt++) {
      AtomicReference<Checkpoint> last = new AtomicReference<>(start);
      try {
        return exporter(store, checkpointBeside(last)).keepForResumeIf(keep).run(start);
      } catch (DbsnapException e) {
        if (!keep.test(e) || !transientFailure(e) || stopRequested()) {
          throw e;
        }
        boolean progressed = uploaded(last.get()) > uploaded(start);
        stalled = progressed ? 0 : stalled + 1;
        if (request.retries() == 0 || stalled > request.retries()) {
          throw new DbsnapException(
              e.code(),
              e.getMessage()
                  + (request.retries() == 0
                      ? ""
                      : " (gave up after " + stalled + " attempts in a row without progress)")
                  + "; the checkpoint is kept for a resume",
              e);
        }
        Duration wait = retryWait(Math.max(1, stalled));
        listener.retrying(new ExportListener.Retry(attempt, wait, progressed, e));
        sleep(wait);
        start = last.get();
      }
    }
  }

  private static long uploaded(Checkpoint c) {
    return c == null ? 0 : c.progressMark();
  }

  private Duration retryWait(int inARow) {
    Duration wait = request.retryWait().multipliedBy(1L << Math.min(inARow - 1, 16));
    return wait.compareTo(MAX_RETRY_WAIT) > 0 ? MAX_RETRY_WAIT : wait;
  }

  /** Waits before a retry; a cancel meanwhile removes the export and ends it. */
  private void sleep(Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        if (stopRequested()) {
          Exporter.discard(client.store(), exportDir());
          throw new DbsnapException(ErrorCode.CANCELLED, "export " + exportId + " was cancelled");
        }
        Thread.sleep(Math.max(1, Math.min(100, (deadline - System.nanoTime()) / 1_000_000)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbsnapException(ErrorCode.CANCELLED, "export " + exportId + " was interrupted");
    }
  }

  private boolean transientFailure(RuntimeException e) {
    return e instanceof DbsnapException d && d.isTransient() && !stopRequested();
  }

  /**
   * Runs the export, or continues it from {@code resumeFrom}, for a caller that keeps checkpoints
   * itself (the listener receives every one): nothing is written beside the export but its objects
   * and manifest, and the export directory is not checked first.
   *
   * @param resumeFrom a checkpoint of this export, or null to start from the beginning
   * @return the manifest, already written
   * @throws DbsnapException RESUME_FAILED when the checkpoint belongs to another export or other
   *     options; any other code when the export fails, leaving what {@code onFailure} says
   */
  public Manifest run(Checkpoint resumeFrom, OnFailure onFailure) {
    claim();
    return exporter(client.store(), listener)
        .run(
            resumeFrom,
            onFailure == OnFailure.KEEP_FOR_RESUME
                ? Exporter.OnFailure.KEEP_FOR_RESUME
                : Exporter.OnFailure.CLEAN_UP);
  }

  /** Runs {@link #run()} on the client's executor; cancelling the future cancels the export. */
  public CompletableFuture<Manifest> start() {
    CompletableFuture<Manifest> result =
        CompletableFuture.supplyAsync(this::run, client.executor());
    result.whenComplete(
        (m, e) -> {
          if (result.isCancelled()) {
            cancel();
          }
        });
    return result;
  }

  /**
   * The names of the objects this export writes (one per table for csv, jsonl and json; one {@code
   * dump.sql} for sql), read from the source's structure on the first call and kept for this export
   * (so {@link #writeTo} does not read it again).
   *
   * @throws DbsnapException UNKNOWN_TABLE for a table the source does not have; a source error when
   *     it cannot be read
   */
  public List<String> objectNames() {
    if (objectNames != null) {
      return objectNames;
    }
    Source source = request.source();
    DatabaseSchema schema;
    try (Connection connection = source.connect()) {
      schema =
          source
              .dialect()
              .introspect(
                  connection, request.options().selection(), request.options().schemaOptions());
    } catch (SQLException e) {
      throw SourceException.from(
          e, ErrorCode.SOURCE_UNAVAILABLE, "cannot read the structure of " + source, null);
    }
    objectNames = List.copyOf(Exporter.objectNames(schema, request.options()));
    return objectNames;
  }

  /**
   * Writes the export into {@code out} as it is made, storing nothing: the object's bytes when the
   * export has exactly one object, otherwise a ZIP holding every object (no manifest). Holds at
   * most two parts of at most 5 MiB in memory. Does not close {@code out}.
   *
   * @throws DbsnapException CANCELLED when {@code out} fails (the reader went away) or the export
   *     is cancelled; any other code when the export fails. What was written by then stays written:
   *     the caller should abort the stream so a reader does not take it for a whole export.
   */
  public void writeTo(OutputStream out) {
    claim();
    int objects = objectNames().size();
    // One upload at a time keeps parts in order; frames stay as requested, so the bytes equal
    // those of the same export stored, and parts no larger than 5 MiB bound memory.
    ExportOptions requested = request.options();
    ExportOptions options =
        requested
            .withSmallParts(
                Math.min(requested.partSize(), ExportOptions.MIN_PART_SIZE), requested.frameSize())
            .withConcurrency(1)
            .withJobs(1);
    Instant now = client.clock().instant();
    OutputStreamStore sink =
        new OutputStreamStore(
            out, exportDir(), objects != 1, options.compression() != Compression.NONE, now);
    ExportListener progressOnly =
        new ExportListener() {
          @Override
          public void progress(Progress progress) {
            listener.progress(progress);
          }
        };
    new Exporter(
            request.source(),
            sink,
            request.prefix(),
            exportId,
            options,
            progressOnly,
            client.clock(),
            () -> sink.broken() || stopRequested())
        .run(null);
    sink.finish();
  }

  private void claim() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("export " + exportId + " has already run; make a new one");
    }
  }

  private boolean stopRequested() {
    return cancelled.get() || listener.cancelRequested();
  }

  private Exporter exporter(ObjectStore store, ExportListener l) {
    return new Exporter(
        request.source(),
        store,
        request.prefix(),
        exportId,
        request.options(),
        l,
        client.clock(),
        this::stopRequested);
  }

  /**
   * The listener plus the checkpoint kept beside the export after every part, the last of which is
   * also kept in {@code last}.
   */
  private ExportListener checkpointBeside(AtomicReference<Checkpoint> last) {
    ObjectStore store = client.store();
    String key = exportDir() + CHECKPOINT_FILE;
    return new ExportListener() {
      @Override
      public void checkpoint(Checkpoint c) {
        store.put(key, c.toJson().getBytes(StandardCharsets.UTF_8));
        last.set(c);
        listener.checkpoint(c);
      }

      @Override
      public void progress(Progress p) {
        listener.progress(p);
      }

      @Override
      public boolean cancelRequested() {
        return listener.cancelRequested();
      }
    };
  }
}
