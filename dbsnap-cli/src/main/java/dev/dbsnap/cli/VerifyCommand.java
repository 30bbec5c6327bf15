package dev.dbsnap.cli;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.verify.Verifier;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description =
        "Re-read every object of an export and check its size and SHA-256 against the manifest.")
final class VerifyCommand implements Callable<Integer> {
  @Mixin Common common;

  @Option(
      names = {"-f", "--from"},
      required = true,
      description =
          "the export: a directory or s3://bucket/prefix/<export-id> holding manifest.json")
  String from;

  @Override
  public Integer call() {
    try (ObjectStore store = ObjectStores.open(from, common.s3())) {
      Verifier.Report report = Verifier.verify(store, "");
      for (String line : report.lines()) {
        System.out.println(line);
      }
      if (!report.ok()) {
        throw new DbsnapException(
            ErrorCode.VERIFY_FAILED,
            report.problems()
                + " of "
                + report.objects()
                + " objects in "
                + store.describe()
                + " do not match the manifest");
      }
      Manifest m = report.manifest();
      System.out.println(
          "dbsnap: export "
              + m.exportId()
              + " verified: "
              + m.objects().size()
              + " objects match the manifest");
      return 0;
    }
  }
}
