package dev.dbsnap.cli;

import dev.dbsnap.ByteSize;
import dev.dbsnap.Dbsnap;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.Export;
import dev.dbsnap.ExportRequest;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.ObjectStore;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
      "continues with --resume from its last uploaded part; Ctrl-C cancels and removes what it wrote.",
      "A dropped source connection or an unavailable store is retried from the last checkpoint."
    })
final class DumpCommand implements Callable<Integer> {
  @Mixin Common common;

  @Option(
      names = {"-s", "--source"},
      required = true,
      description = "JDBC URL (jdbc:postgresql://…, jdbc:sqlite:…) or SQLite file")
  String source;

  @Mixin Login login;

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
      names = "--jobs",
      defaultValue = "1",
      description =
          "tables exported at once, 1 to 16, each by its own connection in one snapshot;"
              + " above 1 the sql format is written as pre-data.sql, one script per table and"
              + " post-data.sql (default: ${DEFAULT-VALUE})")
  int jobs;

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
      description =
          "replace an export of the same id, remove unfinished exports and what crashed ones left"
              + " (open uploads, temporary files) in the destination")
  boolean overwrite;

  @Option(
      names = "--retries",
      defaultValue = "5",
      description =
          "retries of a transient failure in a row without a new uploaded part; an attempt that"
              + " uploaded something starts the count again (default: ${DEFAULT-VALUE})")
  int retries;

  @Option(
      names = "--retry-wait",
      defaultValue = "1s",
      converter = SnapshotCommand.DurationConverter.class,
      description = "wait before the first retry, doubled for each further one (default: 1s)")
  java.time.Duration retryWait;

  @Option(
      names = "--no-owner",
      description = "leave out who owns each object (as pg_dump --no-owner)")
  boolean noOwner;

  @Option(names = "--no-privileges", description = "leave out grants (as pg_dump --no-privileges)")
  boolean noPrivileges;

  @Option(
      names = "--skip-unsupported",
      description =
          "leave out objects dbsnap cannot carry, listing them in the manifest and the summary,"
              + " instead of failing on the first")
  boolean skipUnsupported;

  @Option(
      names = {"-q", "--quiet"},
      description = "no progress output")
  boolean quiet;

  @Override
  public Integer call() {
    PrintStream err = System.err;
    Source src = login.source(source);
    try (ObjectStore store = ObjectStores.open(to, common.s3())) {
      store.checkAccess();
      Dbsnap dbsnap = Dbsnap.builder().store(store).build();
      List<String> unfinished = dbsnap.unfinishedExports("");
      if (resume) {
        if (exportId != null) {
          unfinished.removeIf(id -> !id.equals(exportId));
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
        if (unfinished.size() == 1) {
          exportId = unfinished.get(0);
        } else if (exportId == null) {
          throw new DbsnapException(
              ErrorCode.RESUME_FAILED,
              "there is no unfinished export to resume in " + store.describe());
        }
      } else {
        if (!unfinished.isEmpty() && !overwrite) {
          throw new DbsnapException(
              ErrorCode.DESTINATION_NOT_EMPTY,
              "an unfinished export ("
                  + String.join(", ", unfinished)
                  + ") is in "
                  + store.describe()
                  + ": continue it with --resume, or pass --overwrite to remove it");
        }
        for (String id : unfinished) {
          dbsnap.discard(id + "/");
        }
        if (overwrite) {
          // and what crashed exports left that nothing can resume: open uploads, temporary files
          for (String line : dbsnap.collectGarbage("", dbsnap.clock().instant()).removed()) {
            if (!quiet) {
              err.println("dbsnap: " + line);
            }
          }
        }
        if (exportId != null && !overwrite && !store.list(exportId + "/").isEmpty()) {
          throw new DbsnapException(
              ErrorCode.DESTINATION_NOT_EMPTY,
              "export '"
                  + exportId
                  + "' already exists in "
                  + store.describe()
                  + "; pass --overwrite to replace it or choose another --export-id");
        }
      }
      ExportRequest request =
          ExportRequest.builder(src)
              .format(Format.parse(format))
              .compression(Compression.parse(compression))
              .partSize(ByteSize.parse(partSize))
              .concurrency(concurrency)
              .jobs(jobs)
              .rowsPerInsert(rowsPerInsert)
              .schemas(schemas)
              .tables(tables)
              .excludeTables(excludeTables)
              .exportId(exportId)
              .overwrite(overwrite)
              .retries(retries)
              .retryWait(retryWait)
              .owners(!noOwner)
              .privileges(!noPrivileges)
              .skipUnsupported(skipUnsupported)
              .build();
      ProgressReporter progress = new ProgressReporter(err, quiet);
      AtomicBoolean cancelled = new AtomicBoolean();
      CountDownLatch finished = new CountDownLatch(1);
      Thread hook =
          new Thread(
              () -> {
                cancelled.set(true);
                try {
                  finished.await(30, TimeUnit.SECONDS); // let the export clean up
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      Runtime.getRuntime().addShutdownHook(hook);
      Export export =
          dbsnap.newExport(
              request,
              new ExportListener() {
                @Override
                public void progress(Progress p) {
                  progress.update(p);
                }

                @Override
                public boolean cancelRequested() {
                  return cancelled.get();
                }

                @Override
                public void retrying(Retry r) {
                  progress.finish();
                  err.println(
                      "dbsnap: "
                          + r.cause().getMessage()
                          + "; retrying from the checkpoint in "
                          + SnapshotCommand.DurationConverter.format(r.delay())
                          + (r.progressed() ? "" : " (no progress in the last attempt)"));
                }
              });
      if (resume && store.head(export.exportDir() + Manifest.FILE).isPresent()) {
        err.println(
            "dbsnap: export "
                + export.exportId()
                + " is already complete (its manifest was written before the stop);"
                + " removing its checkpoint");
      } else if (!quiet) {
        err.println(
            "dbsnap: "
                + (resume ? "resuming" : "exporting")
                + " "
                + src
                + " to "
                + store.describe()
                + "/"
                + export.exportId()
                + " as "
                + request.options().format().extension()
                + request.options().compression().suffix());
      }
      Manifest manifest;
      try {
        manifest = resume ? export.resume() : export.run();
      } catch (DbsnapException e) {
        if (e.isTransient()
            && !cancelled.get()
            && store.head(export.exportDir() + Export.CHECKPOINT_FILE).isPresent()) {
          throw new DbsnapException(
              e.code(), e.getMessage() + ": run the same command with --resume to continue", e);
        }
        throw e;
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
    List<DatabaseSchema.Skipped> skipped = m.schema() == null ? List.of() : m.schema().skipped();
    if (!skipped.isEmpty()) {
      out.printf(
          Locale.ROOT,
          "dbsnap: left out %d object%s dbsnap cannot carry (--skip-unsupported; listed in the"
              + " manifest):%n",
          skipped.size(),
          skipped.size() == 1 ? "" : "s");
      for (DatabaseSchema.Skipped s : skipped) {
        out.println("dbsnap:   " + s);
      }
    }
  }
}
