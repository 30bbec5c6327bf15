package dev.dbsnap.cli;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Checkpoint;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "dump",
    mixinStandardHelpOptions = true,
    description = {
      "Export a database (or some tables) to a directory or S3 as sql, csv, jsonl or json.",
      "The export goes to <to>/<export-id>/ with manifest.json written last. A dump killed by a crash",
      "continues with --resume from its last uploaded part; Ctrl-C cancels and removes what it wrote."
    })
final class DumpCommand implements Callable<Integer> {
  @Mixin Common common;

  @Option(
      names = {"-s", "--source"},
      required = true,
      description = "JDBC URL (jdbc:postgresql://…, jdbc:sqlite:…) or SQLite file")
  String source;

  @Option(names = "--user", description = "database user (PostgreSQL)")
  String user;

  @Option(
      names = "--password-env",
      paramLabel = "VAR",
      description = "environment variable holding the password (default: PGPASSWORD when set)")
  String passwordEnv;

  @Option(
      names = {"-t", "--to"},
      required = true,
      description = "destination: a directory or s3://bucket/prefix")
  String to;

  @Option(
      names = {"-f", "--format"},
      defaultValue = "sql",
      description = "sql, csv, jsonl or json (default: ${DEFAULT-VALUE})")
  String format;

  @Option(
      names = {"-c", "--compression"},
      defaultValue = "none",
      description = "none, gzip or zstd (default: ${DEFAULT-VALUE})")
  String compression;

  @Option(names = "--tables", split = ",", description = "only these tables (name or schema.name)")
  List<String> tables = new ArrayList<>();

  @Option(names = "--exclude-tables", split = ",", description = "leave these tables out")
  List<String> excludeTables = new ArrayList<>();

  @Option(
      names = "--schema",
      split = ",",
      description = "PostgreSQL schemas to export (default: all but the system ones)")
  List<String> schemas = new ArrayList<>();

  @Option(
      names = "--part-size",
      defaultValue = "8MiB",
      description = "multipart part size, at least 5MiB (default: ${DEFAULT-VALUE})")
  String partSize;

  @Option(
      names = "--concurrency",
      defaultValue = "4",
      description = "parts uploaded at once (default: ${DEFAULT-VALUE})")
  int concurrency;

  @Option(
      names = "--rows-per-insert",
      defaultValue = "100",
      description = "rows per INSERT in sql output (default: ${DEFAULT-VALUE})")
  int rowsPerInsert;

  @Option(
      names = "--export-id",
      description = "name of the export directory (default: the UTC start time)")
  String exportId;

  @Option(
      names = "--resume",
      description = "continue the unfinished export in the destination from its checkpoint")
  boolean resume;

  @Option(
      names = "--overwrite",
      description = "replace an export of the same id, or an unfinished one, in the destination")
  boolean overwrite;

  @Option(
      names = {"-q", "--quiet"},
      description = "no progress output")
  boolean quiet;

