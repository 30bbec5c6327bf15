package dev.dbsnap.config;

import dev.dbsnap.DbsnapException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every invalid setting is refused with a message naming where it was given and the setting. */
class ConfigValidationTest {
  @TempDir Path dir;

  static Arguments file(String yaml, String expected) {
    return Arguments.of(yaml, Map.of(), expected);
  }

  static Arguments env(Map<String, String> env, String expected) {
    return Arguments.of(null, env, expected);
  }

  static Stream<Arguments> invalid() {
    String hash = ConfigLoader.hashToken("t");
    return Stream.of(
        file("workers: {cunt: 2}", "dbsnap.yaml: unknown setting 'workers.cunt'"),
        file("worker: {count: 2}", "dbsnap.yaml: unknown setting 'worker'"),
        file(
            "sources: {shop: {url: x.db, pasword: y}}",
            "dbsnap.yaml: unknown setting 'sources.shop.pasword'"),
        file(
            "tokens: [{name: a, sha256: " + hash + ", sources: ['*'], scope: x}]",
            "dbsnap.yaml: unknown setting 'tokens[0].scope'"),
        file("http: [1, 2]", "dbsnap.yaml: http: expected a mapping of settings"),
        file("http: {port: 70000}", "dbsnap.yaml: http.port: 70000 is not between 0 and 65535"),
        env(
            Map.of("DBSNAP_HTTP_PORT", "-1"),
            "DBSNAP_HTTP_PORT: http.port: -1 is not between 0 and 65535"),
        env(
            Map.of("DBSNAP_HTTP_PORT", "http"),
            "DBSNAP_HTTP_PORT: http.port: 'http' is not a whole number"),
        file("http: {host: [a, b]}", "dbsnap.yaml: http.host: expected a single value, not a list"),
        file("http: {maxBodyBytes: lots}", "dbsnap.yaml: http.maxBodyBytes: 'lots' is not a size"),
        file("http: {maxBodyBytes: 2GiB}", "dbsnap.yaml: http.maxBodyBytes: 2GiB is not between"),
        env(
            Map.of("DBSNAP_WORKERS", "65"),
            "DBSNAP_WORKERS: workers.count: 65 is not between 0 and 64"),
        file(
            "workers: {heartbeat: 15s}",
            "dbsnap.yaml: workers.heartbeat: heartbeat 15s must be less than half of leaseTtl 30s"),
        file(
            "workers: {leaseTtl: 20s}",
            "dbsnap.yaml: workers.leaseTtl: heartbeat 10s must be less than half of leaseTtl 20s"),
        file(
            "workers: {leaseTtl: 30}",
            "dbsnap.yaml: workers.leaseTtl: '30' has no unit: write e.g. 30s or 30ms"),
        env(
            Map.of("DBSNAP_WORKERS_POLL", "soon"),
            "DBSNAP_WORKERS_POLL: workers.poll: 'soon' is not a duration"),
        file(
            "workers: {maxAttempts: 0}",
            "dbsnap.yaml: workers.maxAttempts: 0 is not between 1 and 100"),
        file(
            "workers: {maxRunTime: 500ms}",
            "dbsnap.yaml: workers.maxRunTime: 500ms is not between 1s and 365d"),
        file(
            "workers: {maxRunTime: 2}",
            "dbsnap.yaml: workers.maxRunTime: '2' has no unit: write e.g. 2s or 2ms"),
        env(
            Map.of("DBSNAP_WORKERS_MAX_RUN_TIME", "400d"),
            "DBSNAP_WORKERS_MAX_RUN_TIME: workers.maxRunTime: 400d is not between 1s and 365d"),
        env(
            Map.of("DBSNAP_WORKERS_MAX_RUN_TIME", "forever"),
            "DBSNAP_WORKERS_MAX_RUN_TIME: workers.maxRunTime: 'forever' is not a duration"),
        file(
            "workers: {uploadConcurrency: 100}",
            "dbsnap.yaml: workers.uploadConcurrency: 100 is not between 1 and 64"),
        file(
            "sources: {Shop: {url: x.db}}",
            "dbsnap.yaml: sources.Shop: a source name is lower-case letters"),
        file("sources: {shop: {user: a}}", "dbsnap.yaml: sources.shop.url: is missing"),
        file("sources: {shop: x.db}", "dbsnap.yaml: sources.shop: expected a mapping with url"),
        file(
            "sources: {shop: {url: postgres://db/shop}}",
            "dbsnap.yaml: sources.shop.url: 'postgres://db/shop' is a libpq URI"),
        env(
            Map.of("DBSNAP_SOURCE_SHOP", "jdbc:mysql://db/shop"),
            "DBSNAP_SOURCE_SHOP: sources.shop.url: 'jdbc:mysql://db/shop' is not a jdbc:postgresql: or jdbc:sqlite: URL"),
        env(
            Map.of("DBSNAP_SOURCE_SHOP_PASSWORD", "pw"),
            "DBSNAP_SOURCE_SHOP_PASSWORD: sources.shop: there is no source 'shop'"),
        env(
            Map.of("DBSNAP_SOURCE_SH0P.X", "x.db"),
            "DBSNAP_SOURCE_SH0P.X: sources.sh0p.x: a source name is lower-case"),
        file(
            "sources: {shop: {url: x.db, passwordEnv: 'not a name'}}",
            "dbsnap.yaml: sources.shop.passwordEnv: 'not a name' is not an environment variable name"),
        file(
            "tokens: [{name: a, sha256: abc, sources: ['*']}]",
            "dbsnap.yaml: tokens[0].sha256: is not 64 hex digits"),
        file("tokens: [{name: a, sources: ['*']}]", "dbsnap.yaml: tokens[0].sha256: is missing"),
        file(
            "tokens: [{sha256: " + hash + ", sources: ['*']}]",
            "dbsnap.yaml: tokens[0].name: is missing"),
        file(
            "tokens: [{name: a, sha256: " + hash + "}]",
            "dbsnap.yaml: tokens[0].sources: is missing"),
        file(
            "tokens: [{name: a, sha256: " + hash + ", sources: [nope]}]",
            "dbsnap.yaml: tokens[0].sources: 'nope' is not a configured source (demo) or \"*\""),
        file("tokens: {name: a}", "dbsnap.yaml: tokens: expected a list"),
        file(
            "tokens: [{name: a, sha256: "
                + hash
                + ", sources: ['*']}, {name: a, sha256: "
                + ConfigLoader.hashToken("u")
                + ", sources: ['*']}]",
            "dbsnap.yaml: tokens[1]: another token is already named 'a'"),
        Arguments.of(
            "tokens: [{name: a, sha256: " + hash + ", sources: ['*']}]",
            Map.of("DBSNAP_API_TOKEN", "t"),
            "DBSNAP_API_TOKEN: tokens: the token is the same as token 'a'"),
        env(
            Map.of("DBSNAP_CONTROL_DB", "jdbc:mysql://db/x"),
            "DBSNAP_CONTROL_DB: control.url: 'jdbc:mysql://db/x' is neither"),
        file(
            "control: {url: /var/lib/control.db}",
            "dbsnap.yaml: control.url: '/var/lib/control.db' is neither"),
        file(
            "control: {url: 'jdbc:postgresql://db/x?user=a&password=hunter2'}",
            "dbsnap.yaml: control.url: 'jdbc:postgresql://db/x?user=a&password=***' holds a password; secrets do not "
                + "belong in configuration files, name an environment variable that holds it with control.passwordEnv"),
        file(
            "sources: {shop: {url: 'jdbc:postgresql://a:hunter2@db/shop'}}",
            "dbsnap.yaml: sources.shop.url: 'jdbc:postgresql://a:***@db/shop' holds a password"),
        file("control: {poolSize: 0}", "dbsnap.yaml: control.poolSize: 0 is not between 1 and 100"),
        env(
            Map.of("DBSNAP_STORE", "gs://bucket/x"),
            "DBSNAP_STORE: store.location: 'gs://bucket/x' is neither a directory nor s3://"),
        env(
            Map.of("DBSNAP_STORE", "s3://"),
            "DBSNAP_STORE: store.location: 's3://' names no bucket"),
        file(
            "store: {endpointUrl: minio:9000}",
            "dbsnap.yaml: store.endpointUrl: 'minio:9000' is not an http:// or https:// URL"),
        env(
            Map.of("DBSNAP_STORE_PATH_STYLE", "maybe"),
            "DBSNAP_STORE_PATH_STYLE: store.pathStyle: 'maybe' is not true or false"),
        file(
            "store: {presignTtl: 8d}",
            "dbsnap.yaml: store.presignTtl: 8d is not between 1s and 7d"),
        env(
            Map.of("DBSNAP_WEBHOOK_SECRET", "plain"),
            "DBSNAP_WEBHOOK_SECRET: webhooks.secret: the secret is not whsec_"),
        env(
            Map.of("DBSNAP_WEBHOOK_ALLOW_HOSTS", "10.0.0.0/40"),
            "DBSNAP_WEBHOOK_ALLOW_HOSTS: webhooks.allowHosts: '10.0.0.0/40' has a prefix length that is not between 0 and 32"),
        file(
            "webhooks: {allowHosts: ['bad host']}",
            "dbsnap.yaml: webhooks.allowHosts: 'bad host' is not a host name"),
        file(
            "webhooks: {timeout: 0s}",
            "dbsnap.yaml: webhooks.timeout: 0s is not between 100ms and 10m"),
        env(
            Map.of("DBSNAP_RETENTION", "forever"),
            "DBSNAP_RETENTION: retention.exports: 'forever' is not a duration"),
        file(
            "retention: {janitorInterval: PTxyz}",
            "dbsnap.yaml: retention.janitorInterval: 'PTxyz' is not an ISO-8601 duration"),
        file("http: {port: 1\nhost", "dbsnap.yaml: line "),
        file(
            "http: {port: 1, port: 2}",
            "dbsnap.yaml: line 1: not valid YAML: Duplicate field 'port'"));
  }

  @ParameterizedTest(name = "[{index}] {2}")
  @MethodSource("invalid")
  void an_invalid_setting_is_refused_with_a_message_naming_it(
      String yaml, Map<String, String> env, String expected) throws IOException {
    Path file =
        yaml == null
            ? null
            : Files.writeString(dir.resolve("dbsnap.yaml"), yaml + "\n", StandardCharsets.UTF_8);
    DbsnapException e = ConfigLoaderTest.assertInvalid(file, env, expected, dir.resolve("data"));
    Assertions.assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("hunter2");
  }

  @org.junit.jupiter.api.Test
  void a_missing_file_is_refused_naming_it() {
    Path missing = dir.resolve("nope.yaml");
    ConfigLoaderTest.assertInvalid(
        missing, Map.of(), missing + ": the configuration file does not exist", dir);
  }
}
