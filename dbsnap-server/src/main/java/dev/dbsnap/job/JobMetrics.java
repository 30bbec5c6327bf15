package dev.dbsnap.job;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.EnumMap;
import java.util.Map;

/**
 * The job service's Prometheus metrics; job counts by state are read from the control database at
 * scrape.
 */
final class JobMetrics {
  private final Counter rows;
  private final Counter bytes;
  private final Counter retried;
  private final Counter deliveries;
  private final Counter failures;
  private final Histogram partUpload;

  JobMetrics(PrometheusRegistry registry, ControlDb db) {
    GaugeWithCallback.builder()
        .name("dbsnap_jobs")
        .help("Export jobs in the control database by state")
        .labelNames("state")
        .callback(
            callback -> {
              Map<JobState, Long> counts = countByState(db);
              for (JobState s : JobState.values()) {
                callback.call(counts.getOrDefault(s, 0L), s.wire());
              }
            })
        .register(registry);
    rows =
        Counter.builder()
            .name("dbsnap_rows_exported_total")
            .help("Rows exported by this process's jobs")
            .register(registry);
    bytes =
        Counter.builder()
            .name("dbsnap_bytes_exported_total")
            .help("Bytes uploaded to the object store by this process's jobs")
            .register(registry);
    retried =
        Counter.builder()
            .name("dbsnap_jobs_retried_total")
            .help("Job runs that failed transiently and were queued again")
            .register(registry);
    deliveries =
        Counter.builder()
            .name("dbsnap_webhook_deliveries_total")
            .help("Webhook events delivered (answered with 2xx)")
            .register(registry);
    failures =
        Counter.builder()
            .name("dbsnap_webhook_failures_total")
            .help("Webhook delivery attempts that failed")
            .register(registry);
    partUpload =
        Histogram.builder()
            .name("dbsnap_part_upload_seconds")
            .help("Time to upload one multipart part, retries included")
            .classicOnly()
            .classicUpperBounds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
            .register(registry);
  }

  private static Map<JobState, Long> countByState(ControlDb db) {
    Map<JobState, Long> counts = new EnumMap<>(JobState.class);
    try {
      db.read(
          c -> {
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT state, COUNT(*) FROM jobs GROUP BY state");
                ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                counts.put(JobState.fromWire(rs.getString(1)), rs.getLong(2));
              }
            }
            return null;
          });
    } catch (RuntimeException e) {
      // a scrape while the control database is down reports zeros rather than failing /metrics
    }
    return counts;
  }

  void rowsExported(long n) {
    if (n > 0) {
      rows.inc(n);
    }
  }

  void bytesExported(long n) {
    if (n > 0) {
      bytes.inc(n);
    }
  }

  void retried() {
    retried.inc();
  }

  void delivered() {
    deliveries.inc();
  }

  void deliveryFailed() {
    failures.inc();
  }

  void partUploaded(double seconds) {
    partUpload.observe(seconds);
  }
}
