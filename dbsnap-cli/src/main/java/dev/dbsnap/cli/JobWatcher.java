package dev.dbsnap.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.ExportListener;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Polls a job on the server until it reaches a terminal state, showing its progress as {@code
 * dbsnap dump} does, and turns the final state into an exit code.
 */
final class JobWatcher {
  static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled", "expired");

  /** How long the server may stay unreachable while waiting: a redeploy should not end the wait. */
  private static final Duration UNREACHABLE_GRACE = Duration.ofSeconds(60);

  private final ServerClient client;
  private final PrintStream err;
  private final boolean quiet;
  private final Duration interval;

  JobWatcher(ServerClient client, PrintStream err, boolean quiet, Duration interval) {
    this.client = client;
    this.err = err;
    this.quiet = quiet;
    this.interval = interval;
  }

  /** The job's status document once it is terminal. */
  JsonNode await(String id) {
    String path = "/v1/exports/" + ServerClient.segment(id);
    ProgressReporter reporter = new ProgressReporter(err, quiet);
    String lastState = null;
    String lastTable = null;
    boolean rateStarted = false;
    long unreachableSince = 0;
    try {
      while (true) {
        JsonNode doc;
        try {
          doc = client.get(path);
          unreachableSince = 0;
        } catch (DbsnapException e) {
          if (e.code() != ErrorCode.SERVER_UNAVAILABLE) {
            throw e;
          }
          long now = System.nanoTime();
          if (unreachableSince == 0) {
            unreachableSince = now;
            if (!quiet) {
              err.println(
                  "dbsnap: "
                      + e.getMessage()
                      + "; trying again for "
                      + UNREACHABLE_GRACE.toSeconds()
                      + " s");
            }
          } else if (now - unreachableSince > UNREACHABLE_GRACE.toNanos()) {
            throw e;
          }
          sleep(id);
          continue;
        }
        String state = doc.path("status").asText();
        if (TERMINAL.contains(state)) {
          return doc;
        }
        JsonNode p = doc.path("progress");
        if (!state.equals(lastState) && !quiet && !"running".equals(state)) {
          err.println("dbsnap: export " + id + " is " + state);
        }
        if ("running".equals(state)) {
          if (!rateStarted) {
            reporter.measureRateFrom(p.path("bytes").asLong());
            rateStarted = true;
          }
          String table =
              p.path("currentTable").isTextual() ? p.path("currentTable").asText() : "(starting)";
          reporter.update(
              new ExportListener.Progress(
                  table,
                  p.path("tablesDone").asInt(),
                  p.path("tablesTotal").asInt(),
                  p.path("rows").asLong(),
                  p.path("bytes").asLong(),
                  p.path("rowEstimate").asLong(-1)),
              !Objects.equals(table, lastTable) || !state.equals(lastState));
          lastTable = table;
        }
        lastState = state;
        sleep(id);
      }
    } finally {
      reporter.finish();
    }
  }

  private void sleep(String id) {
    try {
      Thread.sleep(interval.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbsnapException(
          ErrorCode.CANCELLED,
          "stopped waiting for export "
              + id
              + "; it goes on on the server (dbsnap export cancel "
              + id
              + " stops it)");
    }
  }

  /**
   * 0 for a succeeded job, after a summary on {@code err}.
   *
   * @throws DbsnapException with the job's error code when it failed, CANCELLED when it was
   *     cancelled, NOT_FOUND when it has expired
   */
  static int outcome(JsonNode doc, PrintStream err, boolean quiet) {
    String id = doc.path("id").asText();
    String state = doc.path("status").asText();
    switch (state) {
      case "succeeded" -> {
        if (!quiet) {
          long bytes = 0;
          for (JsonNode o : doc.path("objects")) {
            bytes += o.path("bytes").asLong();
          }
          err.printf(
              Locale.ROOT,
              "dbsnap: export %s succeeded: %d tables, %,d rows, %s in %d objects; "
                  + "download with: dbsnap export download %s%n",
              id,
              doc.path("tables").size(),
              doc.path("progress").path("rows").asLong(),
              Common.humanBytes(bytes),
              doc.path("objects").size(),
              id);
        }
        return 0;
      }
      case "failed" -> {
        JsonNode error = doc.path("error");
        throw new DbsnapException(
            errorCode(error.path("code").asText()),
            "export " + id + " failed: " + error.path("message").asText("no reason given"));
      }
      case "cancelled" ->
          throw new DbsnapException(ErrorCode.CANCELLED, "export " + id + " was cancelled");
      case "expired" ->
          throw new DbsnapException(
              ErrorCode.NOT_FOUND, "export " + id + " has expired: its objects were deleted");
      default -> throw new IllegalStateException("export " + id + " is not finished: " + state);
    }
  }

  /** The error code a job's error names ({@code source_unavailable}); INTERNAL when unknown. */
  static ErrorCode errorCode(String wire) {
    try {
      return ErrorCode.valueOf(wire.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      return ErrorCode.INTERNAL;
    }
  }
}
