package dev.dbsnap.http;

import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Every route the API serves: the one list the server registers its handlers from and the OpenAPI
 * test compares with the published document. Paths use OpenAPI's {@code {name}} placeholders, which
 * Javalin reads the same way.
 */
enum Route {
  CREATE_EXPORT(HandlerType.POST, "/v1/sources/{source}/exports", true),
  LIST_EXPORTS(HandlerType.GET, "/v1/exports", true),
  GET_EXPORT(HandlerType.GET, "/v1/exports/{id}", true),
  CANCEL_EXPORT(HandlerType.DELETE, "/v1/exports/{id}", true),
  DOWNLOAD(HandlerType.GET, "/v1/exports/{id}/download", true),
  DUMP(HandlerType.GET, "/v1/sources/{source}/dump", true),
  LIST_SOURCES(HandlerType.GET, "/v1/sources", true),
  GET_SNAPSHOT(HandlerType.GET, "/v1/sources/{source}/tables/{table}/snapshot", true),
  DOWNLOAD_SNAPSHOT(HandlerType.GET, "/v1/sources/{source}/tables/{table}/snapshot/download", true),
  PURGE_SNAPSHOTS(HandlerType.DELETE, "/v1/sources/{source}/tables/{table}/snapshots", true),
  LIST_SNAPSHOTS(HandlerType.GET, "/v1/sources/{source}/snapshots", true),
  OPENAPI(HandlerType.GET, "/v1/openapi.json", false),
  HEALTH(HandlerType.GET, "/healthz", false),
  READY(HandlerType.GET, "/readyz", false),
  METRICS(HandlerType.GET, "/metrics", false);

  final HandlerType method;
  final String path;
  final boolean authenticated;
  private final Pattern pattern;

  Route(HandlerType method, String path, boolean authenticated) {
    this.method = method;
    this.path = path;
    this.authenticated = authenticated;
    this.pattern = Pattern.compile(Pattern.quote(path).replaceAll("\\{[a-z]+}", "\\\\E[^/]+\\\\Q"));
  }

  /**
   * The methods of the routes whose path template matches {@code path}, for a 405's Allow header.
   */
  static List<String> methodsFor(String path) {
    List<String> methods = new ArrayList<>();
    for (Route r : values()) {
      if (r.pattern.matcher(path).matches() && !methods.contains(r.method.name())) {
        methods.add(r.method.name());
      }
    }
    return methods;
  }
}
