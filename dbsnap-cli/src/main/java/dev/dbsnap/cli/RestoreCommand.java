package dev.dbsnap.cli;

import dev.dbsnap.export.Manifest;
import dev.dbsnap.restore.Restorer;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.ObjectStore;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "restore",
    mixinStandardHelpOptions = true,
    description = "Load an export (any format) into an empty database of the same kind.")
final class RestoreCommand implements Callable<Integer> {
  @Mixin Common common;

  @Option(
      names = {"-f", "--from"},
      required = true,
      description =
          "the export: a directory or s3://bucket/prefix/<export-id> holding manifest.json")
  String from;

  @Option(
      names = "--target",
      required = true,
      description = "JDBC URL of an empty database, or an SQLite file to create")
  String target;

  @Mixin Login login;

  @Option(
      names = {"-q", "--quiet"},
      description = "no progress output")
  boolean quiet;

  @Override
  public Integer call() {
    String url = target.startsWith("jdbc:") ? target : "jdbc:sqlite:" + target;
    Source targetDb = login.source(url);
    ProgressReporter progress = new ProgressReporter(System.err, quiet);
    try (ObjectStore store = ObjectStores.open(from, common.s3())) {
      Manifest m;
      try {
        m = new Restorer(store, "", targetDb, progress::rowsRestored).run();
      } finally {
        progress.finish();
      }
      long rows = m.tables().stream().mapToLong(Manifest.TableEntry::rows).sum();
      System.err.printf(
          Locale.ROOT,
          "dbsnap: restored %d tables, %,d rows from %s into %s in %.1f s%n",
          m.tables().size(),
          rows,
          store.describe(),
          targetDb,
          progress.elapsedSeconds());
      return 0;
    }
  }
}
