package dev.dbsnap.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.dbsnap.config.ServerConfig.SourceConfig;
import dev.dbsnap.snapshot.Snapshot;
import dev.dbsnap.snapshot.SnapshotCache;
import dev.dbsnap.snapshot.SnapshotOptions;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.testing.PgTestServer;
import dev.dbsnap.track.ChangeTracking;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** The server's source pools: builds and probes of a PostgreSQL source in pools of their own. */
class SourcePoolsTest {
  @TempDir Path dir;
  final SourcePools pools = new SourcePools();

  @AfterEach
  void close() {
    pools.close();
  }

  static SourceConfig pgSource() throws Exception {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE items (id bigint PRIMARY KEY, note text NOT NULL)");
      st.execute("INSERT INTO items SELECT i, 'row ' || i FROM generate_series(1, 100) i");
    }
    SourceConfig config =
        new SourceConfig("app", PgTestServer.jdbcUrl(db), PgTestServer.USER, null);
    ChangeTracking.of(config.toSource()).install(TableSelection.ALL);
    return config;
  }

  @Test
  void a_postgres_source_has_a_build_pool_and_a_smaller_probe_pool() throws Exception {
    SourceConfig config = pgSource();

    Source builds = pools.source(config);
    Source probes = pools.probes(config);

    assertThat(builds.dataSource()).isInstanceOf(HikariDataSource.class);
    assertThat(probes.dataSource()).isInstanceOf(HikariDataSource.class);
    assertThat(probes.dataSource()).isNotSameAs(builds.dataSource());
    assertThat(((HikariDataSource) builds.dataSource()).getMaximumPoolSize()).isEqualTo(4);
    assertThat(((HikariDataSource) probes.dataSource()).getMaximumPoolSize()).isEqualTo(2);
    assertThat(probes.url()).isEqualTo(builds.url());
    assertThat(pools.probes(config)).isSameAs(probes);
  }

  @Test
  void a_sqlite_source_is_opened_directly_for_both() throws Exception {
    Path file = dir.resolve("app.db");
    try (Connection c = new Source("jdbc:sqlite:" + file, null, null).connectForWriting();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE items (id INTEGER PRIMARY KEY)");
    }
    SourceConfig config = new SourceConfig("lite", file.toString(), null, null);

    assertThat(pools.source(config).dataSource()).isNull();
    assertThat(pools.probes(config)).isSameAs(pools.source(config));
  }

  @Test
  void a_hit_is_answered_while_builds_hold_every_build_connection() throws Exception {
    SourceConfig config = pgSource();
    SQLiteDataSource control = new SQLiteDataSource();
    control.setUrl("jdbc:sqlite:" + dir.resolve("control.db"));
    try (SnapshotCache cache =
        SnapshotCache.builder()
            .store(LocalObjectStore.open(dir.resolve("store")))
            .controlDb(control)
            .build()) {
      Source builds = pools.source(config);
      Source probes = pools.probes(config);
      cache.get("app", builds, probes, "items", SnapshotOptions.csv(), Duration.ofMinutes(1));
      List<Connection> taken = new ArrayList<>();
      try {
        for (int i = 0; i < SourcePools.BUILD_POOL; i++) {
          taken.add(builds.connect()); // as running builds hold them
        }
        Snapshot hit =
            CompletableFuture.supplyAsync(
                    () ->
                        cache.get(
                            "app",
                            builds,
                            probes,
                            "items",
                            SnapshotOptions.csv(),
                            Duration.ofSeconds(5)))
                .get(10, TimeUnit.SECONDS);

        assertThat(hit.outcome()).isEqualTo(Snapshot.Outcome.HIT);
      } finally {
        for (Connection c : taken) {
          c.close();
        }
      }
    }
  }
}
