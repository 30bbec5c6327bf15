package dev.dbsnap.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.config.ServerConfig;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the webhook event of every job that reached a terminal state with a callback URL: one
 * thread per process claims a due delivery with a compare-and-set on {@code webhook_version} (after
 * {@code FOR UPDATE SKIP LOCKED} on PostgreSQL), so two processes never send the same attempt, and
 * pushes its due time past the attempt's timeout while sending. Each attempt is recorded; failures
 * are retried with exponential backoff until {@code retryFor} has passed since the first attempt.
 * The event id is fixed when the job finishes, so every attempt carries the same one (at least
 * once).
 */
final class WebhookDispatcher {
  private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
  private static final Duration CAP = Duration.ofMinutes(15);
  private static final double JITTER = 0.2;

  private final ControlDb db;
  private final WebhookSender sender;
  private final ServerConfig.Webhooks config;
  private final JobMetrics metrics;
  private final Clock clock;
  private final long pollMillis;
  private final SplittableRandom random = new SplittableRandom();
  private final Object wakeUp = new Object();
  private final Thread thread;
  private volatile boolean stopping;

  WebhookDispatcher(
      ControlDb db,
      WebhookSender sender,
      ServerConfig.Webhooks config,
      JobMetrics metrics,
      Clock clock,
      Duration poll) {
    this.db = db;
    this.sender = sender;
    this.config = config;
    this.metrics = metrics;
    this.clock = clock;
    this.pollMillis = Math.max(20, Math.min(poll.toMillis(), 1000));
    this.thread = new Thread(this::loop, "dbsnap-webhooks");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void wakeUp() {
    synchronized (wakeUp) {
      wakeUp.notifyAll();
    }
  }

  void stop() {
    stopping = true;
    wakeUp();
    sender.close();
    try {
      thread.join(config.timeout().toMillis() + 5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void loop() {
    while (!stopping) {
      try {
        while (!stopping && deliverOne()) {
          // keep going while deliveries are due
        }
      } catch (DbsnapException e) {
        log.warn("webhook deliveries paused: {}", e.getMessage());
      } catch (RuntimeException e) {
        log.error("webhook dispatcher failed", e);
      }
      synchronized (wakeUp) {
        if (stopping) {
          return;
        }
        try {
          wakeUp.wait(pollMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** A claimed delivery: the job and the version the claim set. */
  private record Claim(String jobId, long version) {}

  /** Claims and makes one due attempt; false when none is due. */
  boolean deliverOne() {
    Optional<Claim> claim = claim();
    if (claim.isEmpty()) {
      return false;
    }
    String id = claim.get().jobId();
    Optional<Job> found = db.read(c -> JobRows.find(c, id));
    if (found.isEmpty()
        || found.get().webhook() == null
        || found.get().webhook().eventId() == null) {
      return true;
    }
    Job job = found.get();
    byte[] body = body(job);
    WebhookSender.Result result =
        sender.send(URI.create(job.webhook().url()), job.webhook().eventId(), body);
    record(claim.get(), job, result);
    return true;
  }

  private Optional<Claim> claim() {
    return db.transaction(
        c -> {
          long now = clock.millis();
          String id;
          long version;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, webhook_version FROM jobs"
                      + " WHERE webhook_next_at <= ? AND webhook_delivered = 0 ORDER BY webhook_next_at LIMIT 1"
                      + (db.postgres() ? " FOR UPDATE SKIP LOCKED" : ""))) {
            ps.setLong(1, now);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              id = rs.getString(1);
              version = rs.getLong(2);
            }
          }
          // While this attempt runs nobody else may start one; if this process dies, it is due
          // again.
          long leaseMillis = config.timeout().toMillis() * 2 + 30_000;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE jobs SET webhook_next_at = ?,"
                      + " webhook_version = webhook_version + 1 WHERE id = ? AND webhook_version = ?")) {
            ps.setLong(1, now + leaseMillis);
            ps.setString(2, id);
            ps.setLong(3, version);
            if (ps.executeUpdate() == 0) {
              return Optional.empty();
            }
          }
          return Optional.of(new Claim(id, version + 1));
        });
  }

  /**
   * The event as sent: the job's document without its own delivery record, so every attempt sends
   * the same bytes.
   */
  static byte[] body(Job job) {
    Job data =
        new Job(
            job.id(),
            job.source(),
            job.state(),
            job.request(),
            job.createdAt(),
            job.startedAt(),
            job.updatedAt(),
            job.finishedAt(),
            job.progress(),
            job.manifest(),
            job.error(),
            job.attempts(),
            job.cancelRequested(),
            null);
    try {
      return JobJson.MAPPER.writeValueAsBytes(
          JobJson.event(data, job.finishedAt() != null ? job.finishedAt() : job.updatedAt()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private void record(Claim claim, Job job, WebhookSender.Result result) {
    long now = clock.millis();
    boolean delivered = result.delivered();
    String error =
        result.error() != null ? result.error() : delivered ? null : "HTTP " + result.status();
    int attempt =
        db.transaction(
            c -> {
              long firstAt = firstAttemptAt(c, job.id(), now);
              int number = nextAttempt(c, job.id());
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "INSERT INTO webhook_attempts (job_id, attempt, at, status, error) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, job.id());
                ps.setInt(2, number);
                ps.setLong(3, now);
                ps.setInt(4, result.status());
                ps.setString(5, error);
                ps.executeUpdate();
              }
              Long next = null;
              if (!delivered) {
                long due =
                    now
                        + Backoff.delay(
                                number,
                                config.retryBase(),
                                CAP.compareTo(config.retryBase()) < 0 ? config.retryBase() : CAP,
                                JITTER,
                                random)
                            .toMillis();
                if (due - firstAt <= config.retryFor().toMillis()) {
                  next = due;
                }
              }
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE jobs SET webhook_delivered = ?, webhook_next_at = ?,"
                          + " webhook_attempts = ?, webhook_first_at = ? WHERE id = ? AND webhook_version = ?")) {
                ps.setInt(1, delivered ? 1 : 0);
                if (next == null) {
                  ps.setNull(2, java.sql.Types.BIGINT);
                } else {
                  ps.setLong(2, next);
                }
                ps.setInt(3, number);
                ps.setLong(4, firstAt);
                ps.setString(5, job.id());
                ps.setLong(6, claim.version());
                ps.executeUpdate();
              }
              if (!delivered && next == null) {
                log.warn(
                    "webhook of job {} not delivered after {} attempts over {}; giving up: {}",
                    job.id(),
                    number,
                    config.retryFor(),
                    error);
              }
              return number;
            });
    if (delivered) {
      metrics.delivered();
      log.info(
          "webhook of job {} delivered on attempt {} (HTTP {})",
          job.id(),
          attempt,
          result.status());
    } else {
      metrics.deliveryFailed();
      log.info("webhook of job {} attempt {} failed: {}", job.id(), attempt, error);
    }
  }

  private static long firstAttemptAt(Connection c, String id, long now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT webhook_first_at FROM jobs WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          long v = rs.getLong(1);
          if (!rs.wasNull()) {
            return v;
          }
        }
        return now;
      }
    }
  }

  private static int nextAttempt(Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT COALESCE(MAX(attempt), 0) + 1 FROM webhook_attempts WHERE job_id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
