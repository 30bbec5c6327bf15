package dev.dbsnap.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

// Only literal addresses, localhost and names under .invalid appear here: checking sends no
// traffic,
// and nothing in these tests depends on outside DNS.
class CallbackGuardTest {
  private final CallbackGuard guard = new CallbackGuard(List.of());

  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      http://127.0.0.1:8080/hook       | callbackUrl host 127.0.0.1 is a loopback address; allow it with webhooks.allowHosts
      http://localhost/hook            | callbackUrl host localhost (127.0.0.1) is a loopback address
      http://[::1]/hook                | callbackUrl host [::1] is a loopback address
      http://10.1.2.3/                 | callbackUrl host 10.1.2.3 is a private address
      http://172.20.0.1/               | callbackUrl host 172.20.0.1 is a private address
      https://192.168.1.1/             | callbackUrl host 192.168.1.1 is a private address
      http://[fd12:3456::1]/           | callbackUrl host [fd12:3456::1] is a private address
      http://169.254.169.254/latest    | callbackUrl host 169.254.169.254 is a cloud metadata address
      http://[fd00:ec2::254]/          | callbackUrl host [fd00:ec2::254] is a cloud metadata address
      http://100.100.100.200/          | callbackUrl host 100.100.100.200 is a cloud metadata address
      http://169.254.10.1/             | callbackUrl host 169.254.10.1 is a link-local address
      http://[fe80::1]/                | callbackUrl host [fe80::1] is a link-local address
      http://100.64.0.1/               | callbackUrl host 100.64.0.1 is a carrier-grade NAT address
      http://0.0.0.0/                  | callbackUrl host 0.0.0.0 is an unspecified (this-host) address
      http://[::]/                     | callbackUrl host [::] is an unspecified (this-host) address
      http://224.0.0.1/                | callbackUrl host 224.0.0.1 is a multicast address
      http://255.255.255.255/          | callbackUrl host 255.255.255.255 is a broadcast address
      http://[::ffff:127.0.0.1]/       | callbackUrl host [::ffff:127.0.0.1] is a loopback address
      http://[::ffff:169.254.169.254]/ | callbackUrl host [::ffff:169.254.169.254] is a cloud metadata address
      http://[::10.0.0.1]/             | callbackUrl host [::10.0.0.1] is an IPv6 form of 10.0.0.1, a private address
      http://[64:ff9b::7f00:1]/        | callbackUrl host [64:ff9b::7f00:1] is an IPv6 form of 127.0.0.1, a loopback address
      """)
  void internal_addresses_are_refused_naming_the_field_host_and_reason(String url, String message) {
    assertRefused(url).hasMessageStartingWith(message.strip());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/", "http://LOCALHOST./"})
  void other_spellings_of_loopback_are_refused(String url) {
    assertRefused(url);
  }

  @Test
  void the_refusal_names_the_field_it_was_given() {
    assertThatThrownBy(() -> guard.check(URI.create("http://127.0.0.1/"), "webhook.url"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("webhook.url host 127.0.0.1")
        .extracting(e -> ((InvalidInputException) e).field())
        .isEqualTo("webhook.url");
  }

  @Test
  void schemes_other_than_http_and_https_are_refused() {
    assertRefused("ftp://example.com/hook")
        .hasMessage("callbackUrl must be an http or https URL, not ftp");
    assertRefused("file:///etc/passwd").hasMessageContaining("not file");
    assertRefused("/relative/hook").hasMessageContaining("not a relative one");
  }

  @Test
  void user_info_is_refused_without_quoting_it() {
    assertRefused("http://user:pass@example.com/hook")
        .hasMessageContaining("must not carry user info")
        .hasMessageNotContaining("pass@");
  }

  @Test
  void a_url_without_a_host_is_refused() {
    assertRefused("http:///hook").hasMessage("callbackUrl has no valid host");
  }

  @Test
  void a_host_that_cannot_be_resolved_is_refused() {
    assertRefused("https://no-such-host.invalid/hook")
        .hasMessage("callbackUrl host no-such-host.invalid cannot be resolved");
  }

  @Test
  void a_public_address_passes() throws Exception {
    URI url = URI.create("https://93.184.216.34/hook");

    assertThatCode(() -> guard.check(url, "callbackUrl")).doesNotThrowAnyException();
    assertThat(guard.resolveAllowed(url)).containsExactly(InetAddress.getByName("93.184.216.34"));
  }

  @Test
  void allow_listed_addresses_hosts_and_ranges_pass() {
    assertThatCode(
            () ->
                new CallbackGuard(List.of("127.0.0.1"))
                    .check(URI.create("http://127.0.0.1:9/"), "f"))
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                new CallbackGuard(List.of("LocalHost"))
                    .check(URI.create("http://localhost:9/"), "f"))
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                new CallbackGuard(List.of("127.0.0.0/8"))
                    .check(URI.create("http://127.1.2.3/"), "f"))
        .doesNotThrowAnyException();
    assertThatCode(
            () -> new CallbackGuard(List.of("::1/128")).check(URI.create("http://[::1]/"), "f"))
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                new CallbackGuard(List.of("10.0.0.0/8"))
                    .check(URI.create("http://[::10.0.0.1]/"), "f"))
        .doesNotThrowAnyException();
  }

  @Test
  void an_allow_list_entry_lets_through_only_what_it_names() {
    CallbackGuard allowing =
        new CallbackGuard(List.of("127.0.0.0/8", "internal.example", "fd00::/8"));

    assertThatThrownBy(() -> allowing.check(URI.create("http://10.0.0.1/"), "callbackUrl"))
        .hasMessageContaining("private address");
    assertThatThrownBy(() -> allowing.check(URI.create("http://[::1]/"), "callbackUrl"))
        .hasMessageContaining("loopback address");
    assertThatThrownBy(() -> allowing.check(URI.create("http://[fe80::1]/"), "callbackUrl"))
        .hasMessageContaining("link-local address");
    assertThat(allowing.resolveAllowed(URI.create("http://[fd00:ec2::254]/"))).hasSize(1);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      10.0.0.0/33         | has a prefix length that is not between 0 and 32
      fd00::/129          | has a prefix length that is not between 0 and 128
      10.0.0.0/x          | has a prefix length that is not between 0 and 32
      300.1.1.1           | is not a valid IP address
      10.1                | is not a valid IP address
      fe80::zz            | is not a valid IP address
      fe80::1%eth0        | is not a valid IP address
      not a host!         | is not a host name, an IP address or a CIDR range
      http://example.com  | is not a CIDR range such as 10.0.0.0/8 or fd00::/8
      """)
  void malformed_allow_list_entries_are_refused_quoting_them(String entry, String problem) {
    assertThatThrownBy(() -> new CallbackGuard(List.of(entry)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + entry + "'")
        .hasMessageContaining(problem.strip());
  }

  @Test
  void an_empty_allow_list_entry_is_refused() {
    assertThatThrownBy(() -> new CallbackGuard(List.of(" "))).hasMessageContaining("is empty");
  }

  private AbstractThrowableAssert<?, ? extends Throwable> assertRefused(String url) {
    return assertThatThrownBy(() -> guard.check(URI.create(url.strip()), "callbackUrl"))
        .isInstanceOf(InvalidInputException.class)
        .satisfies(
            e -> {
              assertThat(((InvalidInputException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
              assertThat(((InvalidInputException) e).field()).isEqualTo("callbackUrl");
            });
  }
}
