package dev.dbsnap.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.Dbsnap;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.config.ServerConfig.TokenConfig;
import dev.dbsnap.job.JobService;
import dev.dbsnap.snapshot.SnapshotCache;
import dev.dbsnap.storage.ObjectStore;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of {@code dbsnap serve}: the {@code /v1} routes over a {@link JobService} and a
 * {@link SnapshotCache}, health, readiness, metrics and the OpenAPI document. Every answer that is
 * not a success is an RFC 9457 problem document; nothing a client sends produces a 500.
 * Thread-safe; start and stop once.
 */
public final class ApiServer {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
  private static final String ANSWERED = "dbsnap.answered";
  private static final String STARTED = "dbsnap.started";

  private final ServerConfig config;
  private final JobService jobs;
  private final ObjectStore store;
  private final Tokens tokens;
  private final HttpMetrics metrics;
  private final ExportRoutes exports;
  private final SnapshotRoutes snapshots;
  private final byte[] openApi;
  private final Javalin app;

  /** A handler given the caller's token (null on public routes). */
  private interface RouteHandler {
    void handle(Context ctx, TokenConfig token) throws Exception;
  }

  /**
   * Prepares the server; nothing listens until {@link #start()}.
   *
   * @param snapshots the snapshot cache the {@code /snapshot} routes answer from
   * @param registry where the HTTP metrics are registered and which {@code /metrics} serves
   * @throws IllegalStateException when the OpenAPI resource is missing or unreadable
   */
  public ApiServer(
      ServerConfig config,
      JobService jobs,
      SnapshotCache snapshots,
      ObjectStore store,
      PrometheusRegistry registry,
      Clock clock) {
    this.config = config;
    this.jobs = jobs;
    this.store = store;
    this.tokens = new Tokens(config.tokens());
    this.metrics = new HttpMetrics(registry);
    Downloads downloads = new Downloads(store, jobs, config.store().presignTtl());
    this.exports =
        new ExportRoutes(
            config, jobs, downloads, new Dumps(Dbsnap.builder().store(store).clock(clock).build()));
    this.snapshots = new SnapshotRoutes(config, snapshots, downloads, clock);
    this.openApi = OpenApi.json();
    this.app =
        Javalin.create(
            cfg -> {
              cfg.showJavalinBanner = false;
              cfg.startupWatcherEnabled = false;
              cfg.http.disableCompression();
              cfg.jetty.modifyServer(server -> server.setErrorHandler(new JettyProblems()));
            });
    for (Route route : Route.values()) {
      RouteHandler handler = handler(route);
      app.addHttpHandler(route.method, route.path, ctx -> answer(ctx, route, handler));
    }
    app.before(
        ctx -> {
          ctx.attribute(STARTED, System.nanoTime());
          if (ctx.method() == HandlerType.HEAD) {
            // Javalin would answer 200 to any HEAD whose path has a GET route, unauthenticated and
            // unchecked; a HEAD of a download or dump would also have to run it whole.
            unmatched(ctx);
            ctx.skipRemainingHandlers();
          }
        });
    app.error(404, this::unmatched);
    app.exception(Exception.class, (e, ctx) -> Problems.answer(ctx, e));
  }

  private RouteHandler handler(Route route) {
    return switch (route) {
      case CREATE_EXPORT -> exports::create;
      case LIST_EXPORTS -> exports::list;
      case GET_EXPORT -> exports::get;
      case CANCEL_EXPORT -> exports::cancel;
      case DOWNLOAD -> exports::download;
      case DUMP -> exports::dump;
      case LIST_SOURCES -> exports::sources;
      case GET_SNAPSHOT -> snapshots::get;
      case DOWNLOAD_SNAPSHOT -> snapshots::download;
      case PURGE_SNAPSHOTS -> snapshots::purge;
      case LIST_SNAPSHOTS -> snapshots::list;
      case OPENAPI -> (ctx, token) -> ctx.contentType("application/json").result(openApi);
      case HEALTH ->
          (ctx, token) -> json(ctx, JobJson.MAPPER.createObjectNode().put("status", "ok"));
      case READY -> (ctx, token) -> ready(ctx);
      case METRICS ->
          (ctx, token) -> ctx.contentType(metrics.contentType()).result(metrics.scrape());
    };
  }

