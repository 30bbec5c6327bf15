package dev.dbsnap.job;

import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The API side of the jobs table: find, list newest first with a cursor, and cancel. Thread-safe.
 */
final class JobTable {
  /** A position in the list: the last job of a page. */
  record Cursor(long createdAt, String id) {
    String encode() {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString((createdAt + ":" + id).getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String text) {
      try {
        String s = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
        int colon = s.indexOf(':');
        String id = s.substring(colon + 1);
        if (colon < 1 || !id.matches("exp_[0-9a-z]{26}")) {
          throw new IllegalArgumentException(s);
        }
        return new Cursor(Long.parseLong(s.substring(0, colon)), id);
      } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
        throw new InvalidInputException(
            ErrorCode.INVALID_ARGUMENT,
            "cursor",
            "cursor '" + text + "' is not one this server gave out; start again without a cursor");
      }
    }
  }

  /** What a cancel did. */
  enum CancelOutcome {
    CANCELLED,
    REQUESTED,
    FINISHED,
    NOT_FOUND
  }

  private final ControlDb db;
  private final Clock clock;

  JobTable(ControlDb db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  Optional<Job> find(String id) {
    return db.read(c -> JobRows.find(c, id));
  }

  JobPage list(
      Set<String> visibleSources, String source, JobState state, int limit, String cursor) {
    if (limit < 1 || limit > 200) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT, "limit", "limit " + limit + " is outside 1..200");
    }
    Cursor after = cursor == null || cursor.isEmpty() ? null : Cursor.decode(cursor);
    if (visibleSources != null && visibleSources.isEmpty()) {
      return new JobPage(List.of(), null);
    }
    StringBuilder sql = new StringBuilder("SELECT " + JobRows.COLUMNS + " FROM jobs WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    if (visibleSources != null) {
      sql.append(" AND source IN (").append("?,".repeat(visibleSources.size() - 1)).append("?)");
      args.addAll(visibleSources);
    }
    if (source != null) {
      sql.append(" AND source = ?");
      args.add(source);
    }
    if (state != null) {
      sql.append(" AND state = ?");
      args.add(state.wire());
    }
    if (after != null) {
      sql.append(" AND (created_at < ? OR (created_at = ? AND id < ?))");
      args.add(after.createdAt());
      args.add(after.createdAt());
      args.add(after.id());
    }
    sql.append(" ORDER BY created_at DESC, id DESC LIMIT ?");
    args.add(limit + 1);
    return db.read(
        c -> {
          List<Job> jobs = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
              ps.setObject(i + 1, args.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                jobs.add(JobRows.map(c, rs));
              }
            }
          }
          String next = null;
          if (jobs.size() > limit) {
            jobs.remove(limit);
            Job last = jobs.get(limit - 1);
            next = new Cursor(last.createdAt().toEpochMilli(), last.id()).encode();
          }
          return new JobPage(jobs, next);
        });
  }

  /**
   * Cancels a queued job at once, or asks a running one to stop. Retried when the job moves between
   * the two checks (a worker claims it, or a retry queues it again).
   */
  CancelOutcome cancel(String id, String eventId) {
    for (int round = 0; round < 5; round++) {
      long now = clock.millis();
      int queued =
          db.read(
              c -> {
                try (PreparedStatement ps =
                    c.prepareStatement(
                        "UPDATE jobs SET state = 'cancelled', finished_at = ?,"
                            + " updated_at = ?, cancel_requested = 0, checkpoint_json = NULL, lease_owner = NULL,"
                            + " lease_expires_at = NULL, event_id = CASE WHEN callback_url IS NULL THEN NULL"
                            + " ELSE COALESCE(event_id, ?) END, webhook_next_at = CASE WHEN callback_url IS NULL THEN NULL ELSE ? END"
                            + " WHERE id = ? AND state = 'queued'")) {
                  ps.setLong(1, now);
                  ps.setLong(2, now);
                  ps.setString(3, eventId);
                  ps.setLong(4, now);
                  ps.setString(5, id);
                  return ps.executeUpdate();
                }
              });
      if (queued == 1) {
        return CancelOutcome.CANCELLED;
      }
      int running =
          db.read(
              c -> {
                try (PreparedStatement ps =
                    c.prepareStatement(
                        "UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ? AND state = 'running'")) {
                  ps.setLong(1, now);
                  ps.setString(2, id);
                  return ps.executeUpdate();
                }
              });
      if (running == 1) {
        return CancelOutcome.REQUESTED;
      }
      Optional<String> state =
          db.read(
              c -> {
                try (PreparedStatement ps =
                    c.prepareStatement("SELECT state FROM jobs WHERE id = ?")) {
                  ps.setString(1, id);
                  try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                  }
                }
              });
      if (state.isEmpty()) {
        return CancelOutcome.NOT_FOUND;
      }
      if (JobState.fromWire(state.get()).terminal()) {
        return CancelOutcome.FINISHED;
      }
    }
    // A job that changes state five times in a row under us is running and retrying quickly.
    return CancelOutcome.REQUESTED;
  }
}
