package dev.dbsnap.http;

import dev.dbsnap.Dbsnap;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.Export;
import dev.dbsnap.ExportRequest;
import dev.dbsnap.InvalidInputException;
import dev.dbsnap.config.ServerConfig.SourceConfig;
import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code GET /v1/sources/{source}/dump}: an export run inside the request and streamed into the
 * response as it is made ({@link Export#writeTo}: no job, nothing stored). Two 5 MiB parts are the
 * most it holds in memory.
 */
final class Dumps {
  private static final int MAX_TABLES = 10_000;
  private final Dbsnap dbsnap;
  private final AtomicLong counter = new AtomicLong();

  Dumps(Dbsnap dbsnap) {
    this.dbsnap = dbsnap;
  }

  void serve(Context ctx, SourceConfig config) throws IOException {
    Format format = ExportRequests.format(ctx.queryParam("format"), "format");
    Compression compression =
        ExportRequests.compression(ctx.queryParam("compression"), "compression");
    List<String> tables = tables(ctx.queryParam("tables"));
    Instant now = dbsnap.clock().instant();
    Export export =
        dbsnap.newExport(
            ExportRequest.builder(config.toSource())
                .format(format)
                .compression(compression)
                .tables(tables)
                .exportId("dump-" + now.toEpochMilli() + "-" + counter.incrementAndGet())
                .build());
    boolean zipped = objectNames(export).size() != 1;
    String name = config.name() + "-" + now.toString().replace(":", "").replaceAll("\\.\\d+", "");

    ctx.status(200);
    ctx.contentType(zipped ? "application/zip" : Downloads.contentType(format, compression));
    String file = zipped ? name + ".zip" : name + "." + format.extension() + compression.suffix();
    ctx.header("Content-Disposition", "attachment; filename=\"" + file + "\"");
    OutputStream out = ctx.res().getOutputStream();
    export.writeTo(out);
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

  /**
   * The objects a dump will hold; an unknown table is a 422 naming the {@code tables} parameter.
   */
  private static List<String> objectNames(Export export) {
    try {
      return export.objectNames();
    } catch (DbsnapException e) {
      if (e.code() == ErrorCode.UNKNOWN_TABLE) {
        throw new InvalidInputException(ErrorCode.UNKNOWN_TABLE, "tables", e.getMessage());
      }
      throw e;
    }
  }
}
