package dev.dbsnap.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.SchemaOptions;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Reads job rows into {@link Job}s and writes requests, progress and manifests as JSON. */
final class JobRows {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JobRows() {}

  static final String COLUMNS =
      "id, source, state, request_json, created_at, started_at, updated_at, finished_at,"
          + " attempts, cancel_requested, progress_json, manifest_json, error_code, error_message, callback_url,"
          + " event_id, webhook_delivered";

  /** The request as stored: the normalised form whose hash identifies it for idempotency. */
  static String requestJson(ExportRequest r) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("source", r.source());
    n.put("format", r.format().name().toLowerCase(Locale.ROOT));
    n.put("compression", r.compression().name().toLowerCase(Locale.ROOT));
    r.tables().forEach(n.putArray("tables")::add);
    r.excludeTables().forEach(n.putArray("excludeTables")::add);
    n.put("partSize", r.partSize());
    n.put("callbackUrl", r.callbackUrl() == null ? null : r.callbackUrl().toString());
    if (r.jobs() != 1) { // absent for one job, so requests stored before --jobs keep their hash
      n.put("jobs", r.jobs());
    }
    // each absent at its default, so requests stored before these options keep their hash
    if (!r.schemaOptions().owners()) {
      n.put("noOwner", true);
    }
    if (!r.schemaOptions().privileges()) {
      n.put("noPrivileges", true);
    }
    if (r.schemaOptions().skipUnsupported()) {
      n.put("skipUnsupported", true);
    }
    return n.toString();
  }

  static ExportRequest parseRequest(String json) {
    JsonNode n = readTree(json);
    List<String> tables = new ArrayList<>();
    n.path("tables").forEach(t -> tables.add(t.asText()));
    List<String> exclude = new ArrayList<>();
    n.path("excludeTables").forEach(t -> exclude.add(t.asText()));
    JsonNode callback = n.path("callbackUrl");
    return new ExportRequest(
        n.path("source").asText(),
        Format.valueOf(n.path("format").asText().toUpperCase(Locale.ROOT)),
        Compression.valueOf(n.path("compression").asText().toUpperCase(Locale.ROOT)),
        tables,
        exclude,
        n.path("partSize").asLong(),
        callback.isTextual() ? URI.create(callback.asText()) : null,
        n.path("jobs").asInt(1),
        new SchemaOptions(
            !n.path("noOwner").asBoolean(false),
            !n.path("noPrivileges").asBoolean(false),
            n.path("skipUnsupported").asBoolean(false)));
  }

  static String hash(String requestJson) {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(requestJson.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String progressJson(Job.Progress p) {
    try {
      return MAPPER.writeValueAsString(p);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static Job.Progress parseProgress(String json) {
    if (json == null) {
      return Job.Progress.NONE;
    }
    try {
      return MAPPER.readValue(json, Job.Progress.class);
    } catch (JsonProcessingException e) {
      return Job.Progress
          .NONE; // progress is advisory; a row written by another version must not break reads
    }
  }

  private static JsonNode readTree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "unreadable JSON in the control database: " + e.getOriginalMessage(), e);
    }
  }

  static Optional<Job> find(Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + COLUMNS + " FROM jobs WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(map(c, rs));
      }
    }
  }

  /**
   * Maps the current row (selected with {@link #COLUMNS}); reads its webhook attempts when it has a
   * callback.
   */
  static Job map(Connection c, ResultSet rs) throws SQLException {
    String id = rs.getString("id");
    JobState state = JobState.fromWire(rs.getString("state"));
    String manifestJson = rs.getString("manifest_json");
    Manifest manifest =
        manifestJson == null
            ? null
            : Manifest.read(
                new ByteArrayInputStream(manifestJson.getBytes(StandardCharsets.UTF_8)));
    String errorCode = rs.getString("error_code");
    Job.Error error =
        errorCode == null ? null : new Job.Error(errorCode, rs.getString("error_message"));
    String callback = rs.getString("callback_url");
    Job.Webhook webhook = null;
    if (callback != null) {
      webhook =
          new Job.Webhook(
              callback,
              rs.getString("event_id"),
              rs.getInt("webhook_delivered") != 0,
              attempts(c, id));
    }
    return new Job(
        id,
        rs.getString("source"),
        state,
        parseRequest(rs.getString("request_json")),
        instant(rs, "created_at"),
        instant(rs, "started_at"),
        instant(rs, "updated_at"),
        instant(rs, "finished_at"),
        parseProgress(rs.getString("progress_json")),
        manifest,
        error,
        rs.getInt("attempts"),
        rs.getInt("cancel_requested") != 0,
        webhook);
  }

  private static List<Job.Attempt> attempts(Connection c, String id) throws SQLException {
    List<Job.Attempt> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT attempt, at, status, error FROM webhook_attempts WHERE job_id = ? ORDER BY attempt")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Job.Attempt(
                  rs.getInt(1),
                  Instant.ofEpochMilli(rs.getLong(2)),
                  rs.getInt(3),
                  rs.getString(4)));
        }
      }
    }
    return out;
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }
}
