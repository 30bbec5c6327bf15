package dev.dbsnap;

import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.restore.Restorer;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.verify.Verifier;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;

/**
 * The entry point of the dbsnap library: exports, resumes, restores and verifies against one object
 * store. Build one per store and share it; it is immutable and thread-safe, and holds no connection
 * or thread of its own (sources are opened per export, upload threads live as long as an export).
 *
 * <pre>{@code
 * Dbsnap dbsnap = Dbsnap.builder().store(LocalObjectStore.open(Path.of("exports"))).build();
 * Manifest manifest = dbsnap.newExport(ExportRequest.builder(Source.parse("app.db", null, null))
 *         .format(Format.CSV).compression(Compression.GZIP).build())
 *     .run();
 * }</pre>
 *
 * <p>Every failure is a {@link DbsnapException} with an {@link ErrorCode}.
 */
public final class Dbsnap {
  private final ObjectStore store;
  private final Clock clock;
  private final Executor executor;

  private Dbsnap(Builder b) {
    this.store = Objects.requireNonNull(b.store, "store");
    this.clock = b.clock;
    this.executor = b.executor;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this client's settings, e.g. to use another store. */
  public Builder newBuilder() {
    return new Builder().store(store).clock(clock).executor(executor);
  }

  public ObjectStore store() {
    return store;
  }

  public Clock clock() {
    return clock;
  }

  public Executor executor() {
    return executor;
  }

  /** A new export of {@code request}, not yet started; see {@link Export} for how to run it. */
  public Export newExport(ExportRequest request) {
    return newExport(request, ExportListener.NONE);
  }

  /**
   * A new export of {@code request} that reports checkpoints and progress to {@code listener} and
   * polls it for cancellation.
   */
  public Export newExport(ExportRequest request, ExportListener listener) {
    return new Export(
        this, Objects.requireNonNull(request, "request"), Objects.requireNonNull(listener));
  }

  /**
   * The ids of the unfinished exports directly under {@code prefix}: those with a checkpoint beside
   * them, which {@link Export#resume()} continues.
   */
  public List<String> unfinishedExports(String prefix) {
    String base = prefix == null || prefix.isEmpty() ? "" : prefix.replaceAll("/+$", "") + "/";
    List<String> ids = new ArrayList<>();
    for (ObjectInfo info : store.list(base)) {
      String rest = info.key().substring(base.length());
      if (rest.endsWith("/" + Export.CHECKPOINT_FILE)
          && rest.indexOf('/') == rest.lastIndexOf('/')) {
        ids.add(rest.substring(0, rest.indexOf('/')));
      }
    }
    return ids;
  }

  /**
   * Removes everything under {@code exportDir} (a prefix ending in '/'): aborts its multipart
   * uploads and deletes its objects. Safe to call again.
   *
   * @return the number of uploads aborted plus objects deleted
   * @throws DbsnapException STORE_UNAVAILABLE when the store cannot be reached
   */
  public int discard(String exportDir) {
    return Exporter.discard(store, exportDir.endsWith("/") ? exportDir : exportDir + "/");
  }

  /**
   * Removes what crashed or failed exports left under {@code prefix} and nobody can resume: aborts
   * the multipart uploads started before {@code before} that no checkpoint continues, and deletes
   * the store's leftover temporary files older than that. Unfinished exports (a checkpoint beside
   * them) are kept with their upload, for {@link Export#resume()}; remove one with {@link
   * #discard}.
   *
   * <p>Uploads of a job service or a snapshot cache writing under {@code prefix} keep their
   * checkpoints elsewhere: choose {@code before} older than their longest object takes to write.
   *
   * @throws DbsnapException STORE_UNAVAILABLE when the store cannot be reached
   */
  public Garbage collectGarbage(String prefix, java.time.Instant before) {
    String base = prefix == null || prefix.isEmpty() ? "" : prefix.replaceAll("/+$", "") + "/";
    List<String> removed = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    java.util.Set<String> resumable = new java.util.HashSet<>();
    for (ObjectInfo info : store.list(base)) {
      if (!info.key().endsWith("/" + Export.CHECKPOINT_FILE)) {
        continue;
      }
      String exportDir =
          info.key().substring(0, info.key().length() - Export.CHECKPOINT_FILE.length());
      try (java.io.InputStream in = store.get(info.key())) {
        dev.dbsnap.export.Checkpoint c =
            dev.dbsnap.export.Checkpoint.fromJson(
                new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        for (var current : c.inProgress()) {
          resumable.add(current.uploadId());
        }
        kept.add(
            "unfinished export "
                + exportDir
                + " ("
                + c.finished().size()
                + " objects finished): continue it with a resume, or discard it");
      } catch (java.io.IOException | DbsnapException e) {
        kept.add("export " + exportDir + ": its checkpoint is unreadable (" + e.getMessage() + ")");
      }
    }
    for (dev.dbsnap.storage.PendingUpload u : store.pendingUploads(base)) {
      String what = "upload " + u.uploadId() + " of " + u.key() + " started " + u.initiated();
      if (resumable.contains(u.uploadId())) {
        continue;
      }
      if (u.initiated().isBefore(before)) {
        store.resumeMultipart(u.key(), u.uploadId()).abort();
        removed.add("aborted " + what);
      } else {
        kept.add(what + ": younger than the cutoff, it may still be written");
      }
    }
    for (String file : store.removeLeftovers(base, before)) {
      removed.add("deleted leftover " + file);
    }
    return new Garbage(removed, kept);
  }

  /**
   * Restores the export in {@code exportDir} into {@code target}, an empty database (an SQLite file
   * is created), in one transaction: nothing is left in the target when it fails.
   *
   * @param rowsRestored told the running row count, from the calling thread
   * @return the export's manifest
   * @throws DbsnapException RESTORE_FAILED, or a source or store error
   */
  public Manifest restore(String exportDir, Source target, LongConsumer rowsRestored) {
    return new Restorer(store, dir(exportDir), target, rowsRestored).run();
  }

  /**
   * Re-reads every object of the export in {@code exportDir} and checks its size and SHA-256
   * against the manifest. Reports problems rather than throwing for them.
   *
   * @throws DbsnapException STORE_UNAVAILABLE when the manifest cannot be read
   */
  public Verifier.Report verify(String exportDir) {
    return Verifier.verify(store, dir(exportDir));
  }

  private static String dir(String exportDir) {
    return exportDir.isEmpty() || exportDir.endsWith("/") ? exportDir : exportDir + "/";
  }

  /** Builds a {@link Dbsnap}; not thread-safe. */
  public static final class Builder {
    private ObjectStore store;
    private Clock clock = Clock.systemUTC();
    private Executor executor = Builder::newThread;

    private Builder() {}

    /** The object store exports go to and are read from; required. */
    public Builder store(ObjectStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** The clock for export ids and manifest times (default: the system clock in UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    private static void newThread(Runnable r) {
      Thread t = new Thread(r, "dbsnap-export");
      t.setDaemon(true);
      t.start();
    }

    /** Where {@link Export#start()} runs exports (default: a new daemon thread for each). */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * @throws NullPointerException when no store was set
     */
    public Dbsnap build() {
      return new Dbsnap(this);
    }
  }
}
