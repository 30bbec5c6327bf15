package dev.dbsnap.job;

import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expires finished exports after the retention time (objects deleted, job marked {@code expired})
 * and aborts multipart uploads under {@code exports/} that no queued or running job owns. Every
 * step is idempotent, so processes sharing a control database may run it at the same time.
 */
final class Janitor {
  private static final Logger log = LoggerFactory.getLogger(Janitor.class);

  private final ServerConfig.Retention retention;
  private final ControlDb db;
  private final ObjectStore store;
  private final Clock clock;

  Janitor(ServerConfig.Retention retention, ControlDb db, ObjectStore store, Clock clock) {
    this.retention = retention;
    this.db = db;
    this.store = store;
    this.clock = clock;
  }

  JobService.JanitorReport run() {
    List<String> expired = expireFinished();
    List<String> aborted = abortOrphanUploads();
    if (!expired.isEmpty() || !aborted.isEmpty()) {
      log.info(
          "janitor: expired {} jobs {}, aborted {} orphan uploads {}",
          expired.size(),
          expired,
          aborted.size(),
          aborted);
    }
    return new JobService.JanitorReport(expired, aborted);
  }

  private List<String> expireFinished() {
    long cutoff = clock.millis() - retention.exports().toMillis();
    List<String> candidates =
        db.read(
            c -> {
              List<String> ids = new ArrayList<>();
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT id FROM jobs WHERE state IN"
                          + " ('succeeded', 'failed', 'cancelled') AND finished_at < ? ORDER BY finished_at LIMIT 1000")) {
                ps.setLong(1, cutoff);
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    ids.add(rs.getString(1));
                  }
                }
              }
              return ids;
            });
    List<String> expired = new ArrayList<>();
    for (String id : candidates) {
      try {
        Exporter.discard(store, JobRun.PREFIX + "/" + id + "/");
      } catch (RuntimeException e) {
        log.warn("janitor: cannot delete the objects of job {} yet: {}", id, e.getMessage());
        continue;
      }
      int changed =
          db.read(
              c -> {
                try (PreparedStatement ps =
                    c.prepareStatement(
                        "UPDATE jobs SET state = 'expired', updated_at = ?"
                            + " WHERE id = ? AND state IN ('succeeded', 'failed', 'cancelled')")) {
                  ps.setLong(1, clock.millis());
                  ps.setString(2, id);
                  return ps.executeUpdate();
                }
              });
      if (changed == 1) {
        expired.add(id);
      }
    }
    return expired;
  }

  private List<String> abortOrphanUploads() {
    Instant cutoff = clock.instant().minus(retention.orphanUploads());
    List<String> aborted = new ArrayList<>();
    for (PendingUpload upload : store.pendingUploads(JobRun.PREFIX + "/")) {
      if (!upload.initiated().isBefore(cutoff) || live(jobOf(upload.key()))) {
        continue;
      }
      try {
        store.resumeMultipart(upload.key(), upload.uploadId()).abort();
        aborted.add(upload.key());
      } catch (RuntimeException e) {
        log.warn("janitor: cannot abort the upload of {}: {}", upload.key(), e.getMessage());
      }
    }
    return aborted;
  }

  /** The job id in {@code exports/<id>/...}, or empty for a key outside any job. */
  private static Optional<String> jobOf(String key) {
    String rest = key.substring(JobRun.PREFIX.length() + 1);
    int slash = rest.indexOf('/');
    return slash <= 0 ? Optional.empty() : Optional.of(rest.substring(0, slash));
  }

  private boolean live(Optional<String> job) {
    if (job.isEmpty()) {
      return false;
    }
    return db.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement("SELECT state FROM jobs WHERE id = ?")) {
            ps.setString(1, job.get());
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() && !JobState.fromWire(rs.getString(1)).terminal();
            }
          }
        });
  }
}
