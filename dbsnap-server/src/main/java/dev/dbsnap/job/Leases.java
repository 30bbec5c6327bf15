package dev.dbsnap.job;

import dev.dbsnap.export.Manifest;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The worker side of the jobs table: claims with a compare-and-set on {@code lease_version} ({@code
 * FOR UPDATE SKIP LOCKED} first on PostgreSQL), and every later write guarded by the owner and
 * version it claimed with, so a worker that lost its lease changes nothing. Thread-safe.
 */
final class Leases {
  /** What a worker holds: the job, who it is and the version its claim set. */
  record Lease(String jobId, String owner, long version, String runId) {}

  /**
   * A claimed job: what to run and where it stood.
   *
   * @param attempts claims of the job so far, this one included
   * @param stalledAttempts attempts in a row before this one that failed without progress
   * @param startedAt when the job was first claimed (epoch millis)
   * @param previousOwner the owner whose lease expired when this claim took the job over, or null
   */
  record Claimed(
      Lease lease,
      ExportRequest request,
      String checkpointJson,
      boolean cancelRequested,
      int attempts,
      int stalledAttempts,
      long startedAt,
      String previousOwner) {}

  /**
   * The result of a heartbeat: whether the lease is still held and whether a cancel was asked for.
   */
  record Renewal(boolean held, boolean cancelRequested) {}

  private static final String HELD =
      " WHERE id = ? AND lease_owner = ? AND lease_version = ? AND state = 'running'";
  private static final String WEBHOOK_DUE =
      ", event_id = CASE WHEN callback_url IS NULL THEN NULL"
          + " ELSE COALESCE(event_id, ?) END, webhook_next_at = CASE WHEN callback_url IS NULL THEN NULL ELSE ? END";

  private final ControlDb db;
  private final Clock clock;
  private final Duration ttl;

  Leases(ControlDb db, Clock clock, Duration ttl) {
    this.db = db;
    this.clock = clock;
    this.ttl = ttl;
  }

