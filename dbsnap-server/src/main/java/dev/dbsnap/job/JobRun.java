package dev.dbsnap.job;

import dev.dbsnap.Dbsnap;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.Export;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.config.Units;
import dev.dbsnap.export.Checkpoint;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.SqlStates;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.ObjectStore;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of one claimed job: runs (or resumes) its export with {@code KEEP_FOR_RESUME}, stores
 * every checkpoint and, at most twice a second, its progress, and records the outcome. It stops
 * when a cancel is asked for, when its lease is lost (touching nothing the new owner writes), or
 * when the process stops (handing the job back). Flags are set from the heartbeat thread.
 */
final class JobRun implements ExportListener {
  private static final Logger log = LoggerFactory.getLogger(JobRun.class);
  private static final long PROGRESS_EVERY_NANOS = 500_000_000L;
  static final String PREFIX = "exports";

  /** What a run needs from its service. */
  record Context(
      ServerConfig config,
      ObjectStore store,
      Leases leases,
      JobMetrics metrics,
      Clock clock,
      Tuning tuning,
      Runnable onFinished) {}

  final Leases.Lease lease;
  private final Leases.Claimed claimed;
  private final Context ctx;
  private final String exportDir;

  volatile boolean cancelRequested;
  volatile boolean leaseLost;
  volatile boolean stopping;

  /**
   * Set once the export returned or threw: a lease found gone from here on was ended by the run
   * itself.
   */
  volatile boolean finishing;

  /**
   * Set once this run stored a checkpoint (a new part or object): the attempt made progress, so a
   * transient failure does not spend the job's retry budget.
   */
  private volatile boolean advanced;

  /** When the lease runs out unless renewed, by the service clock (epoch millis). */
  volatile long leaseDeadline;

  volatile long lastRenewal;

  private long partSize;
  private long runStartNanos;
  private long lastProgressNanos;
  private long rowsAtStart;
  private long markAtStart;
  private long rowsCounted;
  private long bytesCounted;
  private long finishedBytes;
  private int parts;
  private Job.Progress progress = Job.Progress.NONE;

  JobRun(Leases.Claimed claimed, Context ctx) {
    this.claimed = claimed;
    this.lease = claimed.lease();
    this.ctx = ctx;
    this.exportDir = PREFIX + "/" + lease.jobId() + "/";
    this.cancelRequested = claimed.cancelRequested();
    this.lastRenewal = ctx.clock().millis();
    this.leaseDeadline = lastRenewal + ctx.config().workers().leaseTtl().toMillis();
  }

  String jobId() {
    return lease.jobId();
  }

  void run() {
    String id = lease.jobId();
    if (claimed.previousOwner() != null) {
      log.info(
          "job {} taken over from {} (its lease expired), attempt {}",
          id,
          claimed.previousOwner(),
          claimed.attempts());
    } else {
      log.info("job {} claimed by {}, attempt {}", id, lease.owner(), claimed.attempts());
    }
    if (cancelRequested) {
      finishing = true;
      cancel();
      return;
    }
    Manifest manifest;
    try {
      manifest = export();
    } catch (RuntimeException e) {
      finishing = true;
      ended(e);
      return;
    }
    finishing = true;
    Job.Progress done = finalProgress(manifest);
    // A control database failure here propagates: the lease expires and the next owner resumes from
    // the last checkpoint, which finds every object finished and writes the manifest again.
    if (ctx.leases().succeed(lease, manifest, done, eventId())) {
      ctx.onFinished().run();
      log.info("job {} succeeded: {} objects, {} rows", id, manifest.objects().size(), done.rows());
    } else {
      lost();
    }
  }