  /**
   * Binds {@code config.http().host()} and {@code port()} and starts answering.
   *
   * @return the port listened on (the one picked when the configured port is 0)
   * @throws DbsnapException SERVER_UNAVAILABLE when the address cannot be bound
   */
  public int start() {
    try {
      app.start(config.http().host(), config.http().port());
    } catch (RuntimeException e) {
      throw new DbsnapException(
          ErrorCode.SERVER_UNAVAILABLE,
          "cannot listen on "
              + config.http().host()
              + ":"
              + config.http().port()
              + ": "
              + e.getMessage(),
          e);
    }
    return app.port();
  }

  /** Stops listening; requests in flight are ended. */
  public void stop() {
    app.stop();
    snapshots.close();
  }

  private void answer(Context ctx, Route route, RouteHandler handler) {
    long start = System.nanoTime();
    try {
      TokenConfig token =
          route.authenticated ? tokens.authenticate(ctx.header("Authorization")) : null;
      handler.handle(ctx, token);
    } catch (Exception e) {
      Problems.answer(ctx, e);
    } finally {
      ctx.attribute(ANSWERED, true);
      metrics.observe(
          route.method.name(), route.path, ctx.res().getStatus(), System.nanoTime() - start);
    }
  }

  /** A path no route has (404) or a route asked with another method (405, with Allow). */
  private void unmatched(Context ctx) {
    if (ctx.attribute(ANSWERED) != null) {
      return;
    }
    ctx.attribute(ANSWERED, true);
    List<String> allowed = Route.methodsFor(ctx.path());
    String method = ctx.req().getMethod();
    if (allowed.isEmpty()) {
      Problems.write(
          ctx,
          new Problems.Problem(
              404,
              "not-found",
              "there is no route " + method + " " + ExportRequests.abbreviate(ctx.path()),
              null));
    } else {
      ctx.header("Allow", String.join(", ", allowed));
      Problems.write(
          ctx,
          new Problems.Problem(
              405,
              "method-not-allowed",
              ExportRequests.abbreviate(ctx.path())
                  + " answers "
                  + String.join(", ", allowed)
                  + ", not "
                  + ExportRequests.abbreviate(method),
              null));
    }
    Long started = ctx.attribute(STARTED);
    metrics.observe(
        knownMethod(method),
        "unmatched",
        ctx.res().getStatus(),
        started == null ? 0 : System.nanoTime() - started);
  }

  private static String knownMethod(String method) {
    return switch (method) {
      case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT" -> method;
      default -> "other";
    };
  }

  private void ready(Context ctx) {
    List<String> down = new ArrayList<>();
    try {
      if (!jobs.controlDbReachable()) {
        down.add("the control database is not reachable");
      }
    } catch (RuntimeException e) {
      LOG.warn("readiness: control database check failed: {}", e.getMessage());
      down.add("the control database is not reachable");
    }
    try {
      store.checkAccess();
    } catch (RuntimeException e) {
      LOG.warn("readiness: object store check failed: {}", e.getMessage());
      down.add("the object store is not reachable");
    }
    if (down.isEmpty()) {
      json(ctx, JobJson.MAPPER.createObjectNode().put("status", "ready"));
    } else {
      Problems.write(ctx, new Problems.Problem(503, "not-ready", String.join("; ", down), null));
    }
  }

  static void json(Context ctx, JsonNode node) {
    try {
      ctx.contentType("application/json").result(JobJson.MAPPER.writeValueAsBytes(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree could not be written", e);
    }
  }
}
