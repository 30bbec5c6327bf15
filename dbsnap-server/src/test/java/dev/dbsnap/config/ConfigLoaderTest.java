package dev.dbsnap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.config.ConfigLoader.Loaded;
import dev.dbsnap.config.ServerConfig.SourceConfig;
import dev.dbsnap.config.ServerConfig.TokenConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);

  @TempDir Path dir;

  Path file(String yaml) throws IOException {
    return Files.writeString(dir.resolve("dbsnap.yaml"), yaml, StandardCharsets.UTF_8);
  }

  Loaded load(Path file, Map<String, String> env) {
    return ConfigLoader.load(file, env, dir.resolve("data"));
  }

  @Test
  void a_size_setting_of_6MB_is_6_MiB_in_the_file_and_in_the_environment() throws IOException {
    assertThat(
            load(null, Map.of("DBSNAP_HTTP_MAX_BODY_BYTES", "6MB")).config().http().maxBodyBytes())
        .isEqualTo(6_291_456);
    assertThat(load(file("http: {maxBodyBytes: 6MB}"), Map.of()).config().http().maxBodyBytes())
        .isEqualTo(6_291_456);
    assertThat(load(file("http: {maxBodyBytes: 6 mib}"), Map.of()).config().http().maxBodyBytes())
        .isEqualTo(6_291_456);
  }

  @Test
  void no_file_and_no_variables_give_the_embedded_defaults() {
    Loaded loaded =
        load(
            null,
            Map.of("HOME", "/root", "DBSNAP_TOKEN", "client-side", "DBSNAP_SERVER", "http://x"));
    ServerConfig c = loaded.config();
    Path data = dir.resolve("data").toAbsolutePath();

    assertThat(loaded.embeddedDefaults()).isTrue();
    assertThat(c.http()).isEqualTo(new ServerConfig.Http("127.0.0.1", 8080, 65536));
    assertThat(c.control().url()).isEqualTo("jdbc:sqlite:" + data.resolve("control.db"));
    assertThat(c.control().poolSize()).isEqualTo(12);
    assertThat(c.store().location()).isEqualTo(data.resolve("exports").toString());
    assertThat(c.store().presignTtl()).isEqualTo(Duration.ofMinutes(15));
    assertThat(c.sources()).containsOnlyKeys("demo");
    assertThat(c.sources().get("demo").url()).isEqualTo("jdbc:sqlite:" + data.resolve("demo.db"));
    assertThat(c.workers())
        .isEqualTo(
            new ServerConfig.Workers(
                2,
                Duration.ofSeconds(30),
                Duration.ofSeconds(10),
                Duration.ofSeconds(1),
                5,
                Duration.ofSeconds(10),
                Duration.ZERO,
                4));
    assertThat(c.webhooks().secret()).isNull();
    assertThat(c.webhooks().allowHosts()).isEmpty();
    assertThat(c.webhooks().timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.webhooks().retryBase()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.webhooks().retryFor()).isEqualTo(Duration.ofHours(3));
    assertThat(c.retention())
        .isEqualTo(
            new ServerConfig.Retention(
                Duration.ofDays(7), Duration.ofHours(24), Duration.ofMinutes(10)));

    String token = loaded.generatedToken();
    assertThat(token).startsWith("dbs_").hasSize(4 + 43).matches("dbs_[A-Za-z0-9_-]+");
    assertThat(c.tokens())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.sha256()).isEqualTo(ConfigLoader.hashToken(token));
              assertThat(t.allows("demo")).isTrue();
            });
    assertThat(load(null, Map.of()).generatedToken()).isNotEqualTo(token);
  }

  @Test
  void the_example_file_is_valid() {
    Loaded loaded =
        load(
            Path.of("../docs/dbsnap.example.yaml"),
            Map.of(
                "DBSNAP_CONTROL_PASSWORD",
                "control-pw",
                "SHOP_PASSWORD",
                "shop-pw",
                "DBSNAP_WEBHOOK_SECRET",
                SECRET));
    ServerConfig c = loaded.config();

    assertThat(loaded.embeddedDefaults()).isFalse();
    assertThat(loaded.generatedToken()).isNull();
    assertThat(c.control().isPostgres()).isTrue();
    assertThat(c.control().password()).isEqualTo("control-pw");
    assertThat(c.control().poolSize()).isEqualTo(8);
    assertThat(c.store().location()).isEqualTo("s3://dbsnap-exports/prod");
    assertThat(c.store().s3().region()).isEqualTo("eu-central-1");
    assertThat(c.sources()).containsOnlyKeys("shop", "notes");
    assertThat(c.sources().get("shop"))
        .isEqualTo(
            new SourceConfig(
                "shop", "jdbc:postgresql://db.internal:5432/shop", "exporter", "shop-pw"));
    assertThat(c.sources().get("notes").url()).isEqualTo("jdbc:sqlite:/var/lib/notes/notes.db");
    assertThat(c.tokens()).extracting(TokenConfig::name).containsExactly("platform", "admin");
    assertThat(c.tokens().get(0).sources()).containsExactlyInAnyOrder("shop", "notes");
    assertThat(c.webhooks().secret()).isEqualTo(SECRET);
    assertThat(c.webhooks().allowHosts()).containsExactly("hooks.internal", "10.1.0.0/16");
    assertThat(c.http().maxBodyBytes()).isEqualTo(65536);
  }

  @Test
  void environment_variables_override_the_file_and_the_file_overrides_the_defaults()
      throws IOException {
    Path f =
        file(
            """
        http: {port: 9000, host: 0.0.0.0}
        workers: {count: 3, leaseTtl: 1m}
        sources:
          shop: {url: jdbc:postgresql://db/shop, user: reader}
        tokens:
          - {name: ops, sha256: %s, sources: [shop]}
        """
                .formatted(ConfigLoader.hashToken("ops-token")));
    ServerConfig c =
        load(
                f,
                Map.of(
                    "DBSNAP_HTTP_PORT",
                    "9100",
                    "DBSNAP_WORKERS",
                    "",
                    "DBSNAP_SOURCE_SHOP_PASSWORD",
                    "pw",
                    "DBSNAP_RETENTION",
                    "36h",
                    "DBSNAP_WEBHOOK_ALLOW_HOSTS",
                    "127.0.0.1, hooks.test"))
            .config();

    assertThat(c.http().port()).isEqualTo(9100);
    assertThat(c.http().host()).isEqualTo("0.0.0.0");
    assertThat(c.workers().count()).as("an empty variable counts as not set").isEqualTo(3);
    assertThat(c.workers().leaseTtl()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.workers().heartbeat()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.sources().get("shop"))
        .isEqualTo(new SourceConfig("shop", "jdbc:postgresql://db/shop", "reader", "pw"));
    assertThat(c.retention().exports()).isEqualTo(Duration.ofHours(36));
    assertThat(c.webhooks().allowHosts()).containsExactly("127.0.0.1", "hooks.test");
  }

  @Test
  void environment_variables_alone_configure_a_server() {
    Loaded loaded =
        load(
            null,
            Map.of(
                "DBSNAP_SOURCE_SHOP",
                "jdbc:postgresql://db/shop",
                "DBSNAP_SOURCE_SHOP_USER",
                "exporter",
                "DBSNAP_SOURCE_SHOP_PASSWORD",
                "s3cret",
                "DBSNAP_SOURCE_NOTES",
                "notes.db",
                "DBSNAP_API_TOKEN",
                "dbs_abc",
                "DBSNAP_CONTROL_DB",
                "jdbc:postgresql://db/dbsnap",
                "DBSNAP_CONTROL_DB_USER",
                "dbsnap",
                "DBSNAP_CONTROL_DB_PASSWORD",
                "control-pw",
                "DBSNAP_STORE",
                "s3://bucket/exports",
                "DBSNAP_WEBHOOK_SECRET",
                SECRET));
    ServerConfig c = loaded.config();

    assertThat(loaded.embeddedDefaults()).isFalse();
    assertThat(loaded.generatedToken()).isNull();
    assertThat(c.sources()).containsOnlyKeys("shop", "notes");
    assertThat(c.sources().get("shop"))
        .isEqualTo(new SourceConfig("shop", "jdbc:postgresql://db/shop", "exporter", "s3cret"));
    assertThat(c.sources().get("notes").url())
        .isEqualTo("jdbc:sqlite:" + Path.of("notes.db").toAbsolutePath());
    assertThat(c.tokens())
        .containsExactly(new TokenConfig("env", ConfigLoader.hashToken("dbs_abc"), Set.of("*")));
    assertThat(c.control())
        .isEqualTo(
            new ServerConfig.Control("jdbc:postgresql://db/dbsnap", "dbsnap", "control-pw", 12));
    assertThat(c.store().location()).isEqualTo("s3://bucket/exports");
    assertThat(c.webhooks().secret()).isEqualTo(SECRET);
    assertThat(c.http().port()).isEqualTo(8080);
  }

  @Test
  void sources_without_a_token_get_a_generated_one() {
    Loaded loaded = load(null, Map.of("DBSNAP_SOURCE_X", "/srv/x.db"));

    assertThat(loaded.embeddedDefaults()).isFalse();
    assertThat(loaded.config().sources()).containsOnlyKeys("x");
    assertThat(loaded.generatedToken()).startsWith("dbs_");
    assertThat(loaded.config().tokens())
        .singleElement()
        .satisfies(
            t -> assertThat(t.sha256()).isEqualTo(ConfigLoader.hashToken(loaded.generatedToken())));
  }

  @Test
  void an_empty_file_gives_the_defaults_but_not_the_embedded_flag() throws IOException {
    Loaded loaded = load(file("# nothing yet\n"), Map.of());

    assertThat(loaded.embeddedDefaults()).isFalse();
    assertThat(loaded.config().sources()).containsOnlyKeys("demo");
    assertThat(loaded.generatedToken()).isNotNull();
  }

  @Test
  void a_password_in_the_file_is_refused_with_a_pointer_to_password_env() throws IOException {
    assertInvalid(
        file("sources:\n  shop: {url: jdbc:postgresql://db/shop, password: hunter2}\n"),
        Map.of(),
        "dbsnap.yaml: sources.shop.password: secrets do not belong in configuration files; put it in an environment "
            + "variable and name that with passwordEnv");
    assertInvalid(
        file("control: {password: hunter2}\n"),
        Map.of(),
        "dbsnap.yaml: control.password: secrets do not belong");
    assertInvalid(
        file("webhooks: {secret: hunter2}\n"),
        Map.of(),
        "dbsnap.yaml: webhooks.secret: secrets do not belong");
    assertInvalid(
        file("tokens: [{name: a, token: hunter2, sources: ['*']}]\n"),
        Map.of(),
        "dbsnap.yaml: tokens[0].token: tokens are not written in the file; give their sha256");
  }

  @Test
  void a_referenced_variable_that_is_not_set_is_an_error_naming_it() throws IOException {
    assertInvalid(
        file("sources:\n  shop: {url: jdbc:postgresql://db/shop, passwordEnv: SHOP_PASSWORD}\n"),
        Map.of(),
        "dbsnap.yaml: sources.shop.passwordEnv: environment variable SHOP_PASSWORD is not set");
    assertInvalid(
        file("webhooks: {secretEnv: HOOK_SECRET}\n"),
        Map.of(),
        "dbsnap.yaml: webhooks.secretEnv: environment variable HOOK_SECRET is not set");
  }

  @Test
  void secrets_are_not_in_to_string_nor_in_errors() throws IOException {
    Loaded loaded =
        load(
            null,
            Map.of(
                "DBSNAP_SOURCE_SHOP",
                "jdbc:postgresql://db/shop?password=urlpass",
                "DBSNAP_SOURCE_SHOP_PASSWORD",
                "srcpass",
                "DBSNAP_CONTROL_DB",
                "jdbc:postgresql://db/c",
                "DBSNAP_CONTROL_DB_PASSWORD",
                "ctlpass",
                "DBSNAP_WEBHOOK_SECRET",
                SECRET));
    Loaded generated = load(null, Map.of());

    assertThat(loaded.toString())
        .doesNotContain("urlpass", "srcpass", "ctlpass", SECRET)
        .contains("***");
    assertThat(generated.toString()).doesNotContain(generated.generatedToken());
    String wrong = "whsec_not base64!";
    assertThatThrownBy(() -> load(null, Map.of("DBSNAP_WEBHOOK_SECRET", wrong)))
        .hasMessageStartingWith(
            "DBSNAP_WEBHOOK_SECRET: webhooks.secret: the secret is not whsec_ followed by base64")
        .hasMessageNotContaining(wrong);
    assertThatThrownBy(
            () -> load(null, Map.of("DBSNAP_CONTROL_DB", "jdbc:mysql://u:topsecret@db/x")))
        .hasMessageNotContaining("topsecret");
  }

  @Test
  void tokens_are_hashed_as_sha256sum_does() {
    // printf %s abc | sha256sum
    assertThat(ConfigLoader.hashToken("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void a_token_sha256_is_accepted_in_upper_case_and_kept_in_lower_case() throws IOException {
    String hash = ConfigLoader.hashToken("t");
    ServerConfig c =
        load(
                file("tokens: [{name: a, sha256: " + hash.toUpperCase() + ", sources: ['*']}]\n"),
                Map.of())
            .config();

    assertThat(c.tokens().get(0).sha256()).isEqualTo(hash);
  }

  @Test
  void durations_and_sizes_take_units_or_iso_8601() throws IOException {
    ServerConfig c =
        load(
                file(
                    """
        http: {maxBodyBytes: 1MiB}
        workers: {leaseTtl: PT2M, heartbeat: 500ms, poll: 250ms, retryBackoff: 0s}
        retention: {exports: 30d, orphanUploads: 90m}
        """),
                Map.of("DBSNAP_HTTP_MAX_BODY_BYTES", "", "DBSNAP_WEBHOOK_RETRY_FOR", "10m"))
            .config();

    assertThat(c.http().maxBodyBytes()).isEqualTo(1 << 20);
    assertThat(c.workers().leaseTtl()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.workers().heartbeat()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.workers().retryBackoff()).isZero();
    assertThat(c.retention().exports()).isEqualTo(Duration.ofDays(30));
    assertThat(c.retention().orphanUploads()).isEqualTo(Duration.ofMinutes(90));
    assertThat(c.webhooks().retryFor()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void the_run_time_cap_is_off_unless_set_and_0_turns_it_off() throws IOException {
    assertThat(load(null, Map.of()).config().workers().maxRunTime()).isZero();
    assertThat(load(file("workers: {maxRunTime: 6h}"), Map.of()).config().workers().maxRunTime())
        .isEqualTo(Duration.ofHours(6));
    assertThat(
            load(file("workers: {maxRunTime: 6h}"), Map.of("DBSNAP_WORKERS_MAX_RUN_TIME", "PT90M"))
                .config()
                .workers()
                .maxRunTime())
        .isEqualTo(Duration.ofMinutes(90));
    for (String off : new String[] {"0", "0s", "PT0S"}) {
      assertThat(
              load(file("workers: {maxRunTime: 2d}"), Map.of("DBSNAP_WORKERS_MAX_RUN_TIME", off))
                  .config()
                  .workers()
                  .maxRunTime())
          .as(off)
          .isZero();
    }
    assertThat(load(file("workers: {maxRunTime: 0}"), Map.of()).config().workers().maxRunTime())
        .isZero();
  }

  @Test
  void snapshot_settings_default_and_come_from_the_file_and_the_environment() throws IOException {
    assertThat(load(null, Map.of()).config().snapshots())
        .isEqualTo(ServerConfig.Snapshots.DEFAULTS)
        .isEqualTo(
            new ServerConfig.Snapshots(
                Duration.ofMinutes(10),
                Duration.ofMinutes(15),
                Duration.ofSeconds(10),
                0,
                0,
                Duration.ofMinutes(5),
                8 << 20));
    Path f = file("snapshots: {presignTtl: 2m, grace: 1h, maxBytes: 1GiB, partSize: 6MiB}");
    ServerConfig.Snapshots s =
        load(
                f,
                Map.of(
                    "DBSNAP_SNAPSHOTS_MAX_TOTAL_BYTES", "10GiB",
                    "DBSNAP_SNAPSHOTS_LEASE_TTL", "500ms",
                    "DBSNAP_SNAPSHOTS_REAP_EVERY", "30s",
                    "DBSNAP_SNAPSHOTS_PRESIGN_TTL", "5m"))
            .config()
            .snapshots();
    assertThat(s)
        .isEqualTo(
            new ServerConfig.Snapshots(
                Duration.ofMinutes(5),
                Duration.ofHours(1),
                Duration.ofMillis(500),
                1L << 30,
                10L << 30,
                Duration.ofSeconds(30),
                6 << 20));
  }

  @Test
  void a_snapshot_grace_shorter_than_the_presign_ttl_is_refused() throws IOException {
    assertInvalid(
        file("snapshots: {presignTtl: 20m}"),
        Map.of(),
        "dbsnap.yaml: snapshots.presignTtl: grace 15m must be at least presignTtl 20m");
    assertInvalid(
        null,
        Map.of("DBSNAP_SNAPSHOTS_GRACE", "1m"),
        "DBSNAP_SNAPSHOTS_GRACE: snapshots.grace: grace 1m must be at least presignTtl 10m");
  }

  @Test
  void a_snapshot_part_size_below_5_MiB_is_refused_on_s3_only() throws IOException {
    assertInvalid(
        file("store: {location: s3://bucket/x}\nsnapshots: {partSize: 1MiB}"),
        Map.of(),
        "dbsnap.yaml: snapshots.partSize: 1MiB is below the 5MiB minimum of S3 multipart uploads");
    assertThat(
            load(null, Map.of("DBSNAP_SNAPSHOTS_PART_SIZE", "256KiB"))
                .config()
                .snapshots()
                .partSize())
        .isEqualTo(256 * 1024);
  }

  @Test
  void every_setting_and_variable_is_documented() throws IOException {
    String doc = Files.readString(Path.of("../docs/configuration.md"));
    String example = Files.readString(Path.of("../docs/dbsnap.example.yaml"));
    for (String var : EnvSettings.VARIABLES.values()) {
      assertThat(doc).as("../docs/configuration.md").contains("`" + var + "`");
      assertThat(example).as("../docs/dbsnap.example.yaml").contains(var);
    }
    for (var section : ConfigFile.SECTIONS.entrySet()) {
      for (String key : section.getValue()) {
        assertThat(doc)
            .as("../docs/configuration.md")
            .contains("`" + section.getKey() + "." + key + "`");
        assertThat(example)
            .as("../docs/dbsnap.example.yaml")
            .containsPattern("\\n\\s+" + key + ":");
      }
    }
    for (String key : ConfigFile.SOURCE_KEYS) {
      assertThat(doc).contains("`sources.<name>." + key + "`");
    }
    for (String key : ConfigFile.TOKEN_KEYS) {
      assertThat(doc).contains("`tokens[]." + key + "`");
    }
    assertThat(doc)
        .contains(
            "`DBSNAP_API_TOKEN`",
            "`DBSNAP_SOURCE_<NAME>`",
            "`DBSNAP_SOURCE_<NAME>_USER`",
            "`DBSNAP_SOURCE_<NAME>_PASSWORD`");
  }

  /**
   * Loading fails with INVALID_ARGUMENT and a message starting so; "dbsnap.yaml" there stands for
   * the file's path.
   */
  static DbsnapException assertInvalid(
      Path file, Map<String, String> env, String expectedStart, Path dataDir) {
    if (file != null && expectedStart.startsWith("dbsnap.yaml:")) {
      expectedStart = file + expectedStart.substring("dbsnap.yaml".length());
    }
    try {
      ConfigLoader.load(file, env, dataDir);
    } catch (DbsnapException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(e.getMessage()).startsWith(expectedStart);
      return e;
    }
    throw new AssertionError("expected an error starting with: " + expectedStart);
  }

  DbsnapException assertInvalid(Path file, Map<String, String> env, String expectedStart) {
    return assertInvalid(file, env, expectedStart, dir.resolve("data"));
  }
}
