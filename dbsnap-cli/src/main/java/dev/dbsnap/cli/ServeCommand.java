package dev.dbsnap.cli;

import dev.dbsnap.config.ConfigLoader;
import dev.dbsnap.config.ServerConfig;
import dev.dbsnap.server.DbsnapServer;
import dev.dbsnap.server.DemoDatabase;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the HTTP job service: exports started, watched, cancelled and downloaded over a REST API.",
      "Configured by a YAML file and/or DBSNAP_* environment variables; with neither, it starts on",
      "embedded defaults (SQLite control DB and exports under --data-dir, the demo database as source",
      "'demo', and an API token printed once)."
    })
final class ServeCommand implements Callable<Integer> {
  /**
   * Rows of the demo database made for the embedded defaults: small enough to create in seconds.
   */
  static final int DEMO_ROWS = 200_000;

  @Option(
      names = {"-c", "--config"},
      description = "YAML configuration file (see docs/dbsnap.example.yaml)")
  Path config;

  @Option(
      names = "--data-dir",
      defaultValue = "dbsnap-data",
      description =
          "where the embedded defaults keep the control DB, exports and demo DB (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--debug", description = "print stack traces on errors")
  boolean debug;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    ConfigLoader.Loaded loaded = ConfigLoader.load(config, System.getenv(), dataDir);
    ServerConfig cfg = loaded.config();
    ServerConfig.SourceConfig demo = cfg.sources().get("demo");
    Path demoFile = demo == null ? null : Path.of(demo.url().replaceFirst("^jdbc:sqlite:", ""));
    if (demoFile != null
        && demoFile.startsWith(dataDir.toAbsolutePath())
        && !Files.exists(demoFile)) {
      Files.createDirectories(demoFile.getParent());
      out.printf("creating the demo database %s (%,d rows)...%n", demoFile, DEMO_ROWS);
      DemoDatabase.create(demoFile, DEMO_ROWS);
    }
    DbsnapServer server = DbsnapServer.start(cfg, Clock.systemUTC());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "dbsnap-shutdown"));
    out.printf("dbsnap serve: listening on %s%n", server.baseUri());
    out.printf("  control database: %s%n", cfg.control().safeUrl());
    out.printf("  object store:     %s%n", cfg.store().location());
    out.printf(
        "  sources:          %s%n",
        String.join(", ", cfg.sources().keySet().stream().sorted().toList()));
    out.printf("  workers:          %d%n", cfg.workers().count());
    if (loaded.generatedToken() != null) {
      out.printf("%nAPI token (shown once, keep it): %s%n", loaded.generatedToken());
      out.printf(
          "try: curl -H 'Authorization: Bearer %s' %s/v1/sources%n",
          loaded.generatedToken(), server.baseUri());
    }
    out.flush();
    stopped.await();
    return 0;
  }
}
