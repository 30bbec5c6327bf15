package dev.dbsnap.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The OpenAPI 3.1 document, written by hand as YAML in the resources and served as JSON. */
final class OpenApi {
  static final String RESOURCE = "/openapi.yaml";

  private OpenApi() {}

  /** The document as JSON bytes; read once at start. */
  static byte[] json() {
    try (InputStream in = OpenApi.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the resource " + RESOURCE + " is missing from the build");
      }
      JsonNode doc = new YAMLMapper().readTree(in);
      return JobJson.MAPPER.writeValueAsBytes(doc);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
