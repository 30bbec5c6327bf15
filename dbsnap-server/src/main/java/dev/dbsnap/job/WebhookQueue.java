package dev.dbsnap.job;

import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.webhook.Deliveries;
import dev.dbsnap.webhook.Delivery;
import dev.dbsnap.webhook.DeliveryResult;
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
 * The webhook deliveries of jobs, kept in the jobs table: a job that reached a terminal state with
 * a callback URL is due until delivered. A claim is a compare-and-set on {@code webhook_version}
 * (after {@code FOR UPDATE SKIP LOCKED} on PostgreSQL), so two processes never make the same
 * attempt. Each attempt is recorded; failures are retried with exponential backoff until {@code
 * retryFor} has passed since the first attempt. The event id is fixed when the job finishes, so
 * every attempt carries the same one (at least once). Used by one dispatcher thread per process.
 */
final class WebhookQueue implements Deliveries {
  private static final Logger log = LoggerFactory.getLogger(WebhookQueue.class);
  private static final Duration CAP = Duration.ofMinutes(15);
  private static final double JITTER = 0.2;

  private final ControlDb db;
  private final ServerConfig.Webhooks config;
  private final JobMetrics metrics;
  private final Clock clock;
  private final WebhookEvents events;
  private final SplittableRandom random = new SplittableRandom();

  WebhookQueue(
      ControlDb db,
      ServerConfig.Webhooks config,
      JobMetrics metrics,
      Clock clock,
      WebhookEvents events) {
    this.db = db;
    this.events = events;
    this.config = config;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** A claimed row: the job and the version the claim set. */
  private record Claim(String jobId, long version) {}

  @Override
  public Optional<Delivery> claim(Duration lease) {
    while (true) {
      Optional<Claim> claim = claimRow(lease);
      if (claim.isEmpty()) {
        return Optional.empty();
      }
      String id = claim.get().jobId();
      Optional<Job> found = db.read(c -> JobRows.find(c, id));
      // A job deleted meanwhile, or without an event, has nothing to send; its claim keeps it
      // from being claimed again at once.
      if (found.isPresent()
          && found.get().webhook() != null
          && found.get().webhook().eventId() != null) {
        Job job = found.get();
        return Optional.of(
            new Delivery(
                id,
                claim.get().version(),
                URI.create(job.webhook().url()),
                job.webhook().eventId(),
                body(job)));
      }
    }
  }

  private Optional<Claim> claimRow(Duration lease) {
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
          // again once the lease has passed.
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE jobs SET webhook_next_at = ?,"
                      + " webhook_version = webhook_version + 1 WHERE id = ? AND webhook_version = ?")) {
            ps.setLong(1, now + lease.toMillis());
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
  private byte[] body(Job job) {
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
    return events.event(data, job.finishedAt() != null ? job.finishedAt() : job.updatedAt());
  }

  @Override
  public void record(Delivery delivery, DeliveryResult result) {
    long now = clock.millis();
    boolean delivered = result.delivered();
    String error =
        result.error() != null ? result.error() : delivered ? null : "HTTP " + result.status();
    int attempt =
        db.transaction(
            c -> {
              long firstAt = firstAttemptAt(c, delivery.jobId(), now);
              int number = nextAttempt(c, delivery.jobId());
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "INSERT INTO webhook_attempts (job_id, attempt, at, status, error) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, delivery.jobId());
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
                ps.setString(5, delivery.jobId());
                ps.setLong(6, delivery.claim());
                ps.executeUpdate();
              }
              if (!delivered && next == null) {
                log.warn(
                    "webhook of job {} not delivered after {} attempts over {}; giving up: {}",
                    delivery.jobId(),
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
          delivery.jobId(),
          attempt,
          result.status());
    } else {
      metrics.deliveryFailed();
      log.info("webhook of job {} attempt {} failed: {}", delivery.jobId(), attempt, error);
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
