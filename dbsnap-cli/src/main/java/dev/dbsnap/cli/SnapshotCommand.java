package dev.dbsnap.cli;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.config.Units;
import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import dev.dbsnap.s3.ObjectStores;
import dev.dbsnap.snapshot.Snapshot;
import dev.dbsnap.snapshot.SnapshotCache;
import dev.dbsnap.snapshot.SnapshotOptions;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.ObjectStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.sqlite.SQLiteDataSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "snapshot",
    mixinStandardHelpOptions = true,
    description = {
      "Get the snapshot of one table into a directory or S3 and print its key.",
      "A tracked table (see 'dbsnap track') has one object per version: built once,",
      "then reused until the table changes. An untracked table is built anew unless",
      "--max-age accepts an older object. Prints key, version (or untracked), outcome",
      "(built or hit), rows and size.",
      "",
      "The index of snapshots lives in a control database. Without --control-db it is",
      "an SQLite file: <dir>/" + SnapshotCommand.LOCAL_INDEX + " for a directory store, and",
      "~/.dbsnap/snapshots-<bucket>-<prefix>.db for s3://bucket/prefix. That file is",
      "per machine: another machine does not see its index and builds its own",
      "snapshots. Share one index with --control-db jdbc:postgresql://… so that",
      "several machines build each snapshot once.",
      "",
      "'dbsnap snapshot get' asks a dbsnap server instead."
    },
    subcommands = {SnapshotGet.class})
final class SnapshotCommand implements Callable<Integer> {
  static final String LOCAL_INDEX = ".dbsnap-snapshots.db";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin Common common;

  // Not required=true: picocli would then demand them of 'snapshot get' too.
  @Option(
      names = {"-s", "--source"},
      description = "JDBC URL (jdbc:postgresql://…, jdbc:sqlite:…) or SQLite file")
  String source;

  @Mixin Login login;

  @Option(names = "--table", paramLabel = "TABLE", description = "the table (name or schema.name)")
  String table;

  @Option(
      names = {"-t", "--to"},
      paramLabel = "DEST",
      description = "the store: a directory or s3://bucket/prefix")
  String to;

  @Option(
      names = {"-f", "--format"},
      defaultValue = "csv",
      description = "sql, csv, jsonl or json (default: ${DEFAULT-VALUE})")
  String format;

  @Option(
      names = {"-c", "--compression"},
      defaultValue = "none",
      description = "none, gzip or zstd (default: ${DEFAULT-VALUE})")
  String compression;

  @Option(
      names = "--max-age",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "for an untracked table, reuse a snapshot at most this old (30s, 10m, 24h); "
              + "default: build anew")
  Duration maxAge;

  @Option(
      names = "--name",
      description =
          "the source's name in keys (a-z, 0-9, _ and -); default: the SQLite file's base name or "
              + "the PostgreSQL database's name, lower-cased, other characters replaced by -")
  String name;

  @Option(
      names = "--control-db",
      paramLabel = "URL",
      description =
          "the index's database, jdbc:postgresql://… or jdbc:sqlite:…; default: an SQLite file "
              + "beside a directory store, or under ~/.dbsnap/ for S3")
  String controlDb;

  @Option(names = "--control-db-user", description = "user of the control database (PostgreSQL)")
  String controlDbUser;

  @Option(
      names = "--control-db-password-env",
      paramLabel = "VAR",
      description = "environment variable holding the control database's password")
  String controlDbPasswordEnv;

