package dev.dbsnap.http;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** Requests by method, route template and status, and their durations; and the text exposition. */
final class HttpMetrics {
  private final PrometheusRegistry registry;
  private final Counter requests;
  private final Histogram seconds;
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

  HttpMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    this.requests =
        Counter.builder()
            .name("dbsnap_http_requests_total")
            .help("HTTP requests answered, by method, route template and status")
            .labelNames("method", "route", "status")
            .register(registry);
    this.seconds =
        Histogram.builder()
            .name("dbsnap_http_request_seconds")
            .help("Time to answer an HTTP request, body included, by method and route template")
            .labelNames("method", "route")
            .classicOnly()
            .classicUpperBounds(
                0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 300)
            .register(registry);
  }

  void observe(String method, String route, int status, long nanos) {
    requests.labelValues(method, route, Integer.toString(status)).inc();
    seconds.labelValues(method, route).observe(nanos / 1e9);
  }

  String contentType() {
    return writer.getContentType();
  }

  byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory failed", e);
    }
    return out.toByteArray();
  }
}