  @Override
  public Integer call() {
    PrintStream err = System.err;
    ExportOptions options =
        ExportOptions.defaults(Format.parse(format), Compression.parse(compression))
            .withPartSize(dev.dbsnap.ByteSize.parse(partSize))
            .withConcurrency(concurrency)
            .withRowsPerInsert(rowsPerInsert)
            .withSelection(new TableSelection(schemas, tables, excludeTables));
    Source src = Source.parse(source, user, password(passwordEnv));
    try (ObjectStore store = ObjectStores.open(to, common.s3())) {
      store.checkAccess();
      Checkpoint checkpoint = null;
      List<String> unfinished = unfinishedExports(store);
      if (resume) {
        if (exportId != null) {
          unfinished.removeIf(id -> !id.equals(exportId));
        }
        if (unfinished.isEmpty()) {
          throw new DbsnapException(
              ErrorCode.RESUME_FAILED,
              "there is no unfinished export"
                  + (exportId != null ? " '" + exportId + "'" : "")
                  + " to resume in "
                  + store.describe());
        }
        if (unfinished.size() > 1) {
          throw new DbsnapException(
              ErrorCode.RESUME_FAILED,
              "several unfinished exports are in "
                  + store.describe()
                  + " ("
                  + String.join(", ", unfinished)
                  + "): choose one with --export-id");
        }
        exportId = unfinished.get(0);
        checkpoint = Checkpoint.fromJson(read(store, exportId + "/" + Exporter.CHECKPOINT_FILE));
      } else {
        if (exportId == null) {
          exportId =
              DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                  .withZone(ZoneOffset.UTC)
                  .format(Clock.systemUTC().instant());
        }
        if (!unfinished.isEmpty() && !overwrite) {
          throw new DbsnapException(
              ErrorCode.DESTINATION_NOT_EMPTY,
              "an unfinished export ("
                  + String.join(", ", unfinished)
                  + ") is in "
                  + store.describe()
                  + ": continue it with --resume, or pass --overwrite to remove it");
        }
        List<String> stale = new ArrayList<>(overwrite ? unfinished : List.of());
        if (!store.list(exportId + "/").isEmpty()) {
          if (!overwrite) {
            throw new DbsnapException(
                ErrorCode.DESTINATION_NOT_EMPTY,
                "export '"
                    + exportId
                    + "' already exists in "
                    + store.describe()
                    + "; pass --overwrite to replace it or choose another --export-id");
          }
          stale.add(exportId);
        }
        for (String id : stale) {
          remove(store, id);
        }
      }
      ProgressReporter progress = new ProgressReporter(err, quiet);
      AtomicBoolean cancelled = new AtomicBoolean();
      java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
      Thread hook =
          new Thread(
              () -> {
                cancelled.set(true);
                try {
                  finished.await(
                      30, java.util.concurrent.TimeUnit.SECONDS); // let the export clean up
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      Runtime.getRuntime().addShutdownHook(hook);
      String checkpointKey = exportId + "/" + Exporter.CHECKPOINT_FILE;
      ExportListener listener =
          new ExportListener() {
            @Override
            public void checkpoint(Checkpoint c) {
              store.put(checkpointKey, c.toJson().getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public void progress(Progress p) {
              progress.update(p);
            }
          };
      if (!quiet) {
        err.println(
            "dbsnap: "
                + (checkpoint != null ? "resuming" : "exporting")
                + " "
                + src
                + " to "
                + store.describe()
                + "/"
                + exportId
                + " as "
                + options.format().extension()
                + options.compression().suffix());
      }
      Exporter exporter =
          new Exporter(
              src, store, "", exportId, options, listener, Clock.systemUTC(), cancelled::get);
      Manifest manifest;
      try {
        manifest = exporter.run(checkpoint);
      } finally {
        progress.finish();
        finished.countDown();
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // already exiting: the hook runs and returns at once
        }
      }
      printSummary(err, manifest, store.describe(), progress.elapsedSeconds());
      return 0;
    }
  }

  static String password(String env) {
    if (env != null) {
      String value = System.getenv(env);
      if (value == null) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT, "environment variable " + env + " is not set");
      }
      return value;
    }
    return System.getenv("PGPASSWORD");
  }

  private static List<String> unfinishedExports(ObjectStore store) {
    List<String> ids = new ArrayList<>();
    for (ObjectInfo info : store.list("")) {
      String key = info.key();
      if (key.endsWith("/" + Exporter.CHECKPOINT_FILE)
          && key.indexOf('/') == key.lastIndexOf('/')) {
        ids.add(key.substring(0, key.indexOf('/')));
      }
    }
    return ids;
  }

  private static void remove(ObjectStore store, String id) {
    for (var pending : store.pendingUploads(id + "/")) {
      store.resumeMultipart(pending.key(), pending.uploadId()).abort();
    }
    for (ObjectInfo info : store.list(id + "/")) {
      store.delete(info.key());
    }
  }

  static String read(ObjectStore store, String key) {
    try (InputStream in = store.get(key)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "cannot read " + key + ": " + e.getMessage(), e);
    }
  }

  private static void printSummary(PrintStream out, Manifest m, String where, double seconds) {
    long rows = m.tables().stream().mapToLong(Manifest.TableEntry::rows).sum();
    long bytes = m.objects().stream().mapToLong(Manifest.ObjectEntry::bytes).sum();
    out.printf(
        Locale.ROOT,
        "dbsnap: exported %d tables, %,d rows, %s in %d objects to %s/%s in %.1f s (%s/s)%s%n",
        m.tables().size(),
        rows,
        Common.humanBytes(bytes),
        m.objects().size(),
        where,
        m.exportId(),
        seconds,
        Common.humanBytes((long) (bytes / Math.max(seconds, 0.001))),
        m.consistent() ? "" : "; resumed, so tables may come from different snapshots");
  }
}
