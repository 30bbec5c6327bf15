package dev.dbsnap.server;

import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.http.ApiServer;
import dev.dbsnap.http.JobJson;
import dev.dbsnap.job.JobService;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.storage.ObjectStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.time.Clock;

/**
 * One running {@code dbsnap serve}: the object store, the job service (control database, workers,
 * webhooks, janitor), the snapshot cache and the HTTP API, started together and stopped in reverse
 * order. Closing it releases the leases of running jobs, so another process takes them over at
 * once.
 */
public final class DbsnapServer implements AutoCloseable {
  private final ObjectStore store;
  private final JobService jobs;
  private final ServerSnapshots snapshots;
  private final ApiServer api;
  private final URI baseUri;

  private DbsnapServer(
      ObjectStore store, JobService jobs, ServerSnapshots snapshots, ApiServer api, URI baseUri) {
    this.store = store;
    this.jobs = jobs;
    this.snapshots = snapshots;
    this.api = api;
    this.baseUri = baseUri;
  }

  /**
   * Starts everything {@code config} describes.
   *
   * @throws dev.dbsnap.DbsnapException STORE_UNAVAILABLE, SERVER_UNAVAILABLE or INVALID_ARGUMENT
   *     naming what cannot start; nothing is left running then
   */
  public static DbsnapServer start(ServerConfig config, Clock clock) {
    ObjectStore store = ObjectStores.open(config.store().location(), config.store().s3());
    JobService jobs = null;
    ServerSnapshots snapshots = null;
    try {
      store.checkAccess();
      PrometheusRegistry registry = new PrometheusRegistry();
      jobs = JobService.start(config, store, registry, clock, JobJson::event);
      snapshots = ServerSnapshots.start(config, store, jobs.controlDataSource(), registry, clock);
      ApiServer api = new ApiServer(config, jobs, snapshots.cache(), store, registry, clock);
      int port = api.start();
      String host = config.http().host();
      String shown = host.contains(":") ? "[" + host + "]" : host;
      if (host.equals("0.0.0.0") || host.equals("::")) {
        shown = "127.0.0.1";
      }
      return new DbsnapServer(
          store, jobs, snapshots, api, URI.create("http://" + shown + ":" + port));
    } catch (RuntimeException e) {
      if (snapshots != null) {
        snapshots.close();
      }
      if (jobs != null) {
        jobs.close();
      }
      store.close();
      throw e;
    }
  }

  /** Where the API answers, e.g. {@code http://127.0.0.1:8080}. */
  public URI baseUri() {
    return baseUri;
  }

  public JobService jobs() {
    return jobs;
  }

  @Override
  public void close() {
    try {
      api.stop();
    } finally {
      try {
        snapshots.close();
      } finally {
        try {
          jobs.close();
        } finally {
          store.close();
        }
      }
    }
  }
}
