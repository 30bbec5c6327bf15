package example;

import dev.dbsnap.Dbsnap;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ExportRequest;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import java.nio.file.Path;

/** Exports every table of an SQLite file as gzip'd CSV into OUT_DIR/<export-id>/. */
public final class ExportEveryTable {
  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: run SQLITE_FILE OUT_DIR");
      System.exit(2);
    }
    try (ObjectStore store = LocalObjectStore.open(Path.of(args[1]))) {
      Dbsnap dbsnap = Dbsnap.builder().store(store).build();
      ExportRequest request =
          ExportRequest.builder(Source.parse(args[0], null, null))
              .format(Format.CSV)
              .compression(Compression.GZIP)
              .build();

      Manifest manifest = dbsnap.newExport(request).run();

      for (Manifest.ObjectEntry object : manifest.objects()) {
        System.out.printf(
            "%s/%s %d bytes sha256:%s%n",
            manifest.exportId(), object.key(), object.bytes(), object.sha256());
      }
    } catch (DbsnapException e) {
      System.err.println("export failed (" + e.code() + "): " + e.getMessage());
      System.exit(1);
    }
  }
}
