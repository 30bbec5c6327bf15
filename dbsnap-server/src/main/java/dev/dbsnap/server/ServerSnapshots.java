package dev.dbsnap.server;

import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.snapshot.SnapshotCache;
import dev.dbsnap.storage.ObjectStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot cache of {@code dbsnap serve}: built over the server's store and control database
 * with keys {@code snapshots/...}, its events counted in Prometheus, and reaped on a daemon thread
 * every {@code snapshots.reapEvery}. Thread-safe; close it before the control database.
 */
public final class ServerSnapshots implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServerSnapshots.class);
  private final SnapshotCache cache;
  private final ScheduledExecutorService reaper;

  private ServerSnapshots(SnapshotCache cache, ScheduledExecutorService reaper) {
    this.cache = cache;
    this.reaper = reaper;
  }

  /**
   * Builds the cache (creating its tables in the control database when missing) and starts the
   * reaper.
   *
   * @param store where snapshot objects go (the server's store)
   * @param controlDb the control database's pool (the job service's)
   * @param registry where the {@code dbsnap_snapshot_*} metrics are registered
   * @throws dev.dbsnap.DbsnapException SERVER_UNAVAILABLE when the control database cannot be set
   *     up
   */
  public static ServerSnapshots start(
      ServerConfig config,
      ObjectStore store,
      DataSource controlDb,
      PrometheusRegistry registry,
      Clock clock) {
    ServerConfig.Snapshots s = config.snapshots();
    AtomicReference<SnapshotCache> built = new AtomicReference<>();
    SnapshotMetrics metrics =
        new SnapshotMetrics(registry, List.copyOf(config.sources().keySet()), built::get);
    SnapshotCache cache =
        SnapshotCache.builder()
            .store(store)
            .controlDb(controlDb)
            .clock(clock)
            .prefix("")
            .leaseTtl(s.leaseTtl())
            .grace(s.grace())
            .maxBytes(s.maxBytes())
            .maxTotalBytes(s.maxTotalBytes())
            .partSize(s.partSize())
            .events(metrics)
            .build();
    built.set(cache);
    ScheduledExecutorService reaper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "dbsnap-snapshot-reaper");
              t.setDaemon(true);
              return t;
            });
    long every = s.reapEvery().toMillis();
    reaper.scheduleWithFixedDelay(() -> reap(cache), every, every, TimeUnit.MILLISECONDS);
    return new ServerSnapshots(cache, reaper);
  }

  private static void reap(SnapshotCache cache) {
    try {
      int removed = cache.reap();
      if (removed > 0) {
        LOG.info("snapshot reaper removed {} objects and uploads", removed);
      }
    } catch (RuntimeException e) {
      LOG.warn("snapshot reaper failed: {}", e.getMessage());
    }
  }

  public SnapshotCache cache() {
    return cache;
  }

  /** Stops the reaper and closes the cache; builds under way lose their waiters. */
  @Override
  public void close() {
    reaper.shutdownNow();
    cache.close();
  }
}