  private Manifest export() {
    ServerConfig.SourceConfig sourceConfig = ctx.config().sources().get(claimed.request().source());
    if (sourceConfig == null) {
      throw new DbsnapException(
          ErrorCode.NOT_FOUND,
          "source '" + claimed.request().source() + "' is no longer configured on this server");
    }
    Source source = sourceConfig.toSource();
    Checkpoint resumeFrom = null;
    if (claimed.checkpointJson() != null) {
      try {
        resumeFrom = Checkpoint.fromJson(claimed.checkpointJson());
      } catch (DbsnapException e) {
        restartFromScratch(e);
      }
    }
    if (resumeFrom == null) {
      startCounting(null);
      return export(source).run(null, Export.OnFailure.KEEP_FOR_RESUME);
    }
    startCounting(resumeFrom);
    try {
      return export(source).run(resumeFrom, Export.OnFailure.KEEP_FOR_RESUME);
    } catch (DbsnapException e) {
      if (e.code() != ErrorCode.RESUME_FAILED || stopped()) {
        throw e;
      }
      restartFromScratch(e);
      startCounting(null);
      return export(source).run(null, Export.OnFailure.KEEP_FOR_RESUME);
    }
  }

  /**
   * Rows and bytes an earlier run already exported (and counted in the metrics) are the baseline.
   */
  private synchronized void startCounting(Checkpoint resumeFrom) {
    long rows = 0;
    long bytes = 0;
    if (resumeFrom != null) {
      for (Checkpoint.FinishedObject f : resumeFrom.finished()) {
        rows += f.rows().values().stream().mapToLong(Long::longValue).sum();
        bytes += f.bytes();
      }
      for (Checkpoint.Current c : resumeFrom.inProgress()) {
        rows += c.restart().rows().values().stream().mapToLong(Long::longValue).sum();
        bytes += c.bytes();
      }
    }
    markAtStart = resumeFrom == null ? 0 : resumeFrom.progressMark();
    rowsAtStart = rows;
    rowsCounted = rows;
    bytesCounted = bytes;
    finishedBytes = 0;
    parts = 0;
  }

  private void restartFromScratch(DbsnapException why) {
    log.warn(
        "job {} cannot resume ({}); starting it again from scratch",
        lease.jobId(),
        why.getMessage());
    // The checkpoint goes first: a checkpoint left behind by a crash must never name deleted
    // objects.
    if (!ctx.leases().clearCheckpoint(lease)) {
      leaseLost = true;
      throw new DbsnapException(ErrorCode.CANCELLED, "lease lost");
    }
    dbsnap().discard(exportDir);
  }

  private Dbsnap dbsnap() {
    return Dbsnap.builder().store(ctx.store()).clock(ctx.clock()).build();
  }

  private Export export(Source source) {
    ExportRequest r = claimed.request();
    ExportOptions options =
        ExportOptions.defaults(r.format(), r.compression())
            .withSelection(new TableSelection(List.of(), r.tables(), r.excludeTables()))
            .withConcurrency(Math.max(1, ctx.config().workers().uploadConcurrency()))
            .withJobs(r.jobs())
            .withSchemaOptions(r.schemaOptions());
    options =
        ctx.tuning().partSize() > 0
            ? options.withSmallParts(ctx.tuning().partSize(), ctx.tuning().partSize())
            : options.withPartSize(r.partSize());
    partSize = options.partSize();
    runStartNanos = System.nanoTime();
    lastProgressNanos = 0;
    return dbsnap()
        .newExport(
            dev.dbsnap.ExportRequest.builder(source)
                .options(options)
                .prefix(PREFIX)
                .exportId(lease.jobId())
                .build(),
            this);
  }

  @Override
  public boolean cancelRequested() {
    return stopped();
  }

  private boolean stopped() {
    return cancelRequested || leaseLost || stopping;
  }

