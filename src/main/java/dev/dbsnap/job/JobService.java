package dev.dbsnap.job;

import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.storage.ObjectStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;

/**
 * The export jobs of one {@code dbsnap serve} process: submits, finds, lists and cancels jobs in the
 * control database, and runs the workers, the webhook dispatcher and the janitor. Several
 * processes may share one PostgreSQL control database; each job runs on one worker at a time.
 * Thread-safe.
 */
public final class JobService implements AutoCloseable {
  private JobService() {}

  /**
   * Opens (and migrates) the control database and starts the workers, the webhook dispatcher and
   * the janitor. With {@code config.workers().count() == 0} it only serves the API.
   *
   * @throws dev.dbsnap.DbsnapException INVALID_ARGUMENT for an unusable control database URL,
   *     SERVER_UNAVAILABLE when it cannot be reached or migrated
   */
  public static JobService start(ServerConfig config, ObjectStore store, PrometheusRegistry metrics, Clock clock) {
    throw new UnsupportedOperationException("not built yet");
  }

  /**
   * Validates a request against its source and queues a job. The same idempotency key (per
   * source) with the same request returns the job made the first time.
   *
   * @param idempotencyKey the client's Idempotency-Key, or null
   * @throws dev.dbsnap.DbsnapException NOT_FOUND for an unknown source;
   *     {@link dev.dbsnap.InvalidInputException} naming the field for an unknown table, a part
   *     size out of range, a refused callback URL, or a key reused with another request;
   *     SOURCE_UNAVAILABLE when the source cannot be read to check the tables
   */
  public Job submit(String idempotencyKey, ExportRequest request) {
    throw new UnsupportedOperationException("not built yet");
  }

  /** The job with this id, or empty. */
  public Optional<Job> find(String id) {
    throw new UnsupportedOperationException("not built yet");
  }

  /**
   * Jobs newest first.
   *
   * @param visibleSources the sources the caller may see, or null for all
   * @param source only this source, or null
   * @param state only this state, or null
   * @param limit 1..200
   * @param cursor from a previous page, or null for the first
   * @throws dev.dbsnap.InvalidInputException for a malformed cursor (field {@code cursor})
   */
  public JobPage list(Set<String> visibleSources, String source, JobState state, int limit, String cursor) {
    throw new UnsupportedOperationException("not built yet");
  }

  /**
   * Cancels a queued or running job: a queued job is cancelled at once; a running one stops within
   * one part's time, its upload aborted and its objects deleted.
   *
   * @return the job after the request (cancelled, or running with cancelRequested)
   * @throws dev.dbsnap.DbsnapException NOT_FOUND for an unknown id; CONFLICT for a finished job
   */
  public Job cancel(String id) {
    throw new UnsupportedOperationException("not built yet");
  }

  /** The key prefix of a job's objects in the store, ending in '/'. */
  public String exportDir(String id) {
    return "exports/" + id + "/";
  }

  /** True when the control database answers a query now. */
  public boolean controlDbReachable() {
    throw new UnsupportedOperationException("not built yet");
  }

  /** Runs the janitor once now (it also runs on its own every retention.janitorInterval). */
  public JanitorReport runJanitor() {
    throw new UnsupportedOperationException("not built yet");
  }

  /** What one janitor run removed: expired jobs, and orphan multipart uploads aborted (keys). */
  public record JanitorReport(java.util.List<String> expiredJobs, java.util.List<String> abortedUploads) {}

  /**
   * Stops the workers (their jobs keep their checkpoints and are released for another worker),
   * the dispatcher and the janitor, and closes the control database.
   */
  @Override
  public void close() {}
}
