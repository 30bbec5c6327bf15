package dev.dbsnap.config;

import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The environment variables that set settings, applied over the file. An empty variable counts as
 * not set, so that a compose file can list a variable without giving it.
 */
final class EnvSettings {
  static final String SOURCE_PREFIX = "DBSNAP_SOURCE_";
  static final String API_TOKEN = "DBSNAP_API_TOKEN";

  /** Setting path to the variable that sets it. */
  static final Map<String, String> VARIABLES = variables();

  private EnvSettings() {}

  private static Map<String, String> variables() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("http.host", "DBSNAP_HTTP_HOST");
    v.put("http.port", "DBSNAP_HTTP_PORT");
    v.put("http.maxBodyBytes", "DBSNAP_HTTP_MAX_BODY_BYTES");
    v.put("control.url", "DBSNAP_CONTROL_DB");
    v.put("control.user", "DBSNAP_CONTROL_DB_USER");
    v.put("control.password", "DBSNAP_CONTROL_DB_PASSWORD");
    v.put("control.poolSize", "DBSNAP_CONTROL_DB_POOL_SIZE");
    v.put("store.location", "DBSNAP_STORE");
    v.put("store.pathStyle", "DBSNAP_STORE_PATH_STYLE");
    v.put("store.presignTtl", "DBSNAP_STORE_PRESIGN_TTL");
    v.put("workers.count", "DBSNAP_WORKERS");
    v.put("workers.leaseTtl", "DBSNAP_WORKERS_LEASE_TTL");
    v.put("workers.heartbeat", "DBSNAP_WORKERS_HEARTBEAT");
    v.put("workers.poll", "DBSNAP_WORKERS_POLL");
    v.put("workers.maxAttempts", "DBSNAP_WORKERS_MAX_ATTEMPTS");
    v.put("workers.retryBackoff", "DBSNAP_WORKERS_RETRY_BACKOFF");
    v.put("workers.maxRunTime", "DBSNAP_WORKERS_MAX_RUN_TIME");
    v.put("workers.uploadConcurrency", "DBSNAP_WORKERS_UPLOAD_CONCURRENCY");
    v.put("webhooks.secret", "DBSNAP_WEBHOOK_SECRET");
    v.put("webhooks.allowHosts", "DBSNAP_WEBHOOK_ALLOW_HOSTS");
    v.put("webhooks.timeout", "DBSNAP_WEBHOOK_TIMEOUT");
    v.put("webhooks.retryBase", "DBSNAP_WEBHOOK_RETRY_BASE");
    v.put("webhooks.retryFor", "DBSNAP_WEBHOOK_RETRY_FOR");
    v.put("retention.exports", "DBSNAP_RETENTION");
    v.put("retention.orphanUploads", "DBSNAP_RETENTION_ORPHAN_UPLOADS");
    v.put("retention.janitorInterval", "DBSNAP_RETENTION_JANITOR_INTERVAL");
    v.put("snapshots.presignTtl", "DBSNAP_SNAPSHOTS_PRESIGN_TTL");
    v.put("snapshots.grace", "DBSNAP_SNAPSHOTS_GRACE");
    v.put("snapshots.leaseTtl", "DBSNAP_SNAPSHOTS_LEASE_TTL");
    v.put("snapshots.maxBytes", "DBSNAP_SNAPSHOTS_MAX_BYTES");
    v.put("snapshots.maxTotalBytes", "DBSNAP_SNAPSHOTS_MAX_TOTAL_BYTES");
    v.put("snapshots.reapEvery", "DBSNAP_SNAPSHOTS_REAP_EVERY");
    v.put("snapshots.partSize", "DBSNAP_SNAPSHOTS_PART_SIZE");
    return Collections.unmodifiableMap(v);
  }

  /** A source named by {@code DBSNAP_SOURCE_<NAME>} variables. */
  record EnvSource(String name, String urlVar, String userVar, String passwordVar) {}

  /**
   * True when any variable that configures the server is set (the client's
   * DBSNAP_SERVER/DBSNAP_TOKEN do not count).
   */
  static boolean anySet(Map<String, String> env) {
    if (VARIABLES.values().stream().anyMatch(v -> set(env, v)) || set(env, API_TOKEN)) {
      return true;
    }
    return env.keySet().stream().anyMatch(k -> k.startsWith(SOURCE_PREFIX) && set(env, k));
  }

  static boolean set(Map<String, String> env, String var) {
    String value = env.get(var);
    return value != null && !value.isEmpty();
  }

  /** Puts every set variable of {@link #VARIABLES} into {@code settings}. */
  static void apply(Map<String, String> env, Settings settings) {
    for (Map.Entry<String, String> e : VARIABLES.entrySet()) {
      if (set(env, e.getValue())) {
        settings.put(e.getKey(), TextNode.valueOf(env.get(e.getValue())), e.getValue());
      }
    }
  }

  /**
   * The sources the environment names, sorted. {@code DBSNAP_SOURCE_X_USER} and {@code
   * DBSNAP_SOURCE_X_PASSWORD} are always the credentials of source {@code x}, so a source set by a
   * variable cannot have a name ending in {@code _user} or {@code _password}.
   *
   * @param fileSources sources the file defines, whose credentials the environment may also give
   */
  static List<EnvSource> sources(Map<String, String> env, List<String> fileSources) {
    Map<String, String> urls = new TreeMap<>();
    Map<String, String> users = new TreeMap<>();
    Map<String, String> passwords = new TreeMap<>();
    for (String var : env.keySet()) {
      if (!var.startsWith(SOURCE_PREFIX) || !set(env, var)) {
        continue;
      }
      String rest = var.substring(SOURCE_PREFIX.length());
      if (rest.endsWith("_USER")) {
        users.put(name(rest, "_USER"), var);
      } else if (rest.endsWith("_PASSWORD")) {
        passwords.put(name(rest, "_PASSWORD"), var);
      } else {
        urls.put(rest.toLowerCase(Locale.ROOT), var);
      }
    }
    List<EnvSource> out = new ArrayList<>();
    for (String name : union(urls, users, passwords)) {
      if (!urls.containsKey(name) && !fileSources.contains(name)) {
        String var = users.containsKey(name) ? users.get(name) : passwords.get(name);
        throw Settings.error(
            var,
            "sources." + name,
            "there is no source '"
                + name
                + "': set "
                + SOURCE_PREFIX
                + name.toUpperCase(Locale.ROOT)
                + " to its JDBC URL or SQLite path");
      }
      out.add(new EnvSource(name, urls.get(name), users.get(name), passwords.get(name)));
    }
    return out;
  }

  private static String name(String rest, String suffix) {
    return rest.substring(0, rest.length() - suffix.length()).toLowerCase(Locale.ROOT);
  }

  @SafeVarargs
  private static List<String> union(Map<String, String>... maps) {
    TreeMap<String, Boolean> names = new TreeMap<>();
    for (Map<String, String> m : maps) {
      m.keySet().forEach(k -> names.put(k, true));
    }
    return new ArrayList<>(names.keySet());
  }
}
