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
 * the request. A pool per PostgreSQL source (at most 4 connections, none kept idle for long);
 * SQLite files are opened directly, which is cheap. The pools are dbsnap's own, so the session
 * settings an export's snapshot makes stay among dbsnap's requests. Thread-safe.
 */
final class SourcePools implements AutoCloseable {
  private final Map<String, Source> sources = new ConcurrentHashMap<>();
  private final Map<String, HikariDataSource> pools = new ConcurrentHashMap<>();

  Source source(SourceConfig config) {
    return sources.computeIfAbsent(config.name(), name -> open(config));
  }

  private Source open(SourceConfig config) {
    Source direct = config.toSource();
    if (direct.kind() != DialectKind.POSTGRESQL) {
      return direct;
    }
    HikariConfig c = new HikariConfig();
    c.setPoolName("dbsnap-source-" + config.name());
    c.setJdbcUrl(direct.url());
    c.setUsername(direct.user());
    c.setPassword(direct.password());
    c.setMaximumPoolSize(4);
    c.setMinimumIdle(0);
    c.setIdleTimeout(30_000);
    c.setInitializationFailTimeout(-1); // an unreachable source fails its requests, not the server
    HikariDataSource pool = new HikariDataSource(c);
    pools.put(config.name(), pool);
    return new Source(direct.url(), direct.user(), null, pool);
  }

  @Override
  public void close() {
    pools.values().forEach(HikariDataSource::close);
    pools.clear();
    sources.clear();
  }
}
