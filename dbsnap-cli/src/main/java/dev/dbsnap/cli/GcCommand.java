package dev.dbsnap.cli;

import dev.dbsnap.Dbsnap;
import dev.dbsnap.Garbage;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.storage.ObjectStore;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "gc",
    mixinStandardHelpOptions = true,
    description = {
      "Remove what crashed or failed exports left in a destination: abort multipart uploads that no",
      "checkpoint continues, and delete leftover temporary files, when older than --older-than.",
      "Unfinished exports (a checkpoint beside them) are kept for dump --resume and listed."
    })
final class GcCommand implements Callable<Integer> {
  @Mixin Common common;

  @Option(
      names = {"-t", "--to"},
      required = true,
      description = "the destination dumps were written to: a directory or s3://bucket/prefix")
  String to;

  @Option(
      names = "--older-than",
      defaultValue = "1h",
      converter = SnapshotCommand.DurationConverter.class,
      description =
          "only what was started before this long ago, so running exports keep their uploads"
              + " (default: ${DEFAULT-VALUE})")
  Duration olderThan;

  @Override
  public Integer call() {
    try (ObjectStore store = ObjectStores.open(to, common.s3())) {
      Dbsnap dbsnap = Dbsnap.builder().store(store).build();
      Garbage garbage = dbsnap.collectGarbage("", dbsnap.clock().instant().minus(olderThan));
      for (String line : garbage.removed()) {
        System.out.println("removed: " + line);
      }
      for (String line : garbage.kept()) {
        System.out.println("kept: " + line);
      }
      System.out.println(
          "dbsnap: removed "
              + garbage.removed().size()
              + (garbage.removed().size() == 1 ? " leftover" : " leftovers")
              + " from "
              + store.describe()
              + (garbage.kept().isEmpty() ? "" : "; kept " + garbage.kept().size()));
      return 0;
    }
  }
}
