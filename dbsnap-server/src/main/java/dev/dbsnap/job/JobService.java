package dev.dbsnap.job;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.webhook.CallbackGuard;
import dev.dbsnap.webhook.WebhookDispatcher;
import dev.dbsnap.webhook.WebhookSigner;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The export jobs of one {@code dbsnap serve} process: submits, finds, lists and cancels jobs in
 * the control database, and runs the workers, the webhook dispatcher and the janitor. Several
 * processes may share one PostgreSQL control database; each job runs on one worker at a time.
 * Thread-safe.
 */
public final class JobService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobService.class);

  private final ServerConfig config;
  private final ControlDb db;
  private final ObjectStore store;
  private final Clock clock;
  private final JobTable table;
  private final Submitter submitter;
  private final Workers workers;
  private final Janitor janitor;
  private final ScheduledExecutorService janitorTimer;
  private final WebhookDispatcher dispatcher;
  private final String processId;

  private JobService(
      ServerConfig config,
      ControlDb db,
      ObjectStore store,
      PrometheusRegistry registry,
      Clock clock,
      WebhookEvents events,
      Tuning tuning) {
    this.config = config;
    this.db = db;
    this.clock = clock;
    this.processId = processId();
    JobMetrics metrics = new JobMetrics(registry, db);
    this.store = new TimedObjectStore(store, metrics);
    this.table = new JobTable(db, clock);
    CallbackGuard guard;
    try {
      guard = new CallbackGuard(config.webhooks().allowHosts());
    } catch (IllegalArgumentException e) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT, "webhooks.allowHosts: " + e.getMessage(), e);
    }
    this.submitter = new Submitter(config, db, clock, guard::check);
    this.dispatcher =
        config.webhooks().secret() == null
            ? null
            : new WebhookDispatcher(
                new WebhookQueue(db, config.webhooks(), metrics, clock, events),
                new WebhookSigner(config.webhooks().secret()),
                guard,
                config.webhooks().timeout(),
                clock,
                config.workers().poll());
    Leases leases = new Leases(db, clock, config.workers().leaseTtl());
    this.workers =
        new Workers(
            new JobRun.Context(
                config, this.store, leases, metrics, clock, tuning, this::wakeDispatcher),
            processId);
    this.janitor = new Janitor(config.retention(), db, this.store, clock);
    this.janitorTimer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "dbsnap-janitor");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Opens (and migrates) the control database and starts the workers, the webhook dispatcher and
   * the janitor. With {@code config.workers().count() == 0} it only serves the API.
   *
   * @param events writes the webhook event of a finished job ({@code JobJson::event} of the HTTP
   *     API)
   * @throws dev.dbsnap.DbsnapException INVALID_ARGUMENT for an unusable control database URL,
   *     SERVER_UNAVAILABLE when it cannot be reached or migrated
   */
  public static JobService start(
      ServerConfig config,
      ObjectStore store,
      PrometheusRegistry metrics,
      Clock clock,
      WebhookEvents events) {
    return start(config, store, metrics, clock, events, Tuning.DEFAULT);
  }

  static JobService start(
      ServerConfig config,
      ObjectStore store,
      PrometheusRegistry metrics,
      Clock clock,
      WebhookEvents events,
      Tuning tuning) {
    ControlDb db = ControlDb.open(config.control());
    JobService service;
    try {
      service =
          new JobService(
              config,
              db,
              store,
              metrics == null ? new PrometheusRegistry() : metrics,
              clock,
              events,
              tuning);
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
    service.workers.start();
    if (service.dispatcher != null) {
      service.dispatcher.start();
    }
    long every = Math.max(1000, config.retention().janitorInterval().toMillis());
    service.janitorTimer.scheduleWithFixedDelay(
        service::janitorTick, every, every, TimeUnit.MILLISECONDS);
    log.info(
        "job service {} started: control database {}, {} workers",
        service.processId,
        db.postgres() ? "PostgreSQL" : "SQLite",
        Math.max(0, config.workers().count()));
    return service;
  }

  private void wakeDispatcher() {
    if (dispatcher != null) {
      dispatcher.wakeUp();
    }
  }

  private static String processId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "localhost";
    }
    byte[] nonce = new byte[2];
    new SecureRandom().nextBytes(nonce);
    // the nonce tells apart two services in one JVM (tests) or a restarted process reusing a pid
    return host + ":" + ProcessHandle.current().pid() + ":" + HexFormat.of().formatHex(nonce);
  }

  private void janitorTick() {
    try {
      janitor.run();
    } catch (RuntimeException e) {
      log.warn("janitor run failed: {}", e.getMessage());
    }
  }

  /**
   * Validates a request against its source and queues a job. The same idempotency key (per source)
   * with the same request returns the job made the first time.
   *
   * @param idempotencyKey the client's Idempotency-Key, or null
   * @throws dev.dbsnap.DbsnapException NOT_FOUND for an unknown source; {@link
   *     dev.dbsnap.InvalidInputException} naming the field for an unknown table, a part size out of
   *     range, a refused callback URL, or a key reused with another request; SOURCE_UNAVAILABLE
   *     when the source cannot be read to check the tables, or a {@link
   *     dev.dbsnap.source.SourceException} naming why it refused (SOURCE_AUTHENTICATION_FAILED,
   *     SOURCE_UNKNOWN_DATABASE, SOURCE_PERMISSION_DENIED)
   */
  public Job submit(String idempotencyKey, ExportRequest request) {
    Job job = submitter.submit(idempotencyKey, request);
    workers.wakeUp();
    return job;
  }

  /**
   * The job with this id, or empty.
   *
   * @throws dev.dbsnap.DbsnapException SERVER_UNAVAILABLE when the control database fails
   */
  public Optional<Job> find(String id) {
    return table.find(id);
  }

  /**
   * Jobs newest first.
   *
   * @param visibleSources the sources the caller may see, or null for all
   * @param source only this source, or null
   * @param state only this state, or null
   * @param limit 1..200
   * @param cursor from a previous page, or null for the first
   * @throws dev.dbsnap.InvalidInputException for a malformed cursor (field {@code cursor}) or a
   *     limit out of range (field {@code limit})
   */
  public JobPage list(
      Set<String> visibleSources, String source, JobState state, int limit, String cursor) {
    return table.list(visibleSources, source, state, limit, cursor);
  }

  /**
   * Cancels a queued or running job: a queued job is cancelled at once; a running one stops within
   * one part's time, its upload aborted and its objects deleted.
   *
   * @return the job after the request (cancelled, or running with cancelRequested)
   * @throws dev.dbsnap.DbsnapException NOT_FOUND for an unknown id; CONFLICT for a finished job
   */
  public Job cancel(String id) {
    switch (table.cancel(id, "msg_" + Ulid.next(clock.instant()))) {
      case CANCELLED -> {
        log.info("job {} cancelled while queued", id);
        wakeDispatcher();
        try {
          // a queued job may hold the parts of an earlier attempt, kept for its retry
          Exporter.discard(store, exportDir(id));
        } catch (RuntimeException e) {
          log.warn(
              "job {}: could not remove its objects ({}); the janitor will", id, e.getMessage());
        }
      }
      case REQUESTED -> {
        log.info("job {}: cancel requested", id);
        workers.running(id).ifPresent(run -> run.cancelRequested = true);
      }
      case FINISHED -> {
        Job job = find(id).orElseThrow();
        throw new DbsnapException(
            ErrorCode.CONFLICT,
            "job "
                + id
                + " is already "
                + job.state().wire()
                + "; only a queued or running job can be cancelled");
      }
      case NOT_FOUND -> throw new DbsnapException(ErrorCode.NOT_FOUND, "no job '" + id + "'");
      default -> throw new IllegalStateException();
    }
    return find(id)
        .orElseThrow(() -> new DbsnapException(ErrorCode.NOT_FOUND, "no job '" + id + "'"));
  }

  /** The run of a job on this process's workers, if it runs here now. */
  Optional<JobRun> runningHere(String id) {
    return workers.running(id);
  }

  /** The key prefix of a job's objects in the store, ending in '/'. */
  public String exportDir(String id) {
    return JobRun.PREFIX + "/" + id + "/";
  }

  /**
   * The control database's connection pool, for components that keep their own tables beside the
   * jobs (the snapshot index). Valid until this service is closed.
   */
  public javax.sql.DataSource controlDataSource() {
    return db.dataSource();
  }

  /** True when the control database answers a query now. */
  public boolean controlDbReachable() {
    return db.reachable();
  }

  /**
   * Runs the janitor once now (it also runs on its own every retention.janitorInterval).
   *
   * @throws dev.dbsnap.DbsnapException SERVER_UNAVAILABLE when the control database fails, or a
   *     store error when the store cannot be listed
   */
  public JanitorReport runJanitor() {
    return janitor.run();
  }

  /** What one janitor run removed: expired jobs, and orphan multipart uploads aborted (keys). */
  public record JanitorReport(
      java.util.List<String> expiredJobs, java.util.List<String> abortedUploads) {
    public JanitorReport {
      expiredJobs = java.util.List.copyOf(expiredJobs);
      abortedUploads = java.util.List.copyOf(abortedUploads);
    }
  }

  /**
   * Stops the workers (their jobs keep their checkpoints and are released for another worker), the
   * dispatcher and the janitor, and closes the control database. Waits up to the lease TTL (at
   * least 10 s) for running exports to stop.
   */
  @Override
  public void close() {
    janitorTimer.shutdownNow();
    Duration ttl = config.workers().leaseTtl();
    workers.stop(ttl.compareTo(Duration.ofSeconds(10)) > 0 ? ttl : Duration.ofSeconds(10));
    if (dispatcher != null) {
      dispatcher.stop();
    }
    db.close();
    log.info("job service {} stopped", processId);
  }
}