  /** What to do after the export threw: stop quietly, hand back, cancel, retry or fail. */
  private void ended(RuntimeException e) {
    String id = lease.jobId();
    if (leaseLost) {
      lost();
      return;
    }
    if (cancelRequested) {
      cancel();
      return;
    }
    if (stopping || (e instanceof DbsnapException d && d.code() == ErrorCode.CANCELLED)) {
      if (ctx.leases().release(lease)) {
        log.info("job {} handed back with its checkpoint: this process is stopping", id);
      } else {
        lost();
      }
      return;
    }
    ErrorCode code = e instanceof DbsnapException d ? d.code() : ErrorCode.INTERNAL;
    String message =
        e instanceof DbsnapException
            ? e.getMessage()
            : "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage();
    String wire = code.name().toLowerCase(Locale.ROOT);
    if (transientFailure(e)) {
      // Only attempts that stored no checkpoint spend the budget: a job that advances on every
      // attempt (its source connection dropped every few minutes, say) is never given up on for it.
      int stalled = advanced ? 0 : claimed.stalledAttempts() + 1;
      String gaveUp = gaveUp(stalled);
      if (gaveUp == null) {
        retry(stalled, wire, message);
        return;
      }
      message = message + " (" + gaveUp + ")";
    }
    // Failed first, then discarded: objects deleted under a job that is still running would be
    // listed as finished by its checkpoint when another worker resumed it.
    if (ctx.leases().fail(lease, wire, message, eventId())) {
      discardQuietly();
      ctx.onFinished().run();
      if (code == ErrorCode.INTERNAL) {
        log.error("job {} failed: {}", id, message, e);
      } else {
        log.warn("job {} failed: {}", id, message);
      }
    } else {
      lost();
    }
  }

  /**
   * Why a job whose attempt failed transiently is not retried, or null when it is: the run-time cap
   * has passed since it first started, or too many attempts in a row made no progress.
   */
  private String gaveUp(int stalled) {
    ServerConfig.Workers workers = ctx.config().workers();
    Duration cap = workers.maxRunTime();
    if (!cap.isZero() && ctx.clock().millis() - claimed.startedAt() >= cap.toMillis()) {
      return "gave up: the job first started more than workers.maxRunTime "
          + Units.format(cap)
          + " ago";
    }
    if (stalled >= workers.maxAttempts()) {
      return "gave up after "
          + stalled
          + (stalled == 1 ? " attempt" : " attempts in a row")
          + " without progress"
          + (claimed.attempts() > stalled ? ", " + claimed.attempts() + " attempts in all" : "");
    }
    return null;
  }

  private void retry(int stalled, String wire, String message) {
    String id = lease.jobId();
    // The backoff grows with the attempts that made no progress: one that advanced waits the base.
    Duration delay = retryDelay(stalled);
    if (ctx.leases().retry(lease, delay, stalled, wire, message)) {
      ctx.metrics().retried();
      log.warn(
          "job {} failed on attempt {} ({}) and is retried in {} ms: {}",
          id,
          claimed.attempts(),
          stalled == 0
              ? "it made progress"
              : stalled + " of " + ctx.config().workers().maxAttempts() + " without progress",
          delay.toMillis(),
          message);
    } else {
      lost();
    }
  }

  /**
   * Discarded first, then cancelled: cancel_requested stays set, so a crash in between is finished
   * by the next owner.
   */
  private void cancel() {
    discardQuietly();
    if (ctx.leases().cancelled(lease, eventId())) {
      ctx.onFinished().run();
      log.info("job {} cancelled; its uploads were aborted and its objects deleted", lease.jobId());
    } else {
      lost();
    }
  }

  private void lost() {
    log.warn(
        "job {}: {} lost its lease and stopped without touching its objects",
        lease.jobId(),
        lease.owner());
    try {
      ctx.leases().endRun(lease, "lease_lost");
    } catch (DbsnapException e) {
      // the run row stays open; the control database is unreachable anyway
    }
  }

  private void discardQuietly() {
    try {
      dbsnap().discard(exportDir);
    } catch (RuntimeException e) {
      log.warn(
          "job {}: could not remove its objects ({}); the janitor will",
          lease.jobId(),
          e.getMessage());
    }
  }

  /** The base backoff after up to one stalled attempt, doubled for each further one, capped. */
  private Duration retryDelay(int stalled) {
    Duration base = ctx.config().workers().retryBackoff();
    int doublings = Math.min(Math.max(0, stalled - 1), 20);
    Duration delay = base.multipliedBy(1L << doublings);
    Duration cap = Duration.ofHours(1);
    return delay.compareTo(cap) > 0 ? cap : delay;
  }

