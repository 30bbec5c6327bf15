package dev.dbsnap.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.dbsnap.config.ConfigLoader;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostPatternTest {
  private static final List<String> VALID =
      List.of(
          "hooks.internal",
          "Hooks.Internal.",
          "localhost",
          "my_service.internal",
          "_hooks._tcp.example.com",
          "a1-b2.example",
          "127.0.0.1",
          "::1",
          "[::1]",
          "10.0.0.0/8",
          "0.0.0.0/0",
          "fd00::/8",
          "[fd00::]/8");
  private static final List<String> INVALID =
      List.of(
          "bad host",
          "host!",
          "-lead.example",
          "trail-.example",
          "a..b",
          "10.0.0.0/40",
          "10.0.0.0/x",
          "fd00::/129",
          "300.1.1.1",
          "10.1",
          "fe80::zz",
          "fe80::1%eth0",
          "http://example.com",
          "x".repeat(300));

  @TempDir Path dataDir;

  @Test
  void the_configuration_and_the_guard_accept_and_refuse_the_same_entries() {
    for (String entry : VALID) {
      assertThat(configProblem(entry)).as("configuration, %s", entry).isNull();
      assertThat(guardProblem(entry)).as("guard, %s", entry).isNull();
    }
    for (String entry : INVALID) {
      String guard = guardProblem(entry);
      assertThat(guard).as("guard, %s", entry).isNotNull().contains("'" + entry + "'");
      assertThat(configProblem(entry))
          .as("configuration, %s", entry)
          .isEqualTo("DBSNAP_WEBHOOK_ALLOW_HOSTS: webhooks.allowHosts: " + guard);
    }
  }

  @Test
  void host_names_may_hold_underscores_as_real_dns_names_do() {
    assertThat(HostPattern.parse("My_Hooks.Internal.").names("my_hooks.internal")).isTrue();
    assertThat(HostPattern.parse("my_hooks.internal").names("MY_HOOKS.INTERNAL.")).isTrue();
    assertThat(HostPattern.parse("my_hooks.internal").names("myhooks.internal")).isFalse();
  }

  @Test
  void an_address_entry_holds_only_that_address_and_a_range_its_prefix() throws Exception {
    HostPattern one = HostPattern.parse("[::1]");
    assertThat(one.contains(InetAddress.getByName("::1"))).isTrue();
    assertThat(one.contains(InetAddress.getByName("::2"))).isFalse();
    assertThat(one.names("::1")).as("an address entry is not a name").isFalse();
    HostPattern range = HostPattern.parse("10.1.0.0/16");
    assertThat(range.contains(InetAddress.getByName("10.1.255.1"))).isTrue();
    assertThat(range.contains(InetAddress.getByName("10.2.0.1"))).isFalse();
  }

  @Test
  void an_empty_entry_is_refused() {
    assertThatThrownBy(() -> HostPattern.parse(" ")).hasMessageContaining("is empty");
  }

  private String configProblem(String entry) {
    Throwable t =
        catchThrowable(
            () -> ConfigLoader.load(null, Map.of("DBSNAP_WEBHOOK_ALLOW_HOSTS", entry), dataDir));
    return t == null ? null : t.getMessage();
  }

  private static String guardProblem(String entry) {
    Throwable t = catchThrowable(() -> new CallbackGuard(List.of(entry)));
    return t == null ? null : t.getMessage();
  }
}
