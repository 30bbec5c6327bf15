package dev.dbsnap.cli;

import dev.dbsnap.Dbsnap;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.ExportRequest;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.server.DemoDatabase;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.verify.Verifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Create a sample SQLite database, export it in every format to a local directory,",
      "restore the SQL export into a new database, verify it, and print a summary."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--dir",
      defaultValue = "dbsnap-demo",
      description = "working directory (default: ${DEFAULT-VALUE})")
  Path dir;

  @Option(
      names = "--rows",
      defaultValue = "1000000",
      description = "rows over all tables (default: ${DEFAULT-VALUE})")
  int rows;

  @Option(names = "--debug", description = "print stack traces on errors")
  boolean debug;

  @Override
  public Integer call() throws Exception {
    if (rows < 20) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT, "--rows " + rows + " is below the 20 the demo needs");
    }
    Files.createDirectories(dir);
    Path db = dir.resolve("demo.db");
    long t0 = System.nanoTime();
    DemoDatabase.create(db, rows);
    System.out.printf(Locale.ROOT, "created %s with %,d rows in %.1f s%n", db, rows, seconds(t0));
    Source source = Source.parse(db.toString(), null, null);
    Path exports = dir.resolve("exports");
    deleteTree(exports);
    try (ObjectStore store = LocalObjectStore.open(exports)) {
      Dbsnap dbsnap = Dbsnap.builder().store(store).build();
      Object[][] runs = {
        {Format.SQL, Compression.NONE},
        {Format.CSV, Compression.GZIP},
        {Format.JSONL, Compression.ZSTD},
        {Format.JSON, Compression.NONE}
      };
      System.out.printf(
          "%-12s %12s %10s %8s  %s%n", "export", "rows", "size", "seconds", "objects");
      for (Object[] run : runs) {
        Format format = (Format) run[0];
        Compression compression = (Compression) run[1];
        String id = format.extension() + compression.suffix().replace('.', '-');
        long start = System.nanoTime();
        Manifest m =
            dbsnap
                .newExport(
                    ExportRequest.builder(source)
                        .format(format)
                        .compression(compression)
                        .exportId(id)
                        .build())
                .run();
        long total = m.tables().stream().mapToLong(Manifest.TableEntry::rows).sum();
        long bytes = m.objects().stream().mapToLong(Manifest.ObjectEntry::bytes).sum();
        System.out.printf(
            Locale.ROOT,
            "%-12s %,12d %10s %8.2f  %s%n",
            id,
            total,
            Common.humanBytes(bytes),
            seconds(start),
            String.join(" ", m.objects().stream().map(Manifest.ObjectEntry::key).toList()));
        Verifier.Report report = dbsnap.verify(id + "/");
        if (!report.ok()) {
          throw new DbsnapException(
              ErrorCode.VERIFY_FAILED,
              "export " + id + " does not match its manifest: " + report.lines());
        }
      }
      Path restored = dir.resolve("restored.db");
      Files.deleteIfExists(restored);
      long start = System.nanoTime();
      Source target = Source.parse("jdbc:sqlite:" + restored, null, null);
      dbsnap.restore("sql/", target, n -> {});
      System.out.printf(
          Locale.ROOT, "restored exports/sql into %s in %.2f s%n", restored, seconds(start));
      Map<String, TableDigest.Digest> expected = TableDigest.of(source);
      Map<String, TableDigest.Digest> actual =
          TableDigest.of(Source.parse(restored.toString(), null, null));
      for (var e : expected.entrySet()) {
        TableDigest.Digest got = actual.get(e.getKey());
        boolean same = e.getValue().equals(got);
        System.out.printf(
            Locale.ROOT,
            "  %-10s %,10d rows  %s%n",
            e.getKey(),
            e.getValue().rows(),
            same
                ? "identical after restore (sha256 " + e.getValue().sha256().substring(0, 16) + "…)"
                : "DIFFERS");
        if (!same) {
          throw new DbsnapException(
              ErrorCode.VERIFY_FAILED, "table " + e.getKey() + " differs after restore");
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "demo finished in %.1f s: 4 exports verified, restore identical. Files are in %s%n",
        seconds(t0),
        dir.toAbsolutePath());
    return 0;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static void deleteTree(Path p) throws java.io.IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var files = Files.walk(p)) {
      for (Path f : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.delete(f);
      }
    }
  }
}
