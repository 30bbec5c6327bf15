package dev.dbsnap.cli;

import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.track.ChangeTracking;
import dev.dbsnap.track.TrackedTable;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "track",
    mixinStandardHelpOptions = true,
    description = {
      "Install, report or remove change tracking in a source database.",
      "Each tracked table gets a version that changes with every committed change",
      "and nothing else. Installing and removing need DDL rights in the source."
    },
    subcommands = {
      TrackCommand.Install.class,
      TrackCommand.Status.class,
      TrackCommand.Remove.class
    })
final class TrackCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "choose what to do: install, status or remove");
  }

  /** --source and its credentials, --schema and --debug: what every track subcommand takes. */
  static final class SourceOptions {
    @Option(
        names = {"-s", "--source"},
        required = true,
        description = "JDBC URL (jdbc:postgresql://…, jdbc:sqlite:…) or SQLite file")
    String source;

    @Mixin Login login;

    @Option(
        names = "--schema",
        split = ",",
        description = "PostgreSQL schemas to look for tables in (default: all but the system ones)")
    List<String> schemas = new ArrayList<>();

    @Option(names = "--debug", description = "print stack traces on errors")
    boolean debug;

    Source open() {
      return login.source(source);
    }
  }

  /** Exactly one of --tables or --all. */
  static final class Tables {
    @Option(
        names = "--tables",
        split = ",",
        required = true,
        description = "these tables (name or schema.name)")
    List<String> tables;

    @Option(names = "--all", required = true, description = "every table")
    boolean all;

    TableSelection selection(List<String> schemas) {
      return new TableSelection(schemas, all ? List.of() : tables, List.of());
    }
  }

  @Command(
      name = "install",
      mixinStandardHelpOptions = true,
      description = {
        "Track the tables and print every tracked table's version.",
        "PostgreSQL gets a dbsnap schema and statement-level triggers, SQLite a",
        "dbsnap_versions table and row-level triggers. Tables already tracked keep",
        "their version."
      })
  static final class Install implements Callable<Integer> {
    @Mixin SourceOptions options;

    @ArgGroup(multiplicity = "1")
    Tables tables;

    @Override
    public Integer call() {
      Source src = options.open();
      List<TrackedTable> tracked =
          ChangeTracking.of(src).install(tables.selection(options.schemas));
      PrintStream out = System.out;
      out.println("tracking installed on " + count(tracked.size()) + " of " + src);
      print(out, tracked);
      return 0;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Print every tracked table and its version now.")
  static final class Status implements Callable<Integer> {
    @Mixin SourceOptions options;

    @Override
    public Integer call() {
      Source src = options.open();
      List<TrackedTable> tracked = ChangeTracking.of(src).status();
      if (tracked.isEmpty()) {
        System.out.println("no table of " + src + " is tracked");
      }
      print(System.out, tracked);
      return 0;
    }
  }

  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = {
        "Stop tracking the tables and print the ones still tracked.",
        "Once no table is tracked, everything dbsnap made in the source is gone."
      })
  static final class Remove implements Callable<Integer> {
    @Mixin SourceOptions options;

    @ArgGroup(multiplicity = "1")
    Tables tables;

    @Override
    public Integer call() {
      Source src = options.open();
      TableSelection selection = tables.selection(options.schemas);
      // --all without --schema is TableSelection.ALL, for which ChangeTracking drops everything
      // it made rather than only the tracking of the tables it finds
      List<TrackedTable> tracked = ChangeTracking.of(src).remove(selection);
      PrintStream out = System.out;
      if (tracked.isEmpty()) {
        out.println("tracking removed: no table of " + src + " is tracked");
      } else {
        String stay = tracked.size() == 1 ? " stays" : " stay";
        out.println(
            "tracking removed: " + count(tracked.size()) + " of " + src + stay + " tracked");
      }
      print(out, tracked);
      return 0;
    }
  }

  private static String count(int tables) {
    return tables == 1 ? "1 table" : tables + " tables";
  }

  /** One line per table, names padded to one width: {@code items v1764567890123456}. */
  static void print(PrintStream out, List<TrackedTable> tracked) {
    int width = tracked.stream().mapToInt(t -> t.table().length()).max().orElse(0);
    for (TrackedTable t : tracked) {
      out.println(
          t.problem() == null
              ? String.format(Locale.ROOT, "%-" + width + "s  v%d", t.table(), t.version())
              : String.format(Locale.ROOT, "%-" + width + "s  %s", t.table(), t.problem()));
    }
  }
}
