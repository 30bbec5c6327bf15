package dev.dbsnap.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookSignerTest {
  // The test vector published with the Standard Webhooks reference libraries.
  private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  private static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  private static final long TIMESTAMP = 1614265330;
  private static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
  private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

  @Test
  void signature_matches_the_standard_webhooks_test_vector() {
    Map<String, String> headers = new WebhookSigner(SECRET).headers(ID, TIMESTAMP, BODY);

    assertThat(headers)
        .containsExactly(
            Map.entry("webhook-id", ID),
            Map.entry("webhook-timestamp", "1614265330"),
            Map.entry("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
  }

  @Test
  void the_test_vector_verifies_among_other_signatures_and_with_header_names_in_any_case() {
    Map<String, String> headers =
        Map.of(
            "Webhook-Id", ID,
            "WEBHOOK-TIMESTAMP", "1614265330",
            "webhook-signature",
                "v2,abc v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

    assertThat(new WebhookSigner(SECRET).verify(headers, BODY, TIMESTAMP + 10, FIVE_MINUTES))
        .isTrue();
  }

  @Test
  void signed_headers_verify_with_a_new_secret() {
    WebhookSigner signer = new WebhookSigner(WebhookSigner.newSecret());
    byte[] body = "{\"type\":\"export.succeeded\"}".getBytes(StandardCharsets.UTF_8);

    Map<String, String> headers = signer.headers("msg_1", 1_700_000_000, body);

    assertThat(signer.verify(headers, body, 1_700_000_000, FIVE_MINUTES)).isTrue();
  }

  @Test
  void a_tampered_body_is_rejected() {
    WebhookSigner signer = new WebhookSigner(SECRET);
    Map<String, String> headers = signer.headers(ID, TIMESTAMP, BODY);

    byte[] tampered = "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8);
    assertThat(signer.verify(headers, tampered, TIMESTAMP, FIVE_MINUTES)).isFalse();
  }

  @Test
  void a_timestamp_outside_the_tolerance_is_rejected_either_way() {
    WebhookSigner signer = new WebhookSigner(SECRET);
    Map<String, String> headers = signer.headers(ID, TIMESTAMP, BODY);

    assertThat(signer.verify(headers, BODY, TIMESTAMP + 300, FIVE_MINUTES)).isTrue();
    assertThat(signer.verify(headers, BODY, TIMESTAMP + 301, FIVE_MINUTES)).isFalse();
    assertThat(signer.verify(headers, BODY, TIMESTAMP - 301, FIVE_MINUTES)).isFalse();
  }

  @Test
  void a_changed_id_or_timestamp_or_another_secret_is_rejected() {
    WebhookSigner signer = new WebhookSigner(SECRET);
    Map<String, String> headers = signer.headers(ID, TIMESTAMP, BODY);

    Map<String, String> otherId = new HashMap<>(headers);
    otherId.put("webhook-id", "msg_other");
    Map<String, String> otherTime = new HashMap<>(headers);
    otherTime.put("webhook-timestamp", Long.toString(TIMESTAMP + 1));

    assertThat(signer.verify(otherId, BODY, TIMESTAMP, FIVE_MINUTES)).isFalse();
    assertThat(signer.verify(otherTime, BODY, TIMESTAMP, FIVE_MINUTES)).isFalse();
    assertThat(
            new WebhookSigner(WebhookSigner.newSecret())
                .verify(headers, BODY, TIMESTAMP, FIVE_MINUTES))
        .isFalse();
  }

  @Test
  void missing_or_malformed_headers_are_rejected_without_an_exception() {
    WebhookSigner signer = new WebhookSigner(SECRET);

    assertThat(signer.verify(Map.of(), BODY, TIMESTAMP, FIVE_MINUTES)).isFalse();
    assertThat(
            signer.verify(
                Map.of("webhook-id", ID, "webhook-timestamp", "soon", "webhook-signature", "v1,x"),
                BODY,
                TIMESTAMP,
                FIVE_MINUTES))
        .isFalse();
    assertThat(
            signer.verify(
                Map.of(
                    "webhook-id",
                    ID,
                    "webhook-timestamp",
                    "1614265330",
                    "webhook-signature",
                    "v1,not base64!"),
                BODY,
                TIMESTAMP,
                FIVE_MINUTES))
        .isFalse();
  }

  @Test
  void a_raw_secret_without_the_prefix_is_used_as_its_utf8_bytes() {
    String raw = "plain text secret";
    String prefixed =
        "whsec_" + Base64.getEncoder().encodeToString(raw.getBytes(StandardCharsets.UTF_8));

    assertThat(new WebhookSigner(raw).headers(ID, TIMESTAMP, BODY))
        .isEqualTo(new WebhookSigner(prefixed).headers(ID, TIMESTAMP, BODY));
  }

  @Test
  void a_new_secret_is_whsec_and_32_random_bytes() {
    String secret = WebhookSigner.newSecret();

    assertThat(secret).startsWith("whsec_").isNotEqualTo(WebhookSigner.newSecret());
    assertThat(Base64.getDecoder().decode(secret.substring(6))).hasSize(32);
  }

  @Test
  void blank_or_malformed_secrets_are_refused_without_quoting_them() {
    assertThatThrownBy(() -> new WebhookSigner(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("webhook secret is blank");
    assertThatThrownBy(() -> new WebhookSigner(null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new WebhookSigner("whsec_"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no key after the whsec_ prefix");
    assertThatThrownBy(() -> new WebhookSigner("whsec_s3cr3t!!"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not valid base64")
        .hasMessageNotContaining("s3cr3t");
  }
}
