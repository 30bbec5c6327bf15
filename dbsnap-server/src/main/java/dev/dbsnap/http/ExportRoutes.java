package dev.dbsnap.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.config.ServerConfig.SourceConfig;
import dev.dbsnap.config.ServerConfig.TokenConfig;
import dev.dbsnap.job.ExportRequest;
import dev.dbsnap.job.Job;
import dev.dbsnap.job.JobPage;
import dev.dbsnap.job.JobService;
import dev.dbsnap.job.JobState;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The authenticated {@code /v1} routes. A source the token may not use is refused with 403; a job
 * of such a source answers 404 exactly as an unknown id does, so its existence does not leak.
 */
final class ExportRoutes {
  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");
  private static final int DEFAULT_LIMIT = 50;
  private static final int MAX_LIMIT = 200;
  private final ServerConfig config;
  private final JobService jobs;
  private final Downloads downloads;
  private final Dumps dumps;

  ExportRoutes(ServerConfig config, JobService jobs, Downloads downloads, Dumps dumps) {
    this.config = config;
    this.jobs = jobs;
    this.downloads = downloads;
    this.dumps = dumps;
  }

  void create(Context ctx, TokenConfig token) throws IOException {
    SourceConfig source = source(token, ctx.pathParam("source"));
    byte[] body = ExportRequests.readBody(ctx.req(), config.http().maxBodyBytes());
    ExportRequests.requireJson(ctx.header("Content-Type"), body);
    ExportRequest request = ExportRequests.parse(source.name(), body);
    String key = ExportRequests.idempotencyKey(ctx.header("Idempotency-Key"));
    Job job = jobs.submit(key, request);
    ctx.status(202);
    ctx.header("Location", "/v1/exports/" + job.id());
    ApiServer.json(ctx, JobJson.document(job));
  }

  void get(Context ctx, TokenConfig token) {
    ApiServer.json(ctx, JobJson.document(visibleJob(token, ctx.pathParam("id"))));
  }

  void list(Context ctx, TokenConfig token) {
    String source = blankToNull(ctx.queryParam("source"));
    if (source != null && !token.allows(source)) {
      throw new InvalidInputException(
          ErrorCode.FORBIDDEN,
          "source",
          "this token may not use source '" + ExportRequests.abbreviate(source) + "'");
    }
    JobState state = state(blankToNull(ctx.queryParam("status")));
    int limit = limit(blankToNull(ctx.queryParam("limit")));
    Set<String> visible = token.sources().contains("*") ? null : token.sources();
    JobPage page = jobs.list(visible, source, state, limit, blankToNull(ctx.queryParam("cursor")));
    ObjectNode doc = JobJson.MAPPER.createObjectNode();
    ArrayNode exports = doc.putArray("exports");
    for (Job job : page.jobs()) {
      if (token.allows(job.source())) {
        exports.add(JobJson.document(job));
      }
    }
    doc.put("nextCursor", page.nextCursor());
    ApiServer.json(ctx, doc);
  }

  void cancel(Context ctx, TokenConfig token) {
    Job job = visibleJob(token, ctx.pathParam("id"));
    Job after = jobs.cancel(job.id());
    ctx.status(202);
    ApiServer.json(ctx, JobJson.document(after));
  }

  void download(Context ctx, TokenConfig token) throws IOException {
    downloads.serve(ctx, visibleJob(token, ctx.pathParam("id")));
  }

  void dump(Context ctx, TokenConfig token) throws IOException {
    dumps.serve(ctx, source(token, ctx.pathParam("source")));
  }

  void sources(Context ctx, TokenConfig token) {
    ArrayNode list = JobJson.MAPPER.createArrayNode();
    config.sources().values().stream()
        .filter(s -> token.allows(s.name()))
        .sorted(Comparator.comparing(SourceConfig::name))
        .forEach(
            s ->
                list.addObject()
                    .put("name", s.name())
                    .put("kind", s.url().startsWith("jdbc:postgresql:") ? "postgresql" : "sqlite"));
    ApiServer.json(ctx, list);
  }

  private SourceConfig source(TokenConfig token, String name) {
    return source(config, token, name);
  }

  /**
   * The configured source {@code name} if {@code token} may use it.
   *
   * @throws InvalidInputException NOT_FOUND for an unknown source, FORBIDDEN for one the token may
   *     not use (field {@code source})
   */
  static SourceConfig source(ServerConfig config, TokenConfig token, String name) {
    SourceConfig source = config.sources().get(name);
    if (source == null) {
      throw new InvalidInputException(
          ErrorCode.NOT_FOUND,
          "source",
          "there is no source '" + ExportRequests.abbreviate(name) + "'");
    }
    if (!token.allows(name)) {
      throw new InvalidInputException(
          ErrorCode.FORBIDDEN, "source", "this token may not use source '" + name + "'");
    }
    return source;
  }

  private Job visibleJob(TokenConfig token, String id) {
    Optional<Job> job = JOB_ID.matcher(id).matches() ? jobs.find(id) : Optional.empty();
    if (job.isEmpty() || !token.allows(job.get().source())) {
      throw new InvalidInputException(
          ErrorCode.NOT_FOUND, "id", "there is no export '" + ExportRequests.abbreviate(id) + "'");
    }
    return job.get();
  }

  private static JobState state(String status) {
    if (status == null) {
      return null;
    }
    try {
      return JobState.fromWire(status);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "status",
          "unknown status '"
              + ExportRequests.abbreviate(status)
              + "': use queued, running, succeeded, failed, cancelled or expired");
    }
  }

  private static int limit(String limit) {
    if (limit == null) {
      return DEFAULT_LIMIT;
    }
    int n;
    try {
      n = Integer.parseInt(limit);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1 || n > MAX_LIMIT) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "limit",
          "limit '"
              + ExportRequests.abbreviate(limit)
              + "' must be a whole number from 1 to "
              + MAX_LIMIT);
    }
    return n;
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
