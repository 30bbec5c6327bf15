package dev.dbsnap.job;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.SchemaOptions;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.SourceException;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.TableSelection;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a request against its source and queues it, once per idempotency key. Thread-safe; safe
 * across processes sharing a control database (the unique index on (source, key) decides).
 */
final class Submitter {
  private static final Logger log = LoggerFactory.getLogger(Submitter.class);
  private static final int MAX_KEY_LENGTH = 255;

  private final ServerConfig config;
  private final ControlDb db;
  private final Clock clock;
  private final BiConsumer<URI, String> callbackCheck;

  /**
   * @param callbackCheck refuses a callback URL (throws InvalidInputException naming the field)
   */
  Submitter(ServerConfig config, ControlDb db, Clock clock, BiConsumer<URI, String> callbackCheck) {
    this.config = config;
    this.db = db;
    this.clock = clock;
    this.callbackCheck = callbackCheck;
  }

  Job submit(String idempotencyKey, ExportRequest request) {
    ServerConfig.SourceConfig sourceConfig = config.sources().get(request.source());
    if (sourceConfig == null) {
      throw new DbsnapException(ErrorCode.NOT_FOUND, "unknown source '" + request.source() + "'");
    }
    if (idempotencyKey != null
        && (idempotencyKey.isEmpty() || idempotencyKey.length() > MAX_KEY_LENGTH)) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "Idempotency-Key",
          "the Idempotency-Key must hold 1 to " + MAX_KEY_LENGTH + " characters");
    }
    ExportRequest normal = normalise(request);
    if (normal.callbackUrl() != null) {
      if (config.webhooks().secret() == null) {
        throw new InvalidInputException(
            ErrorCode.INVALID_ARGUMENT,
            "callbackUrl",
            "this server has no webhook secret configured, so it cannot sign callbacks; leave callbackUrl out");
      }
      callbackCheck.accept(normal.callbackUrl(), "callbackUrl");
    }
    String json = JobRows.requestJson(normal);
    String hash = JobRows.hash(json);
    if (idempotencyKey != null) {
      Optional<Job> existing = byKey(request.source(), idempotencyKey, hash);
      if (existing.isPresent()) {
        return existing.get();
      }
    }
    checkTables(sourceConfig.toSource(), normal);
    Instant now = clock.instant();
    String id = "exp_" + Ulid.next(now);
    try {
      db.transaction(
          c -> {
            insert(c, id, normal, json, hash, idempotencyKey, now);
            return null;
          });
    } catch (DbsnapException e) {
      if (idempotencyKey != null
          && e.getCause() instanceof SQLException s
          && ControlDb.uniqueViolation(s)) {
        // another request with the same key won the race: answer with its job
        return byKey(request.source(), idempotencyKey, hash).orElseThrow(() -> e);
      }
      throw e;
    }
    log.info("job {} queued: {} of source {}", id, normal.format().extension(), normal.source());
    return db.read(c -> JobRows.find(c, id)).orElseThrow();
  }

  /** The request with the default part size filled in, after checking the size. */
  private static ExportRequest normalise(ExportRequest r) {
    long partSize =
        r.partSize() == 0
            ? ExportOptions.DEFAULT_PART_SIZE
            : ExportOptions.checkPartSize(r.partSize());
    return new ExportRequest(
        r.source(),
        r.format(),
        r.compression(),
        r.tables(),
        r.excludeTables(),
        partSize,
        r.callbackUrl(),
        r.jobs(),
        r.schemaOptions());
  }

  private Optional<Job> byKey(String source, String key, String hash) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, request_hash FROM jobs WHERE source = ? AND idempotency_key = ?")) {
            ps.setString(1, source);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              if (!rs.getString(2).equals(hash)) {
                throw new InvalidInputException(
                    ErrorCode.INVALID_ARGUMENT,
                    "Idempotency-Key",
                    "Idempotency-Key '"
                        + key
                        + "' was already used for job "
                        + rs.getString(1)
                        + " with another request; use a new key");
              }
              return JobRows.find(c, rs.getString(1));
            }
          }
        });
  }

  /** Every named table must be one the source has; names are compared, never put into SQL. */
  private static void checkTables(Source source, ExportRequest r) {
    if (r.tables().isEmpty() && r.excludeTables().isEmpty()) {
      try (Connection c = source.connect()) {
        return; // reachable is all that matters when no table is named
      } catch (SQLException e) {
        throw sourceUnavailable(source, e);
      }
    }
    Set<String> names = new HashSet<>();
    try (Connection c = source.connect()) {
      DatabaseSchema schema =
          source.dialect().introspect(c, TableSelection.ALL, SchemaOptions.TABLES_ONLY);
      // A partitioned table is named like any other; its partitions are tables of the schema too,
      // and the export refuses one named alone (INVALID_ARGUMENT naming the table to select).
      List<TableSchema> all = new ArrayList<>(schema.tables());
      all.addAll(schema.partitioned());
      for (TableSchema t : all) {
        names.add(t.displayName());
        if (t.schema() != null) {
          names.add(t.schema() + "." + t.name());
        }
      }
    } catch (SQLException e) {
      throw sourceUnavailable(source, e);
    }
    check(names, r.tables(), "tables");
    check(names, r.excludeTables(), "excludeTables");
  }

  private static DbsnapException sourceUnavailable(Source source, SQLException e) {
    return SourceException.from(
        e, ErrorCode.SOURCE_UNAVAILABLE, "cannot read the tables of " + source.safeUrl(), null);
  }

  private static void check(Set<String> names, List<String> given, String field) {
    for (int i = 0; i < given.size(); i++) {
      if (!names.contains(given.get(i))) {
        throw new InvalidInputException(
            ErrorCode.UNKNOWN_TABLE,
            field + "[" + i + "]",
            "table '" + given.get(i) + "' does not exist in the source");
      }
    }
  }

  private static void insert(
      Connection c, String id, ExportRequest r, String json, String hash, String key, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO jobs (id, source, state, request_json,"
                + " idempotency_key, request_hash, created_at, updated_at, run_after, callback_url)"
                + " VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)")) {
      long t = now.toEpochMilli();
      ps.setString(1, id);
      ps.setString(2, r.source());
      ps.setString(3, json);
      ps.setString(4, key);
      ps.setString(5, hash);
      ps.setLong(6, t);
      ps.setLong(7, t);
      ps.setLong(8, t);
      ps.setString(9, r.callbackUrl() == null ? null : r.callbackUrl().toString());
      ps.executeUpdate();
    }
  }
}
