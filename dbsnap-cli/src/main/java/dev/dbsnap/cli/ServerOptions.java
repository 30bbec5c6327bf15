package dev.dbsnap.cli;

import picocli.CommandLine.Option;

/** Options of every command that talks to a dbsnap server. The token is never printed. */
final class ServerOptions {
  @Option(
      names = "--server",
      paramLabel = "URL",
      defaultValue = "${env:DBSNAP_SERVER:-http://127.0.0.1:8080}",
      description = "the dbsnap server (default: DBSNAP_SERVER or http://127.0.0.1:8080)")
  String server;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      defaultValue = "${env:DBSNAP_TOKEN}",
      description =
          "API token (default: DBSNAP_TOKEN; prefer the variable, arguments are visible to other users)")
  String token;

  @Option(names = "--debug", description = "print stack traces on errors")
  boolean debug;

  ServerClient client() {
    return new ServerClient(server, token);
  }
}
