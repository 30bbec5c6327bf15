package dev.dbsnap.cli;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Version;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code dbsnap} command line: maps every failure to one sentence and an exit code. */
@Command(
    name = "dbsnap",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description =
        "Streaming, resumable exports of PostgreSQL and SQLite databases into object storage.",
    subcommands = {
      DumpCommand.class,
      RestoreCommand.class,
      VerifyCommand.class,
      GcCommand.class,
      DemoCommand.class,
      ServeCommand.class,
      ExportCommand.class,
      TrackCommand.class,
      SnapshotCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (for tests and embedding). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          boolean debug = debug(parseResult);
          PrintWriter err = commandLine.getErr();
          if (debug) {
            e.printStackTrace(err);
          }
          if (e instanceof DbsnapException d) {
            err.println("dbsnap: " + d.getMessage());
            err.flush();
            return d.code().exitCode();
          }
          err.println(
              "dbsnap: internal error: " + e + (debug ? "" : " (run with --debug for details)"));
          err.flush();
          return ErrorCode.INTERNAL.exitCode();
        });
    return cli.execute(args);
  }

  /** Whether --debug was given to the command that ran, however deeply nested (track install). */
  private static boolean debug(CommandLine.ParseResult parseResult) {
    for (CommandLine.ParseResult p = parseResult.subcommand(); p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--debug")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"dbsnap " + Version.current()};
    }
  }
}