  @Override
  public Integer call() throws IOException {
    List<String> missing = new ArrayList<>();
    if (source == null) {
      missing.add("--source");
    }
    if (table == null) {
      missing.add("--table");
    }
    if (to == null) {
      missing.add("--to");
    }
    if (!missing.isEmpty()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "Missing required option"
              + (missing.size() == 1 ? "" : "s")
              + ": "
              + String.join(", ", missing)
              + " (or use 'dbsnap snapshot get' to ask a server)");
    }
    SnapshotOptions options =
        new SnapshotOptions(Format.parse(format), Compression.parse(compression), maxAge);
    Source src = login.source(source);
    String sourceName = name != null ? checkName(name) : defaultName(src);
    try (ObjectStore store = ObjectStores.open(to, common.s3())) {
      store.checkAccess();
      DataSource index = controlDb != null ? controlDb() : localIndex();
      try (SnapshotCache cache = SnapshotCache.builder().store(store).controlDb(index).build()) {
        Snapshot s = cache.get(sourceName, src, table, options);
        System.out.println(line(s));
      }
    }
    return 0;
  }

  /** {@code key version 1764… built (3,000 rows, 165.2 KiB)} */
  static String line(Snapshot s) {
    return String.format(
        Locale.ROOT,
        "%s  version %s  %s  (%,d rows, %s)",
        s.key(),
        s.version() == null ? "untracked" : s.version().toString(),
        s.outcome().name().toLowerCase(Locale.ROOT),
        s.rows(),
        Common.humanBytes(s.bytes()));
  }

  private DataSource controlDb() {
    if (controlDb.startsWith("jdbc:postgresql:")) {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setURL(controlDb);
      if (controlDbUser != null) {
        ds.setUser(controlDbUser);
      }
      if (controlDbPasswordEnv != null) {
        ds.setPassword(Login.password(controlDbPasswordEnv));
      }
      return ds;
    }
    if (controlDb.startsWith("jdbc:sqlite:")) {
      return sqlite(controlDb);
    }
    throw new DbsnapException(
        ErrorCode.INVALID_ARGUMENT,
        "--control-db '"
            + controlDb.replaceAll("(?i)(password=)[^&;]*", "$1***")
            + "' is neither jdbc:postgresql: nor jdbc:sqlite:");
  }

  private DataSource localIndex() throws IOException {
    Path file;
    if (to.startsWith("s3://")) {
      Path home = Path.of(System.getProperty("user.home"), ".dbsnap");
      Files.createDirectories(home);
      String endpoint =
          common.endpointUrl != null ? common.endpointUrl : System.getenv("AWS_ENDPOINT_URL");
      file = home.resolve(s3IndexName(to, endpoint));
    } else {
      file = Path.of(to).resolve(LOCAL_INDEX);
    }
    return sqlite("jdbc:sqlite:" + file.toAbsolutePath());
  }

  private static DataSource sqlite(String url) {
    SQLiteDataSource ds = new SQLiteDataSource();
    ds.setUrl(url);
    ds.setBusyTimeout(10_000); // two snapshot commands at once on one index wait, not fail
    return ds;
  }

  /**
   * The file name of the local index of an S3 store: {@code
   * snapshots-[endpoint-host-]bucket-prefix.db} with characters outside {@code [a-z0-9_.-]}
   * replaced by '-'.
   */
  static String s3IndexName(String location, String endpointUrl) {
    String where = location.substring("s3://".length()).replaceAll("/+$", "");
    if (endpointUrl != null && !endpointUrl.isBlank()) {
      String host;
      try {
        URI u = URI.create(endpointUrl.trim());
        host = u.getPort() < 0 ? u.getHost() : u.getHost() + "-" + u.getPort();
      } catch (IllegalArgumentException e) {
        host = null;
      }
      if (host != null) {
        where = host + "/" + where;
      }
    }
    return "snapshots-" + where.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-") + ".db";
  }

  /**
   * The source's name in keys when --name is not given: the SQLite file's base name or the
   * PostgreSQL database's name, lower-cased, other characters than {@code [a-z0-9_-]} replaced.
   */
  static String defaultName(Source src) {
    String raw;
    if (src.kind() == DialectKind.SQLITE) {
      String path = src.url().substring("jdbc:sqlite:".length());
      int query = path.indexOf('?');
      if (query >= 0) {
        path = path.substring(0, query);
      }
      raw = path.substring(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
      int dot = raw.lastIndexOf('.');
      if (dot > 0) {
        raw = raw.substring(0, dot);
      }
    } else {
      try (Connection c = src.connect()) {
        raw = c.getCatalog();
      } catch (SQLException e) {
        throw new DbsnapException(
            ErrorCode.SOURCE_UNAVAILABLE, "cannot read the database name of " + src, e);
      }
    }
    String name = raw == null ? "" : raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "-");
    if (name.isEmpty()) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT, "cannot name source " + src + " by itself: pass --name");
    }
    return name;
  }

  private static String checkName(String name) {
    if (!name.matches("[a-z0-9_-]+")) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT, "--name '" + name + "' may only hold a-z, 0-9, '_' and '-'");
    }
    return name;
  }

  /**
   * Reads {@code 500ms}, {@code 30s}, {@code 10m}, {@code 24h}, {@code 7d} or ISO-8601, as the
   * configuration does ({@link Units}).
   */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
      Duration d;
      try {
        d = Units.duration(text);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
      if (d.isNegative()) {
        throw new CommandLine.TypeConversionException("'" + text + "' is negative");
      }
      return d;
    }

    /** The shortest way to write {@code d} in the unit syntax: {@code 30s}, {@code 1500ms}. */
    static String format(Duration d) {
      return Units.format(d);
    }
  }
}
