package dev.dbsnap.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.config.ServerConfig.SourceConfig;
import dev.dbsnap.config.ServerConfig.TokenConfig;
import dev.dbsnap.config.Units;
import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import dev.dbsnap.snapshot.Snapshot;
import dev.dbsnap.snapshot.SnapshotCache;
import dev.dbsnap.snapshot.SnapshotOptions;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.SchemaOptions;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.SourceException;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.TableSelection;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The snapshot routes: one table's current snapshot (built once, then served from the store), its
 * bytes, a source's snapshots, and the purge of a table's. Sources are checked against the token as
 * the export routes do; a table is {@code name} or {@code schema.name} of the source's tables.
 */
final class SnapshotRoutes {
  static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);
  static final Duration MAX_WAIT = Duration.ofMinutes(5);
  static final String IMMUTABLE = "public, max-age=31536000, immutable";
  private static final int RETRY_AFTER_SECONDS = 2;

  private final ServerConfig config;
  private final SnapshotCache cache;
  private final Downloads downloads;
  private final Clock clock;
  private final Duration presignTtl;

  private final SourcePools pools = new SourcePools();

  SnapshotRoutes(ServerConfig config, SnapshotCache cache, Downloads downloads, Clock clock) {
    this.config = config;
    this.cache = cache;
    this.downloads = downloads;
    this.clock = clock;
    this.presignTtl = config.snapshots().presignTtl();
  }

  /** Closes the source pools. */
  void close() {
    pools.close();
  }

  /**
   * What a snapshot request asks for, read from its query; {@code patience} is its {@code wait}.
   */
  record Query(Format format, Compression compression, Duration patience, Duration maxAge) {
    SnapshotOptions options() {
      return new SnapshotOptions(format, compression, maxAge);
    }

    /** The query that asks for the same snapshot, without the wait. */
    String snapshotQuery() {
      return "format="
          + format.extension()
          + "&compression="
          + compression.name().toLowerCase(Locale.ROOT);
    }
  }

  void get(Context ctx, TokenConfig token) {
    SourceConfig source = ExportRoutes.source(config, token, ctx.pathParam("source"));
    Query query = query(ctx);
    // the cache matches the name against the source's tables itself, introspecting only the one
    Optional<Snapshot> snapshot = snapshot(source, ctx.pathParam("table"), query);
    if (snapshot.isEmpty()) {
      notReady(ctx);
      return;
    }
    Snapshot s = snapshot.get();
    ObjectNode doc = describe(source.name(), s);
    doc.put("outcome", s.outcome().name().toLowerCase(Locale.ROOT));
    ObjectNode download = doc.putObject("download");
    Optional<URI> presigned = cache.presign(s, presignTtl);
    download.put(
        "url",
        presigned.isPresent()
            ? presigned.get().toString()
            : ctx.path() + "/download?" + query.snapshotQuery());
    download.put("expiresAt", clock.instant().plus(presignTtl).toString());
    ctx.header("Cache-Control", "no-store");
    ApiServer.json(ctx, doc);
  }

  void download(Context ctx, TokenConfig token) throws IOException {
    SourceConfig source = ExportRoutes.source(config, token, ctx.pathParam("source"));
    Query query = query(ctx);
    // the cache matches the name against the source's tables itself, introspecting only the one
    Optional<Snapshot> snapshot = snapshot(source, ctx.pathParam("table"), query);
    if (snapshot.isEmpty()) {
      notReady(ctx);
      return;
    }
    Snapshot s = snapshot.get();
    Optional<URI> presigned = cache.presign(s, presignTtl);
    if (presigned.isPresent()) {
      ctx.status(302);
      ctx.header("Location", presigned.get().toString());
      ctx.header("Cache-Control", "no-store");
      return;
    }
    String fileName = s.key().substring(s.key().lastIndexOf('/') + 1);
    downloads.object(
        ctx,
        s.key(),
        fileName,
        s.bytes(),
        s.sha256(),
        Downloads.contentType(query.format(), query.compression()),
        IMMUTABLE);
  }

  void purge(Context ctx, TokenConfig token) {
    SourceConfig source = ExportRoutes.source(config, token, ctx.pathParam("source"));
    String asked = ctx.pathParam("table");
    String table;
    try {
      table = table(source, asked);
    } catch (InvalidInputException e) {
      // a table dropped since its snapshots were made can still be purged by its name
      boolean indexed = cache.list(source.name()).stream().anyMatch(s -> s.table().equals(asked));
      if (!indexed) {
        throw e;
      }
      table = asked;
    }
    cache.purge(source.name(), table);
    ctx.status(204);
  }

  void list(Context ctx, TokenConfig token) {
    SourceConfig source = ExportRoutes.source(config, token, ctx.pathParam("source"));
    ObjectNode doc = JobJson.MAPPER.createObjectNode();
    ArrayNode list = doc.putArray("snapshots");
    for (Snapshot s : cache.list(source.name())) {
      ObjectNode item = describe(source.name(), s);
      item.remove("source");
      item.put("lastUsedAt", cache.lastUsed(s).toString());
      list.add(item);
    }
    ctx.header("Cache-Control", "no-store");
    ApiServer.json(ctx, doc);
  }

  /** The snapshot, waiting at most the query's wait; empty when it is not ready by then. */
  private Optional<Snapshot> snapshot(SourceConfig source, String table, Query query) {
    try {
      return Optional.of(
          cache.get(
              source.name(),
              pools.source(source),
              pools.probes(source),
              table,
              query.options(),
              query.patience()));
    } catch (DbsnapException e) {
      if (e.code() == ErrorCode.SNAPSHOT_NOT_READY) {
        return Optional.empty();
      }
      if (e.code() == ErrorCode.UNKNOWN_TABLE && !(e instanceof InvalidInputException)) {
        // dropped between the check and the build
        throw new InvalidInputException(ErrorCode.UNKNOWN_TABLE, "table", e.getMessage());
      }
      throw e;
    }
  }

  /** 202: the build goes on; asking the same URL again answers 200 once it is done, else 202. */
  private void notReady(Context ctx) {
    String query = ctx.queryString();
    ctx.status(202);
    ctx.header("Location", ctx.path() + (query == null || query.isEmpty() ? "" : "?" + query));
    ctx.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
    ctx.header("Cache-Control", "no-store");
    ApiServer.json(
        ctx,
        JobJson.MAPPER
            .createObjectNode()
            .put("status", "building")
            .put("retryAfter", RETRY_AFTER_SECONDS));
  }

  private static ObjectNode describe(String source, Snapshot s) {
    ObjectNode doc = JobJson.MAPPER.createObjectNode();
    doc.put("source", source);
    doc.put("table", s.table());
    if (s.version() == null) {
      doc.putNull("version");
    } else {
      doc.put("version", s.version());
    }
    doc.put("shape", s.shape());
    doc.put("format", s.format());
    doc.put("compression", s.compression());
    doc.put("key", s.key());
    doc.put("bytes", s.bytes());
    doc.put("rows", s.rows());
    doc.put("sha256", s.sha256());
    doc.put("builtAt", s.builtAt() == null ? null : s.builtAt().toString());
    return doc;
  }

  private static Query query(Context ctx) {
    Format format = ExportRequests.format(param(ctx, "format"), "format");
    Compression compression = ExportRequests.compression(param(ctx, "compression"), "compression");
    Duration wait = duration(param(ctx, "wait"), "wait");
    if (wait == null) {
      wait = DEFAULT_WAIT;
    } else if (wait.compareTo(MAX_WAIT) > 0) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "wait",
          "wait "
              + Units.format(wait)
              + " is longer than the "
              + Units.format(MAX_WAIT)
              + " allowed");
    }
    Duration maxAge = duration(param(ctx, "maxAge"), "maxAge");
    return new Query(format, compression, wait, maxAge);
  }

  private static String param(Context ctx, String name) {
    String value = ctx.queryParam(name);
    return value == null || value.isEmpty() ? null : value;
  }

  private static Duration duration(String text, String field) {
    if (text == null) {
      return null;
    }
    try {
      return Units.duration(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          field,
          field + " " + ExportRequests.abbreviate(e.getMessage()));
    }
  }

  /**
   * The source's table that {@code asked} names ({@code name} or {@code schema.name}), by the name
   * the snapshot cache files it under.
   *
   * @throws InvalidInputException UNKNOWN_TABLE (field {@code table}) when it names none
   */
  private static String table(SourceConfig config, String asked) {
    Source source = config.toSource();
    List<TableSchema> tables;
    try (Connection c = source.connect()) {
      DatabaseSchema schema =
          source.dialect().introspect(c, TableSelection.ALL, SchemaOptions.TABLES_ONLY);
      // a partitioned table is found, so that the snapshot cache says why it has no snapshot
      tables = new ArrayList<>(schema.tables());
      tables.addAll(schema.partitioned());
    } catch (SQLException e) {
      throw SourceException.from(
          e, ErrorCode.SOURCE_READ_FAILED, "cannot list the tables of " + config.name(), asked);
    }
    for (TableSchema t : tables) {
      if (t.displayName().equals(asked)
          || (t.schema() != null && (t.schema() + "." + t.name()).equals(asked))) {
        return t.displayName();
      }
    }
    throw new InvalidInputException(
        ErrorCode.UNKNOWN_TABLE,
        "table",
        "source '"
            + config.name()
            + "' has no table '"
            + ExportRequests.abbreviate(asked)
            + "'; name it as name or schema.name");
  }
}
