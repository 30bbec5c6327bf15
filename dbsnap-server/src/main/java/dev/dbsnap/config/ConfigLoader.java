package dev.dbsnap.config;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.dbsnap.ByteSize;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.config.ServerConfig.Control;
import dev.dbsnap.config.ServerConfig.Http;
import dev.dbsnap.config.ServerConfig.Retention;
import dev.dbsnap.config.ServerConfig.Snapshots;
import dev.dbsnap.config.ServerConfig.SourceConfig;
import dev.dbsnap.config.ServerConfig.Store;
import dev.dbsnap.config.ServerConfig.TokenConfig;
import dev.dbsnap.config.ServerConfig.Webhooks;
import dev.dbsnap.config.ServerConfig.Workers;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.webhook.HostPattern;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds the {@link ServerConfig} of {@code dbsnap serve} from an optional YAML file, environment
 * variables over it, and defaults for the rest (docs/configuration.md lists every setting).
 * Stateless and thread-safe.
 */
public final class ConfigLoader {
  private static final Pattern SOURCE_NAME = Pattern.compile("[a-z0-9_-]+");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern URL_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://.*");
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * What {@link #load} built.
   *
   * @param config the validated configuration
   * @param generatedToken a token made up because none was configured, to be shown to the user once
   *     (the configuration holds only its hash); null when tokens were configured
   * @param embeddedDefaults true when neither a file nor any server variable was given
   */
  public record Loaded(ServerConfig config, String generatedToken, boolean embeddedDefaults) {
    public Loaded {
      Objects.requireNonNull(config, "config");
    }

    @Override
    public String toString() {
      return "Loaded[config="
          + config
          + ", generatedToken="
          + (generatedToken == null ? null : "***")
          + ", embeddedDefaults="
          + embeddedDefaults
          + "]";
    }
  }

  private ConfigLoader() {}

  /**
   * Loads the configuration: the file's settings, replaced by those of environment variables,
   * completed by defaults. With no source configured the source {@code demo} is {@code
   * <dataDir>/demo.db}, which the caller creates; with no token configured one is generated and
   * returned in {@link Loaded#generatedToken()}. Passwords and the webhook secret are read from the
   * environment variables the file names.
   *
   * @param file the YAML file, or null for none
   * @param env the environment variables (usually {@code System.getenv()})
   * @param dataDir where the default control database, store and demo source live
   * @throws DbsnapException INVALID_ARGUMENT {@code "<file or variable>: <setting>: <problem>"} for
   *     an unreadable file, an unknown or invalid setting, or an environment variable that a
   *     setting names but that is not set
   */
  public static Loaded load(Path file, Map<String, String> env, Path dataDir) {
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(dataDir, "dataDir");
    Settings s = new Settings();
    Map<String, String> sourceOrigins = new LinkedHashMap<>();
    List<String> tokenPaths = List.of();
    String fileOrigin = file == null ? Settings.DEFAULT_ORIGIN : file.toString();
    if (file != null) {
      ConfigFile f = ConfigFile.read(file, s);
      f.sourceNames.forEach(name -> sourceOrigins.put(name, fileOrigin));
      tokenPaths = f.tokens;
    }
    boolean embedded = file == null && !EnvSettings.anySet(env);
    EnvSettings.apply(env, s);
    for (EnvSettings.EnvSource es : EnvSettings.sources(env, List.copyOf(sourceOrigins.keySet()))) {
      String path = "sources." + es.name();
      putVar(s, env, path + ".url", es.urlVar());
      putVar(s, env, path + ".user", es.userVar());
      putVar(s, env, path + ".password", es.passwordVar());
      sourceOrigins.putIfAbsent(es.name(), es.urlVar() != null ? es.urlVar() : es.userVar());
    }

    Map<String, SourceConfig> sources = sources(s, env, sourceOrigins, dataDir);
    List<TokenConfig> tokens = new ArrayList<>();
    for (String path : tokenPaths) {
      add(tokens, token(s, fileOrigin, path, sources.keySet()), fileOrigin, path);
    }
    if (EnvSettings.set(env, EnvSettings.API_TOKEN)) {
      add(
          tokens,
          new TokenConfig("env", hashToken(env.get(EnvSettings.API_TOKEN)), Set.of("*")),
          EnvSettings.API_TOKEN,
          "tokens");
    }
    String generated = null;
    if (tokens.isEmpty()) {
      byte[] random = new byte[32];
      RANDOM.nextBytes(random);
      generated = "dbs_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
      tokens.add(new TokenConfig("generated", hashToken(generated), Set.of("*")));
    }
    Store store = store(s, dataDir);
    ServerConfig config =
        new ServerConfig(
            http(s),
            control(s, env, dataDir),
            store,
            sources,
            tokens,
            workers(s),
            webhooks(s, env),
            retention(s),
            snapshots(s, store));
    return new Loaded(config, generated, embedded);
  }

  /** The lower-case hex SHA-256 of the token's UTF-8 bytes: what {@code tokens[].sha256} holds. */
  public static String hashToken(String token) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  private static void putVar(Settings s, Map<String, String> env, String path, String var) {
    if (var != null) {
      s.put(path, TextNode.valueOf(env.get(var)), var);
    }
  }

  private static Http http(Settings s) {
    String host = s.text("http.host", "127.0.0.1");
    int port = s.integer("http.port", 8080, 0, 65535);
    long maxBody = s.size("http.maxBodyBytes", 64 * 1024, 1024, 1L << 30);
    return new Http(host, port, (int) maxBody);
  }

  private static Control control(Settings s, Map<String, String> env, Path dataDir) {
    String url =
        s.text(
            "control.url",
            "jdbc:sqlite:" + dataDir.resolve("control.db").toAbsolutePath().normalize());
    if (!url.startsWith("jdbc:sqlite:") && !url.startsWith("jdbc:postgresql:")) {
      throw s.error(
          "control.url",
          "'" + redact(url) + "' is neither jdbc:sqlite:<file> nor jdbc:postgresql://...");
    }
    if (url.equals("jdbc:sqlite:")) {
      throw s.error("control.url", "jdbc:sqlite: needs a file path");
    }
    refusePasswordInUrl(s, "control.url", url);
    // workers, heartbeats, the webhook dispatcher and status requests share the pool; with too few
    // connections a status request waits behind writers (bench/serve measured p99 27 ms with 4, 17
    // ms with 12)
    int poolSize = s.integer("control.poolSize", 12, 1, 100);
    return new Control(
        url,
        s.text("control.user", null),
        secret(s, env, "control.password", "control.passwordEnv"),
        poolSize);
  }

  private static Store store(Settings s, Path dataDir) {
    String location = s.text("store.location", dataDir.resolve("exports").toString());
    if (location.startsWith("s3://")) {
      String rest = location.substring("s3://".length());
      if (rest.isEmpty() || rest.startsWith("/")) {
        throw s.error(
            "store.location", "'" + location + "' names no bucket: write s3://bucket/prefix");
      }
    } else if (URL_SCHEME.matcher(location).matches()) {
      throw s.error(
          "store.location", "'" + location + "' is neither a directory nor s3://bucket/prefix");
    } else {
      location = Path.of(location).toAbsolutePath().normalize().toString();
    }
    String endpoint = s.text("store.endpointUrl", null);
    if (endpoint != null) {
      try {
        URI uri = new URI(endpoint);
        if (uri.getHost() == null
            || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
          throw new URISyntaxException(endpoint, "no http(s) host");
        }
      } catch (URISyntaxException e) {
        throw s.error("store.endpointUrl", "'" + endpoint + "' is not an http:// or https:// URL");
      }
    }
    S3Settings s3 =
        new S3Settings(
            endpoint, s.text("store.region", null), s.bool("store.pathStyle"), null, null);
    Duration presignTtl =
        s.duration(
            "store.presignTtl", Duration.ofMinutes(15), Duration.ofSeconds(1), Duration.ofDays(7));
    return new Store(location, s3, presignTtl);
  }

  private static Map<String, SourceConfig> sources(
      Settings s, Map<String, String> env, Map<String, String> origins, Path dataDir) {
    Map<String, SourceConfig> sources = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : origins.entrySet()) {
      String name = e.getKey();
      String path = "sources." + name;
      if (!SOURCE_NAME.matcher(name).matches()) {
        throw Settings.error(
            e.getValue(), path, "a source name is lower-case letters, digits, '-' and '_'");
      }
      String url = s.text(path + ".url", null);
      if (url == null) {
        throw Settings.error(
            e.getValue(), path + ".url", "is missing: give a JDBC URL or an SQLite file path");
      }
      sources.put(
          name,
          new SourceConfig(
              name,
              sourceUrl(s, path + ".url", url),
              s.text(path + ".user", null),
              secret(s, env, path + ".password", path + ".passwordEnv")));
    }
    if (sources.isEmpty()) {
      String demo = "jdbc:sqlite:" + dataDir.resolve("demo.db").toAbsolutePath().normalize();
      sources.put("demo", new SourceConfig("demo", demo, null, null));
    }
    return sources;
  }

