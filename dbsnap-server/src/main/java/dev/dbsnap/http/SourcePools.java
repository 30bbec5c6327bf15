package dev.dbsnap.http;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.dbsnap.config.ServerConfig.SourceConfig;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.Source;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sources held through small pools, for the snapshot routes: a snapshot hit reads only a version
 * and a column list, and opening a PostgreSQL connection for it would cost more than the rest of
 * the request. A PostgreSQL source has two pools: one for builds (at most {@value #BUILD_POOL}
 * connections) and one for hits' probes (at most {@value #PROBE_POOL}), so that a hit never queues
 * behind the connections of running builds; neither keeps idle connections for long. SQLite files
 * are opened directly, which is cheap. The pools are dbsnap's own, so the session settings an
 * export's snapshot makes stay among dbsnap's requests. Thread-safe.
 */
final class SourcePools implements AutoCloseable {
  static final int BUILD_POOL = 4;
  static final int PROBE_POOL = 2;

  /** A source for builds and the same source for probes (the same object for SQLite). */
  record Held(Source builds, Source probes) {}

  private final Map<String, Held> sources = new ConcurrentHashMap<>();
  private final Map<String, HikariDataSource> pools = new ConcurrentHashMap<>();

  /** The source builds read from. */
  Source source(SourceConfig config) {
    return held(config).builds();
  }

  /** The same source, for a request's probe of the table's version and shape. */
  Source probes(SourceConfig config) {
    return held(config).probes();
  }

  private Held held(SourceConfig config) {
    return sources.computeIfAbsent(config.name(), name -> open(config));
  }

  private Held open(SourceConfig config) {
    Source direct = config.toSource();
    if (direct.kind() != DialectKind.POSTGRESQL) {
      return new Held(direct, direct);
    }
    return new Held(
        pooled(config, direct, "dbsnap-source-" + config.name(), BUILD_POOL),
        pooled(config, direct, "dbsnap-probe-" + config.name(), PROBE_POOL));
  }

  private Source pooled(SourceConfig config, Source direct, String name, int size) {
    HikariConfig c = new HikariConfig();
    c.setPoolName(name);
    c.setJdbcUrl(direct.url());
    c.setUsername(direct.user());
    c.setPassword(direct.password());
    c.setMaximumPoolSize(size);
    c.setMinimumIdle(0);
    c.setIdleTimeout(30_000);
    c.setInitializationFailTimeout(-1); // an unreachable source fails its requests, not the server
    HikariDataSource pool = new HikariDataSource(c);
    pools.put(name, pool);
    return new Source(direct.url(), direct.user(), null, pool);
  }

  @Override
  public void close() {
    pools.values().forEach(HikariDataSource::close);
    pools.clear();
    sources.clear();
  }
}
