package dev.dbsnap.bench;

import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.ObjectStore;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;

/**
 * What {@code dbsnap dump} does, without the CLI: one export at default settings, in its own JVM so
 * that the benchmark counts JVM start-up like a real dump.
 *
 * <p>Usage: {@code BenchDump <jdbc-url-or-sqlite-path> <dir> <format> <compression> <export-id>
 * [t1,t2]}
 */
public final class BenchDump {
  private BenchDump() {}

  public static void main(String[] args) {
    if (args.length < 5) {
      System.err.println(
          "usage: BenchDump <source> <dir> <format> <compression> <export-id> [tables]");
      System.exit(2);
    }
    TableSelection selection =
        args.length > 5
            ? new TableSelection(List.of(), Arrays.asList(args[5].split(",")), List.of())
            : TableSelection.ALL;
    ExportOptions options =
        ExportOptions.defaults(Format.parse(args[2]), Compression.parse(args[3]))
            .withSelection(selection);
    try (ObjectStore store = ObjectStores.open(args[1], S3Settings.DEFAULTS)) {
      Manifest manifest =
          new Exporter(
                  Source.parse(args[0], null, null),
                  store,
                  "",
                  args[4],
                  options,
                  ExportListener.NONE,
                  Clock.systemUTC(),
                  () -> false)
              .run(null);
      if (manifest == null) {
        System.exit(1);
      }
    }
  }
}