  /** Claims the oldest claimable job (queued and due, or running with an expired lease), if any. */
  Optional<Claimed> claim(String owner) {
    return db.transaction(
        c -> {
          long now = clock.millis();
          String candidate =
              "SELECT id, lease_version, lease_owner, state FROM jobs"
                  + " WHERE (state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_expires_at <= ?)"
                  + " ORDER BY created_at, id LIMIT 1"
                  + (db.postgres() ? " FOR UPDATE SKIP LOCKED" : "");
          String id;
          long version;
          String previousOwner;
          try (PreparedStatement ps = c.prepareStatement(candidate)) {
            ps.setLong(1, now);
            ps.setLong(2, now);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              id = rs.getString(1);
              version = rs.getLong(2);
              previousOwner = "running".equals(rs.getString(4)) ? rs.getString(3) : null;
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE jobs SET state = 'running', lease_owner = ?,"
                      + " lease_expires_at = ?, lease_version = lease_version + 1, attempts = attempts + 1,"
                      + " started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ? AND lease_version = ?")) {
            ps.setString(1, owner);
            ps.setLong(2, now + ttl.toMillis());
            ps.setLong(3, now);
            ps.setLong(4, now);
            ps.setString(5, id);
            ps.setLong(6, version);
            if (ps.executeUpdate() == 0) {
              return Optional.empty(); // another worker claimed it between our read and our write
            }
          }
          String runId = "run_" + Ulid.next(Instant.ofEpochMilli(now));
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO job_runs (id, job_id, owner, started_at) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, runId);
            ps.setString(2, id);
            ps.setString(3, owner);
            ps.setLong(4, now);
            ps.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT request_json, checkpoint_json, cancel_requested, attempts,"
                      + " stalled_attempts, started_at FROM jobs WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return Optional.of(
                  new Claimed(
                      new Lease(id, owner, version + 1, runId),
                      JobRows.parseRequest(rs.getString(1)),
                      rs.getString(2),
                      rs.getInt(3) != 0,
                      rs.getInt(4),
                      rs.getInt(5),
                      rs.getLong(6),
                      previousOwner));
            }
          }
        });
  }

  /** Extends the lease by the TTL and reads whether a cancel was asked for. */
  Renewal renew(Lease lease) {
    return db.read(
        c -> {
          long now = clock.millis();
          try (PreparedStatement ps =
              c.prepareStatement("UPDATE jobs SET lease_expires_at = ?" + HELD)) {
            ps.setLong(1, now + ttl.toMillis());
            bindHeld(ps, 2, lease);
            if (ps.executeUpdate() == 0) {
              return new Renewal(false, false);
            }
          }
          return new Renewal(true, cancelRequested(c, lease.jobId()));
        });
  }

  /** Whether a cancel was asked for, without renewing. */
  boolean cancelRequested(String jobId) {
    return db.read(c -> cancelRequested(c, jobId));
  }

  private static boolean cancelRequested(Connection c, String jobId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT cancel_requested FROM jobs WHERE id = ?")) {
      ps.setString(1, jobId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getInt(1) != 0;
      }
    }
  }

  /** Stores a checkpoint; false when the lease is lost. */
  boolean saveCheckpoint(Lease lease, String checkpointJson) {
    return update(lease, "checkpoint_json = ?", checkpointJson);
  }

  /** Forgets the checkpoint, so the next run starts from scratch; false when the lease is lost. */
  boolean clearCheckpoint(Lease lease) {
    return update(lease, "checkpoint_json = NULL");
  }

  boolean saveProgress(Lease lease, Job.Progress progress) {
    return update(lease, "progress_json = ?", JobRows.progressJson(progress));
  }

  boolean succeed(Lease lease, Manifest manifest, Job.Progress progress, String eventId) {
    long now = clock.millis();
    return finish(
        lease,
        "succeeded",
        "state = 'succeeded', finished_at = ?, manifest_json = ?, progress_json = ?,"
            + " checkpoint_json = NULL, error_code = NULL, error_message = NULL, lease_owner = NULL,"
            + " lease_expires_at = NULL"
            + WEBHOOK_DUE,
        now,
        new String(manifest.toJson(), StandardCharsets.UTF_8),
        JobRows.progressJson(progress),
        eventId,
        now);
  }

  boolean fail(Lease lease, String code, String message, String eventId) {
    long now = clock.millis();
    return finish(
        lease,
        "failed",
        "state = 'failed', finished_at = ?, error_code = ?, error_message = ?,"
            + " checkpoint_json = NULL, lease_owner = NULL, lease_expires_at = NULL"
            + WEBHOOK_DUE,
        now,
        code,
        message,
        eventId,
        now);
  }

  boolean cancelled(Lease lease, String eventId) {
    long now = clock.millis();
    return finish(
        lease,
        "cancelled",
        "state = 'cancelled', finished_at = ?, cancel_requested = 0,"
            + " checkpoint_json = NULL, lease_owner = NULL, lease_expires_at = NULL"
            + WEBHOOK_DUE,
        now,
        eventId,
        now);
  }

  /**
   * Puts the job back in the queue to run after {@code delay}, keeping its checkpoint.
   *
   * @param stalledAttempts attempts in a row without progress, this one included: 0 when this run
   *     stored a checkpoint
   */
  boolean retry(Lease lease, Duration delay, int stalledAttempts, String code, String message) {
    // The run ends, and the backoff starts, at the decision: waiting for the control database's
    // write lock must not shorten the delay between this run's end and the next run's start.
    long now = clock.millis();
    return finish(
        lease,
        "retry",
        now,
        "state = 'queued', run_after = ?, stalled_attempts = ?, error_code = ?, error_message = ?,"
            + " lease_owner = NULL, lease_expires_at = NULL",
        now + delay.toMillis(),
        stalledAttempts,
        code,
        message);
  }

  /** Hands the job back at once (this process is stopping), keeping its checkpoint. */
  boolean release(Lease lease) {
    return finish(
        lease,
        "released",
        "state = 'queued', run_after = ?, lease_owner = NULL, lease_expires_at = NULL",
        clock.millis());
  }

  /** Records that this run ended without changing the job (its lease was lost). */
  void endRun(Lease lease, String outcome) {
    db.read(
        c -> {
          endRun(c, lease, outcome);
          return null;
        });
  }

  private void endRun(Connection c, Lease lease, String outcome) throws SQLException {
    endRun(c, lease, outcome, clock.millis());
  }

  private void endRun(Connection c, Lease lease, String outcome, long endedAt) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE job_runs SET ended_at = ?, outcome = ? WHERE id = ? AND ended_at IS NULL")) {
      ps.setLong(1, endedAt);
      ps.setString(2, outcome);
      ps.setString(3, lease.runId());
      ps.executeUpdate();
    }
  }

  private boolean finish(Lease lease, String outcome, String set, Object... values) {
    return finish(lease, outcome, -1, set, values);
  }

  /** Ends the run at {@code endedAt}, or when the transaction runs if it is -1. */
  private boolean finish(Lease lease, String outcome, long endedAt, String set, Object... values) {
    return db.transaction(
        c -> {
          if (!update(c, lease, set, values)) {
            return false;
          }
          endRun(c, lease, outcome, endedAt < 0 ? clock.millis() : endedAt);
          return true;
        });
  }

  private boolean update(Lease lease, String set, Object... values) {
    return db.read(c -> update(c, lease, set, values));
  }

  private boolean update(Connection c, Lease lease, String set, Object... values)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE jobs SET " + set + ", updated_at = ?" + HELD)) {
      int i = 1;
      for (Object v : values) {
        ps.setObject(i++, v);
      }
      ps.setLong(i++, clock.millis());
      bindHeld(ps, i, lease);
      return ps.executeUpdate() == 1;
    }
  }

  private static void bindHeld(PreparedStatement ps, int first, Lease lease) throws SQLException {
    ps.setString(first, lease.jobId());
    ps.setString(first + 1, lease.owner());
    ps.setLong(first + 2, lease.version());
  }
}
