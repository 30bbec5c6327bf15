package dev.dbsnap.http;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import dev.dbsnap.config.ServerConfig.SourceConfig;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.ZipOutputStream;

/**
 * {@code GET /v1/sources/{source}/dump}: an export run inside the request and streamed into the
 * response as it is made (no job, nothing stored). One part of 5 MiB is the most it holds in memory
 * beyond the part being written.
 */
final class Dumps {
  private static final int MAX_TABLES = 10_000;
  private final Clock clock;
  private final AtomicLong counter = new AtomicLong();

  Dumps(Clock clock) {
    this.clock = clock;
  }

  void serve(Context ctx, SourceConfig config) throws IOException {
    Format format = ExportRequests.format(ctx.queryParam("format"), "format");
    Compression compression =
        ExportRequests.compression(ctx.queryParam("compression"), "compression");
    List<String> tables = tables(ctx.queryParam("tables"));
    Source source = config.toSource();
    TableSelection selection = new TableSelection(List.of(), tables, List.of());
    int selected = introspect(source, selection).tables().size();
    boolean zipped = format.objectPerTable() && selected != 1;
    Instant now = clock.instant();
    String name = config.name() + "-" + now.toString().replace(":", "").replaceAll("\\.\\d+", "");
    String exportId = "dump-" + now.toEpochMilli() + "-" + counter.incrementAndGet();

    ctx.status(200);
    ctx.contentType(zipped ? "application/zip" : Downloads.contentType(format, compression));
    String file = zipped ? name + ".zip" : name + "." + format.extension() + compression.suffix();
    ctx.header("Content-Disposition", "attachment; filename=\"" + file + "\"");
    OutputStream out = ctx.res().getOutputStream();
    ResponseStore.ZipStream zip =
        zipped
            ? new ResponseStore.ZipStream(
                new ZipOutputStream(out), now, compression != Compression.NONE)
            : null;
    ResponseStore store = new ResponseStore(out, exportId + "/", zip);
    ExportOptions options =
        ExportOptions.defaults(format, compression)
            .withPartSize(ExportOptions.MIN_PART_SIZE)
            .withConcurrency(1)
            .withSelection(selection);
    new Exporter(
            source, store, "", exportId, options, ExportListener.NONE, clock, store::disconnected)
        .run(null);
    store.finish();
  }

  private static List<String> tables(String param) {
    List<String> tables = new ArrayList<>();
    if (param == null) {
      return tables;
    }
    for (String t : param.split(",")) {
      if (!t.isBlank()) {
        tables.add(t.strip());
      }
    }
    if (tables.size() > MAX_TABLES) {
      throw new InvalidInputException(
          ErrorCode.INVALID_ARGUMENT,
          "tables",
          "tables names " + tables.size() + " tables, more than the " + MAX_TABLES + " allowed");
    }
    return tables;
  }

  /** The tables a dump will hold; an unknown name is a 422 naming the {@code tables} parameter. */
  private static DatabaseSchema introspect(Source source, TableSelection selection) {
    try (Connection connection = source.connect()) {
      return source.dialect().introspect(connection, selection);
    } catch (DbsnapException e) {
      if (e.code() == ErrorCode.UNKNOWN_TABLE) {
        throw new InvalidInputException(ErrorCode.UNKNOWN_TABLE, "tables", e.getMessage());
      }
      throw e;
    } catch (SQLException e) {
      throw dev.dbsnap.source.SourceException.from(
          e, ErrorCode.SOURCE_UNAVAILABLE, "cannot read the structure of " + source, null);
    }
  }
}
