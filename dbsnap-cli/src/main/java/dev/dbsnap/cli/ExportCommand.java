package dev.dbsnap.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsnap.ByteSize;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.http.JobJson;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Run exports on a dbsnap server: start one, watch it, list, cancel and download them.",
      "The server and token come from --server/--token or DBSNAP_SERVER/DBSNAP_TOKEN."
    },
    subcommands = {
      ExportCommand.Start.class,
      ExportCommand.Status.class,
      ExportCommand.ListExports.class,
      ExportCommand.Cancel.class,
      ExportDownload.class
    })
final class ExportCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A subcommand that talks to the server; prints the stack trace of a failure with --debug. */
  abstract static class ServerCommand implements Callable<Integer> {
    @Mixin ServerOptions server;

    @Override
    public final Integer call() throws Exception {
      try {
        return execute(server.client(), System.out, System.err);
      } catch (RuntimeException e) {
        if (server.debug) {
          e.printStackTrace(System.err);
        }
        throw e;
      }
    }

    abstract int execute(ServerClient client, PrintStream out, PrintStream err) throws Exception;
  }

  /** Options of the commands that can wait for a job to finish. */
  static final class WaitOptions {
    @Option(
        names = {"-w", "--wait"},
        description =
            "wait until the export has finished, showing its progress; "
                + "exit 0 once it succeeded, with its error's exit code if it failed")
    boolean wait;

    @Option(
        names = "--interval",
        paramLabel = "SECONDS",
        defaultValue = "1",
        description = "how often to ask the server while waiting (default: ${DEFAULT-VALUE})")
    double interval;

    @Option(
        names = {"-q", "--quiet"},
        description = "no progress output")
    boolean quiet;

    int await(ServerClient client, String id, PrintStream err) {
      if (!(interval >= 0.01 && interval <= 3600)) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT,
            "--interval " + interval + " is not between 0.01 and 3600 seconds");
      }
      JsonNode done =
          new JobWatcher(client, err, quiet, Duration.ofMillis((long) (interval * 1000))).await(id);
      return JobWatcher.outcome(done, err, quiet);
    }
  }

  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      description = {
        "Start an export of a source the server is configured with and print its id.",
        "Format and compression default to csv and gzip; other options left out take the server's defaults."
      })
  static final class Start extends ServerCommand {
    @Parameters(index = "0", paramLabel = "SOURCE", description = "the source's name on the server")
    String source;

    @Option(
        names = {"-f", "--format"},
        defaultValue = "csv",
        description = "sql, csv, jsonl or json (default: ${DEFAULT-VALUE})")
    String format;

    @Option(
        names = {"-c", "--compression"},
        defaultValue = "gzip",
        description = "none, gzip or zstd (default: ${DEFAULT-VALUE})")
    String compression;

    @Option(
        names = "--tables",
        split = ",",
        description = "only these tables (name or schema.name)")
    List<String> tables = new ArrayList<>();

    @Option(names = "--exclude-tables", split = ",", description = "leave these tables out")
    List<String> excludeTables = new ArrayList<>();

    @Option(
        names = "--part-size",
        description = "multipart part size, at least 5MiB (default: the server's, 8MiB)")
    String partSize;

    @Option(
        names = "--callback-url",
        paramLabel = "URL",
        description = "URL the server POSTs a signed event to when the export ends")
    String callbackUrl;

    @Option(
        names = "--idempotency-key",
        paramLabel = "KEY",
        description =
            "starting again with the same key and options returns the same export instead of a new one")
    String idempotencyKey;

    @Mixin WaitOptions waiting;

    @Override
    int execute(ServerClient client, PrintStream out, PrintStream err) {
      ObjectNode body = JobJson.MAPPER.createObjectNode();
      body.put("format", format.toLowerCase(Locale.ROOT));
      body.put("compression", compression.toLowerCase(Locale.ROOT));
      if (!tables.isEmpty()) {
        tables.forEach(body.putArray("tables")::add);
      }
      if (!excludeTables.isEmpty()) {
        excludeTables.forEach(body.putArray("excludeTables")::add);
      }
      if (partSize != null) {
        body.put("partSize", ByteSize.parse(partSize));
      }
      if (callbackUrl != null) {
        body.put("callbackUrl", callbackUrl);
      }
      Map<String, String> headers = new LinkedHashMap<>();
      if (idempotencyKey != null) {
        headers.put("Idempotency-Key", idempotencyKey);
      }
      JsonNode doc =
          client.post("/v1/sources/" + ServerClient.segment(source) + "/exports", body, headers);
      String id = doc.path("id").asText();
      out.println(id);
      out.flush();
      return waiting.wait ? waiting.await(client, id, err) : 0;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show an export's state, progress, objects or error.")
  static final class Status extends ServerCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "the export's id")
    String id;

    @Option(names = "--json", description = "print the server's status document as it is")
    boolean json;

    @Mixin WaitOptions waiting;

    @Override
    int execute(ServerClient client, PrintStream out, PrintStream err) {
      JsonNode doc =
          waiting.wait
              ? new JobWatcher(
                      client,
                      err,
                      waiting.quiet,
                      Duration.ofMillis((long) (waiting.interval * 1000)))
                  .await(id)
              : client.get("/v1/exports/" + ServerClient.segment(id));
      if (json) {
        out.println(doc.toPrettyString());
      } else {
        JobText.status(out, doc);
      }
      out.flush();
      return waiting.wait ? JobWatcher.outcome(doc, err, true) : 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List exports, newest first.")
  static final class ListExports extends ServerCommand {
    @Option(names = "--source", description = "only exports of this source")
    String source;

    @Option(
        names = "--status",
        description =
            "only exports in this state: queued, running, succeeded, failed, cancelled, expired")
    String status;

    @Option(names = "--limit", description = "exports per page (default: the server's)")
    Integer limit;

    @Option(names = "--cursor", description = "continue a listing where the last page ended")
    String cursor;

    @Option(names = "--all", description = "follow the pages to the end")
    boolean all;

    @Option(
        names = "--json",
        description = "print the exports as JSON, one status document per line")
    boolean json;

    @Override
    int execute(ServerClient client, PrintStream out, PrintStream err) {
      List<JsonNode> exports = new ArrayList<>();
      String next = cursor;
      do {
        StringBuilder q = new StringBuilder();
        param(q, "source", source);
        param(q, "status", status);
        param(q, "limit", limit == null ? null : limit.toString());
        param(q, "cursor", next);
        JsonNode page = client.get("/v1/exports" + q);
        page.path("exports").forEach(exports::add);
        next = page.path("nextCursor").isTextual() ? page.path("nextCursor").asText() : null;
      } while (all && next != null);
      if (json) {
        exports.forEach(e -> out.println(e.toString()));
      } else {
        JobText.table(out, exports);
      }
      out.flush();
      if (next != null) {
        err.println(
            "dbsnap: there are more exports: add --cursor " + next + ", or --all for every page");
      }
      return 0;
    }

    private static void param(StringBuilder q, String name, String value) {
      if (value != null) {
        q.append(q.length() == 0 ? '?' : '&')
            .append(name)
            .append('=')
            .append(ServerClient.query(value));
      }
    }
  }

  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      description =
          "Cancel a queued or running export: its partial objects and uploads are removed.")
  static final class Cancel extends ServerCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "the export's id")
    String id;

    @Override
    int execute(ServerClient client, PrintStream out, PrintStream err) {
      JsonNode doc = client.delete("/v1/exports/" + ServerClient.segment(id));
      String state = doc.path("status").asText();
      out.println(
          id
              + " "
              + (state.equals("cancelled") ? "cancelled" : "cancel requested (" + state + ")"));
      out.flush();
      return 0;
    }
  }
}
