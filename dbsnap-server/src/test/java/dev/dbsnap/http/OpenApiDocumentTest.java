package dev.dbsnap.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The served OpenAPI document validates and lists exactly the routes the server has. */
class OpenApiDocumentTest {
  @TempDir static Path dir;
  static ApiFixture api;

  @BeforeAll
  static void start() throws Exception {
    api = ApiFixture.start(dir, 0);
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  private static OpenAPI parse() throws Exception {
    HttpResponse<byte[]> r = api.get("/v1/openapi.json", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result =
        new OpenAPIV3Parser().readContents(new String(r.body()), null, options);
    assertThat(result.getMessages()).isEmpty();
    assertThat(result.getOpenAPI().getOpenapi()).startsWith("3.1.");
    return result.getOpenAPI();
  }

  @Test
  void the_document_is_valid_openapi_3_1_without_a_token() throws Exception {
    OpenAPI doc = parse();
    assertThat(doc.getComponents().getSecuritySchemes()).containsKey("bearerAuth");
    assertThat(doc.getComponents().getSchemas())
        .containsKeys("ExportRequest", "ExportStatus", "ExportList", "Problem");
  }

  @Test
  void every_route_is_documented_and_every_documented_operation_is_a_route() throws Exception {
    OpenAPI doc = parse();
    Set<String> served = new TreeSet<>();
    for (Route route : Route.values()) {
      served.add(route.method.name() + " " + route.path);
    }
    Set<String> documented = new TreeSet<>();
    doc.getPaths()
        .forEach(
            (path, item) ->
                item.readOperationsMap()
                    .keySet()
                    .forEach(
                        (PathItem.HttpMethod method) ->
                            documented.add(method.name() + " " + path)));
    assertThat(documented).isEqualTo(served);
  }

  @Test
  void public_routes_are_documented_without_security_and_the_others_with_bearer() throws Exception {
    OpenAPI doc = parse();
    assertThat(doc.getSecurity()).hasSize(1);
    assertThat(doc.getSecurity().get(0)).containsKey("bearerAuth");
    for (Route route : Route.values()) {
      var operation =
          doc.getPaths()
              .get(route.path)
              .readOperationsMap()
              .get(PathItem.HttpMethod.valueOf(route.method.name()));
      if (route.authenticated) {
        assertThat(operation.getSecurity()).as(route.toString()).isNull();
        assertThat(operation.getResponses()).as(route.toString()).containsKey("401");
      } else {
        assertThat(operation.getSecurity()).as(route.toString()).isEmpty();
      }
    }
  }
}