  /**
   * Whether a retry may succeed, as the failure itself says ({@link DbsnapException#isTransient()},
   * which reads the source's SQLState); an unexpected exception is retried when it came from I/O.
   */
  static boolean transientFailure(Throwable e) {
    if (e instanceof DbsnapException d && d.code() != ErrorCode.INTERNAL) {
      return d.isTransient();
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        return SqlStates.isTransient(s);
      }
      if (t instanceof IOException || t instanceof java.io.UncheckedIOException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private String eventId() {
    return "msg_" + Ulid.next(ctx.clock().instant());
  }

  @Override
  public void checkpoint(Checkpoint checkpoint) {
    long bytes;
    synchronized (this) {
      long finished = 0;
      int count = 0;
      for (Checkpoint.FinishedObject f : checkpoint.finished()) {
        finished += f.bytes();
        count += (int) Math.max(1, (f.bytes() + partSize - 1) / partSize);
      }
      bytes = finished;
      for (Checkpoint.Current c : checkpoint.inProgress()) {
        bytes += c.bytes();
        count += c.parts().size();
      }
      finishedBytes = finished;
      parts = count;
      ctx.metrics().bytesExported(Math.max(0, bytes - bytesCounted));
      bytesCounted = Math.max(bytesCounted, bytes);
    }
    try {
      if (ctx.leases().saveCheckpoint(lease, checkpoint.toJson())) {
        // a checkpoint taken as an upload starts stores nothing new
        if (checkpoint.progressMark() > markAtStart) {
          advanced = true;
        }
      } else {
        leaseLost = true;
      }
    } catch (DbsnapException e) {
      // A missed checkpoint only means a resume repeats a little more work.
      log.warn("job {}: checkpoint not stored: {}", lease.jobId(), e.getMessage());
    }
  }

  @Override
  public void progress(ExportListener.Progress p) {
    Job.Progress snapshot;
    synchronized (this) {
      long now = System.nanoTime();
      ctx.metrics().rowsExported(Math.max(0, p.rows() - rowsCounted));
      rowsCounted = Math.max(rowsCounted, p.rows());
      double seconds = (now - runStartNanos) / 1e9;
      double rate = seconds > 0 ? (p.rows() - rowsAtStart) / seconds : 0;
      progress =
          new Job.Progress(
              p.tablesDone(),
              p.tablesTotal(),
              p.table(),
              p.rows(),
              finishedBytes + p.bytes(),
              parts,
              p.rowEstimate(),
              rate);
      if (lastProgressNanos != 0 && now - lastProgressNanos < PROGRESS_EVERY_NANOS) {
        return;
      }
      lastProgressNanos = now;
      snapshot = progress;
    }
    try {
      if (!ctx.leases().saveProgress(lease, snapshot)) {
        leaseLost = true;
      }
    } catch (DbsnapException e) {
      log.warn("job {}: progress not stored: {}", lease.jobId(), e.getMessage());
    }
  }

  private synchronized Job.Progress finalProgress(Manifest m) {
    long rows = m.tables().stream().mapToLong(Manifest.TableEntry::rows).sum();
    long bytes = m.objects().stream().mapToLong(Manifest.ObjectEntry::bytes).sum();
    int count = 0;
    for (Manifest.ObjectEntry o : m.objects()) {
      count += (int) Math.max(1, (o.bytes() + partSize - 1) / partSize);
    }
    double seconds = (System.nanoTime() - runStartNanos) / 1e9;
    long fromHere = rows - rowsAtStart;
    ctx.metrics().rowsExported(Math.max(0, rows - rowsCounted));
    return new Job.Progress(
        m.tables().size(),
        m.tables().size(),
        null,
        rows,
        bytes,
        count,
        progress.rowEstimate(),
        seconds > 0 ? fromHere / seconds : 0);
  }

  /** Stops the export without touching the store: this process is going away. */
  void stop() {
    stopping = true;
  }
}
