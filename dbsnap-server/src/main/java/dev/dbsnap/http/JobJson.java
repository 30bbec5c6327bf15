package dev.dbsnap.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.job.ExportRequest;
import dev.dbsnap.job.Job;
import dev.dbsnap.job.JobState;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;

/**
 * A job's status document, with the links of its API resources: the one JSON shape the API returns
 * and webhook events carry. Pure function of a {@link Job}; thread-safe.
 */
public final class JobJson {
  /** Shared mapper for API documents: no indentation, ISO times written by hand. */
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private JobJson() {}

  /** The status document of {@code job}, with links relative to the server root. */
  public static ObjectNode document(Job job) {
    ObjectNode doc = MAPPER.createObjectNode();
    String self = "/v1/exports/" + job.id();
    doc.put("id", job.id());
    doc.put("source", job.source());
    doc.put("status", job.state().wire());
    ObjectNode request = doc.putObject("request");
    ExportRequest r = job.request();
    request.put("format", r.format().name().toLowerCase(Locale.ROOT));
    request.put("compression", r.compression().name().toLowerCase(Locale.ROOT));
    r.tables().forEach(request.putArray("tables")::add);
    r.excludeTables().forEach(request.putArray("excludeTables")::add);
    request.put("partSize", r.partSize());
    request.put("callbackUrl", r.callbackUrl() == null ? null : r.callbackUrl().toString());
    request.put("jobs", r.jobs());
    request.put("noOwner", !r.schemaOptions().owners());
    request.put("noPrivileges", !r.schemaOptions().privileges());
    request.put("skipUnsupported", r.schemaOptions().skipUnsupported());
    time(doc, "createdAt", job.createdAt());
    time(doc, "startedAt", job.startedAt());
    time(doc, "updatedAt", job.updatedAt());
    time(doc, "finishedAt", job.finishedAt());
    doc.put("attempts", job.attempts());
    doc.put("cancelRequested", job.cancelRequested());
    Job.Progress p = job.progress() == null ? Job.Progress.NONE : job.progress();
    ObjectNode progress = doc.putObject("progress");
    progress.put("tablesDone", p.tablesDone());
    progress.put("tablesTotal", p.tablesTotal());
    progress.put("currentTable", p.currentTable());
    progress.put("rows", p.rows());
    progress.put("bytes", p.bytes());
    progress.put("parts", p.parts());
    progress.put("rowEstimate", p.rowEstimate());
    progress.put("rowsPerSecond", Math.round(p.rowsPerSecond() * 10) / 10.0);
    Manifest m = job.manifest();
    if (job.state() == JobState.SUCCEEDED && m != null) {
      doc.put("consistent", m.consistent());
      ArrayNode objects = doc.putArray("objects");
      for (Manifest.ObjectEntry o : m.objects()) {
        ObjectNode n = objects.addObject();
        n.put("key", o.key());
        n.put("bytes", o.bytes());
        n.put("sha256", o.sha256());
        n.put(
            "download",
            self + "/download?object=" + URLEncoder.encode(o.key(), StandardCharsets.UTF_8));
      }
      ArrayNode tables = doc.putArray("tables");
      for (Manifest.TableEntry t : m.tables()) {
        tables
            .addObject()
            .put("name", t.name())
            .put("object", t.object())
            .put("rows", t.rows())
            .put("consistent", t.consistent());
      }
    }
    if (job.error() != null) {
      doc.putObject("error").put("code", job.error().code()).put("message", job.error().message());
    }
    if (job.webhook() != null) {
      Job.Webhook w = job.webhook();
      ObjectNode hook = doc.putObject("webhook");
      hook.put("url", w.url());
      hook.put("eventId", w.eventId());
      hook.put("delivered", w.delivered());
      ArrayNode attempts = hook.putArray("attempts");
      for (Job.Attempt a : w.attempts()) {
        ObjectNode n = attempts.addObject();
        n.put("attempt", a.attempt());
        time(n, "at", a.at());
        n.put("status", a.status());
        n.put("error", a.error());
      }
    }
    ObjectNode links = doc.putObject("links");
    links.put("self", self);
    links.put("download", self + "/download");
    links.put("cancel", self);
    return doc;
  }

  /**
   * The webhook event for a job in a terminal state, as sent: {@code {type, timestamp, data}} with
   * the status document as data. Fits {@link dev.dbsnap.job.WebhookEvents}.
   */
  public static byte[] event(Job job, Instant at) {
    ObjectNode event = MAPPER.createObjectNode();
    event.put("type", "export." + job.state().wire());
    event.put("timestamp", at.toString());
    event.set("data", document(job));
    try {
      return MAPPER.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void time(ObjectNode node, String field, Instant at) {
    node.put(field, at == null ? null : at.toString());
  }
}
