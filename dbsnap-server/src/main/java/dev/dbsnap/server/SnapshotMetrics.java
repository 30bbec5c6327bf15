package dev.dbsnap.server;

import dev.dbsnap.snapshot.Snapshot;
import dev.dbsnap.snapshot.SnapshotCache;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The snapshot cache's Prometheus metrics, fed by its {@link SnapshotCache.Events}; the bytes
 * stored are read from the snapshot index at scrape.
 */
final class SnapshotMetrics implements SnapshotCache.Events {
  private final Counter requests;
  private final Counter builds;
  private final Histogram buildSeconds;
  private final Counter evictions;
  private final Counter purges;
  private final Histogram wakeupSeconds;

  SnapshotMetrics(
      PrometheusRegistry registry, Collection<String> sources, Supplier<SnapshotCache> cache) {
    requests =
        Counter.builder()
            .name("dbsnap_snapshot_requests_total")
            .help("Snapshot requests answered, by outcome (hit, built, joined)")
            .labelNames("outcome")
            .register(registry);
    for (Snapshot.Outcome o : Snapshot.Outcome.values()) {
      requests.labelValues(wire(o)); // every outcome shows from the first scrape
    }
    builds =
        Counter.builder()
            .name("dbsnap_snapshot_builds_total")
            .help("Snapshots built and registered by this process")
            .register(registry);
    buildSeconds =
        Histogram.builder()
            .name("dbsnap_snapshot_build_seconds")
            .help("Time to build one snapshot, from its lease to its registration")
            .classicOnly()
            .classicUpperBounds(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)
            .register(registry);
    evictions =
        Counter.builder()
            .name("dbsnap_snapshot_evictions_total")
            .help("Snapshots evicted because their source's snapshots passed maxTotalBytes")
            .register(registry);
    purges =
        Counter.builder()
            .name("dbsnap_snapshot_purges_total")
            .help("Purges of a table's snapshots")
            .register(registry);
    wakeupSeconds =
        Histogram.builder()
            .name("dbsnap_snapshot_wakeup_seconds")
            .help("Delay between another process finishing a build and a waiter here waking up")
            .classicOnly()
            .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
            .register(registry);
    GaugeWithCallback.builder()
        .name("dbsnap_snapshot_bytes_stored")
        .help("Bytes of the current snapshots in the index, by source")
        .labelNames("source")
        .callback(
            callback -> {
              SnapshotCache c = cache.get();
              if (c == null) {
                return;
              }
              for (String source : sources) {
                try {
                  long bytes = 0;
                  for (Snapshot s : c.list(source)) {
                    bytes += s.bytes();
                  }
                  callback.call(bytes, source);
                } catch (RuntimeException e) {
                  // the control database is down: leave the source out rather than fail /metrics
                }
              }
            })
        .register(registry);
  }

  static String wire(Snapshot.Outcome outcome) {
    return outcome.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public void requested(Snapshot.Outcome outcome) {
    requests.labelValues(wire(outcome)).inc();
  }

  @Override
  public void built(Duration took, long bytes) {
    builds.inc();
    buildSeconds.observe(took.toNanos() / 1e9);
  }

  @Override
  public void evicted() {
    evictions.inc();
  }

  @Override
  public void purged() {
    purges.inc();
  }

  @Override
  public void wokeUp(long millis) {
    wakeupSeconds.observe(Math.max(0, millis) / 1e3);
  }
}
