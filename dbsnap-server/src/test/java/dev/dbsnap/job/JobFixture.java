package dev.dbsnap.job;

import static org.assertj.core.api.Assertions.fail;

import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import dev.dbsnap.http.JobJson;
import dev.dbsnap.storage.ObjectStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Configurations, requests and waits shared by the job service tests. */
final class JobFixture {
  private JobFixture() {}

  static ServerConfig.Workers workers(int count) {
    return new ServerConfig.Workers(
        count,
        Duration.ofSeconds(2),
        Duration.ofMillis(300),
        Duration.ofMillis(50),
        3,
        Duration.ofMillis(200),
        Duration.ZERO,
        2);
  }

  static ServerConfig.Webhooks noWebhooks() {
    return new ServerConfig.Webhooks(
        null, List.of(), Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofHours(1));
  }

  static ServerConfig.Retention retention() {
    return new ServerConfig.Retention(Duration.ofDays(7), Duration.ofDays(1), Duration.ofHours(1));
  }

  static ServerConfig config(
      String controlUrl,
      Map<String, String> sources,
      ServerConfig.Workers workers,
      ServerConfig.Webhooks webhooks,
      ServerConfig.Retention retention) {
    Map<String, ServerConfig.SourceConfig> configured = new java.util.HashMap<>();
    sources.forEach(
        (name, url) -> configured.put(name, new ServerConfig.SourceConfig(name, url, null, null)));
    return new ServerConfig(
        new ServerConfig.Http("127.0.0.1", 0, 65536),
        new ServerConfig.Control(controlUrl, null, null, 5),
        new ServerConfig.Store("unused", null, Duration.ofMinutes(15)),
        configured,
        List.of(),
        workers,
        webhooks,
        retention,
        ServerConfig.Snapshots.DEFAULTS);
  }

  static ServerConfig config(
      String controlUrl, Map<String, String> sources, ServerConfig.Workers workers) {
    return config(controlUrl, sources, workers, noWebhooks(), retention());
  }

  /** {@code config} with {@code sources} as its only sources: for a user name and password. */
  static ServerConfig withSources(ServerConfig config, ServerConfig.SourceConfig... sources) {
    Map<String, ServerConfig.SourceConfig> byName = new java.util.HashMap<>();
    for (ServerConfig.SourceConfig s : sources) {
      byName.put(s.name(), s);
    }
    return new ServerConfig(
        config.http(),
        config.control(),
        config.store(),
        byName,
        config.tokens(),
        config.workers(),
        config.webhooks(),
        config.retention(),
        config.snapshots());
  }

  static JobService start(ServerConfig config, ObjectStore store) {
    return JobService.start(
        config, store, new PrometheusRegistry(), Clock.systemUTC(), JobJson::event);
  }

  static JobService start(ServerConfig config, ObjectStore store, int partSize) {
    return JobService.start(
        config,
        store,
        new PrometheusRegistry(),
        Clock.systemUTC(),
        JobJson::event,
        new Tuning(partSize));
  }

  static ExportRequest request(String source, Format format, Compression compression) {
    return new ExportRequest(source, format, compression, List.of(), List.of(), 0, null);
  }

  static ExportRequest request(String source, List<String> tables) {
    return new ExportRequest(source, Format.CSV, Compression.NONE, tables, List.of(), 0, null);
  }

  /**
   * Waits for {@code condition} up to {@code limit}, failing with {@code what} when it never holds.
   */
  static void await(String what, Duration limit, BooleanSupplier condition) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
      }
    }
  }

  static Job awaitState(JobService service, String id, JobState state) {
    return awaitState(service, id, state, Duration.ofSeconds(30));
  }

  static Job awaitState(JobService service, String id, JobState state, Duration limit) {
    await(
        "job " + id + " to be " + state.wire(),
        limit,
        () -> service.find(id).orElseThrow().state() == state);
    return service.find(id).orElseThrow();
  }

  static String sha256(ObjectStore store, String key) {
    try (InputStream in = store.get(key)) {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[65536];
      for (int n; (n = in.read(buf)) > 0; ) {
        d.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static Connection connect(String controlUrl) throws SQLException {
    return DriverManager.getConnection(controlUrl);
  }

  static URI uri(String s) {
    return URI.create(s);
  }
}