  /** A JDBC URL as given, or an SQLite path made into one (the file need not exist yet). */
  private static String sourceUrl(Settings s, String path, String url) {
    refusePasswordInUrl(s, path, url);
    if (url.startsWith("jdbc:")) {
      if (!url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:sqlite:")) {
        throw s.error(path, "'" + redact(url) + "' is not a jdbc:postgresql: or jdbc:sqlite: URL");
      }
      return url;
    }
    if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
      throw s.error(
          path, "'" + redact(url) + "' is a libpq URI; write it as jdbc:postgresql://host:port/db");
    }
    if (URL_SCHEME.matcher(url).matches()) {
      throw s.error(path, "'" + redact(url) + "' is neither a JDBC URL nor an SQLite file path");
    }
    return "jdbc:sqlite:" + Path.of(url).toAbsolutePath().normalize();
  }

  private static TokenConfig token(Settings s, String origin, String path, Set<String> sources) {
    String name = s.text(path + ".name", null);
    if (name == null) {
      throw Settings.error(origin, path + ".name", "is missing: give the token a name for logs");
    }
    String sha = s.text(path + ".sha256", null);
    if (sha == null || !SHA256_HEX.matcher(sha).matches()) {
      throw Settings.error(
          origin,
          path + ".sha256",
          (sha == null ? "is missing" : "is not 64 hex digits")
              + ": give the SHA-256 of the token (printf %s \"$TOKEN\" | sha256sum)");
    }
    List<String> allowed = s.list(path + ".sources");
    if (allowed.isEmpty()) {
      throw Settings.error(
          origin, path + ".sources", "is missing: list the sources the token may use, or \"*\"");
    }
    for (String source : allowed) {
      if (!source.equals("*") && !sources.contains(source)) {
        throw s.error(
            path + ".sources",
            "'"
                + source
                + "' is not a configured source ("
                + String.join(", ", sources)
                + ") or \"*\"");
      }
    }
    return new TokenConfig(name, sha.toLowerCase(Locale.ROOT), new LinkedHashSet<>(allowed));
  }

  private static void add(List<TokenConfig> tokens, TokenConfig token, String origin, String path) {
    for (TokenConfig t : tokens) {
      if (t.name().equals(token.name())) {
        throw Settings.error(origin, path, "another token is already named '" + token.name() + "'");
      }
      if (t.sha256().equals(token.sha256())) {
        throw Settings.error(origin, path, "the token is the same as token '" + t.name() + "'");
      }
    }
    tokens.add(token);
  }

  private static Workers workers(Settings s) {
    int count = s.integer("workers.count", 2, 0, 64);
    Duration leaseTtl =
        s.duration(
            "workers.leaseTtl", Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofHours(1));
    Duration heartbeat =
        s.duration(
            "workers.heartbeat",
            Duration.ofSeconds(10),
            Duration.ofMillis(50),
            Duration.ofHours(1));
    if (heartbeat.multipliedBy(2).compareTo(leaseTtl) >= 0) {
      String path =
          s.has("workers.heartbeat") || !s.has("workers.leaseTtl")
              ? "workers.heartbeat"
              : "workers.leaseTtl";
      throw s.error(
          path,
          "heartbeat "
              + Units.format(heartbeat)
              + " must be less than half of leaseTtl "
              + Units.format(leaseTtl)
              + ", so that a lease is renewed at least twice before it expires");
    }
    Duration poll =
        s.duration(
            "workers.poll", Duration.ofSeconds(1), Duration.ofMillis(10), Duration.ofHours(1));
    int maxAttempts = s.integer("workers.maxAttempts", 5, 1, 100);
    Duration backoff =
        s.duration(
            "workers.retryBackoff", Duration.ofSeconds(10), Duration.ZERO, Duration.ofDays(1));
    Duration maxRunTime =
        s.durationOrOff("workers.maxRunTime", Duration.ofSeconds(1), Duration.ofDays(365));
    int upload = s.integer("workers.uploadConcurrency", 4, 1, 64);
    return new Workers(count, leaseTtl, heartbeat, poll, maxAttempts, backoff, maxRunTime, upload);
  }

  private static Webhooks webhooks(Settings s, Map<String, String> env) {
    String secret = secret(s, env, "webhooks.secret", "webhooks.secretEnv");
    if (secret != null) {
      String path = s.has("webhooks.secret") ? "webhooks.secret" : "webhooks.secretEnv";
      boolean valid = secret.startsWith("whsec_");
      if (valid) {
        try {
          valid = Base64.getDecoder().decode(secret.substring("whsec_".length())).length > 0;
        } catch (IllegalArgumentException e) {
          valid = false;
        }
      }
      if (!valid) {
        throw s.error(
            path,
            "the secret is not whsec_ followed by base64 (make one with: echo whsec_$(openssl rand -base64 32))");
      }
    }
    List<String> allowHosts = s.list("webhooks.allowHosts");
    for (String host : allowHosts) {
      try {
        HostPattern.parse(host);
      } catch (IllegalArgumentException e) {
        throw s.error("webhooks.allowHosts", e.getMessage());
      }
    }
    Duration timeout =
        s.duration(
            "webhooks.timeout",
            Duration.ofSeconds(10),
            Duration.ofMillis(100),
            Duration.ofMinutes(10));
    Duration retryBase =
        s.duration(
            "webhooks.retryBase",
            Duration.ofSeconds(10),
            Duration.ofMillis(10),
            Duration.ofHours(1));
    // The issue asks for at least an hour of retries; a shorter time is accepted when set
    // explicitly.
    Duration retryFor =
        s.duration(
            "webhooks.retryFor", Duration.ofHours(3), Duration.ofSeconds(1), Duration.ofDays(30));
    return new Webhooks(secret, allowHosts, timeout, retryBase, retryFor);
  }

  private static Retention retention(Settings s) {
    return new Retention(
        s.duration(
            "retention.exports", Duration.ofDays(7), Duration.ofSeconds(1), Duration.ofDays(3650)),
        s.duration(
            "retention.orphanUploads",
            Duration.ofHours(24),
            Duration.ofSeconds(1),
            Duration.ofDays(3650)),
        s.duration(
            "retention.janitorInterval",
            Duration.ofMinutes(10),
            Duration.ofMillis(100),
            Duration.ofDays(1)));
  }

  private static Snapshots snapshots(Settings s, Store store) {
    Snapshots d = Snapshots.DEFAULTS;
    Duration presignTtl =
        s.duration(
            "snapshots.presignTtl", d.presignTtl(), Duration.ofSeconds(1), Duration.ofDays(7));
    Duration grace =
        s.duration("snapshots.grace", d.grace(), Duration.ofSeconds(1), Duration.ofDays(30));
    if (grace.compareTo(presignTtl) < 0) {
      String path =
          s.has("snapshots.grace") || !s.has("snapshots.presignTtl")
              ? "snapshots.grace"
              : "snapshots.presignTtl";
      throw s.error(
          path,
          "grace "
              + Units.format(grace)
              + " must be at least presignTtl "
              + Units.format(presignTtl)
              + ", so that no download URL handed out outlives its object");
    }
    Duration leaseTtl =
        s.duration("snapshots.leaseTtl", d.leaseTtl(), Duration.ofMillis(300), Duration.ofHours(1));
    long maxBytes = s.size("snapshots.maxBytes", 0, 0, Long.MAX_VALUE);
    long maxTotalBytes = s.size("snapshots.maxTotalBytes", 0, 0, Long.MAX_VALUE);
    Duration reapEvery =
        s.duration("snapshots.reapEvery", d.reapEvery(), Duration.ofSeconds(1), Duration.ofDays(1));
    long min = store.location().startsWith("s3://") ? ExportOptions.MIN_PART_SIZE : 64 * 1024;
    long partSize = s.size("snapshots.partSize", d.partSize(), 1, ExportOptions.MAX_PART_SIZE);
    if (partSize < min) {
      throw s.error(
          "snapshots.partSize",
          ByteSize.format(partSize)
              + " is below the "
              + ByteSize.format(min)
              + " minimum"
              + (min == ExportOptions.MIN_PART_SIZE ? " of S3 multipart uploads" : ""));
    }
    return new Snapshots(
        presignTtl, grace, leaseTtl, maxBytes, maxTotalBytes, reapEvery, (int) partSize);
  }

  /**
   * A secret: given directly by an environment variable at {@code path}, or by the name of one at
   * {@code refPath}; null when neither.
   */
  private static String secret(Settings s, Map<String, String> env, String path, String refPath) {
    if (s.has(path)) {
      return s.secret(path);
    }
    String var = s.text(refPath, null);
    if (var == null) {
      return null;
    }
    if (!ENV_NAME.matcher(var).matches()) {
      throw s.error(refPath, "'" + var + "' is not an environment variable name");
    }
    String value = env.get(var);
    if (value == null) {
      throw s.error(refPath, "environment variable " + var + " is not set");
    }
    return value;
  }

  /** A password inside a URL in the file is a secret in the file, as a password: key would be. */
  private static void refusePasswordInUrl(Settings s, String path, String url) {
    if (s.fromFile(path) && !redact(url).equals(url)) {
      String ref = path.substring(0, path.lastIndexOf('.')) + ".passwordEnv";
      throw s.error(
          path,
          "'"
              + redact(url)
              + "' holds a password; secrets do not belong in configuration files, "
              + "name an environment variable that holds it with "
              + ref);
    }
  }

  private static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***")
        .replaceAll("//([^/:@]+):[^/@]*@", "//$1:***@");
  }
}
