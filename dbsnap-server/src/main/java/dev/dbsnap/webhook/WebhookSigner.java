package dev.dbsnap.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies webhook deliveries as <a href="https://www.standardwebhooks.com">Standard
 * Webhooks</a> do, so that a receiver can use any of that specification's libraries: the signed
 * content is {@code id.timestamp.body}, signed with HMAC-SHA256, and sent as {@code
 * webhook-signature: v1,<base64>}. Instances are immutable and safe to share between threads.
 */
public final class WebhookSigner {
  /** Header holding the event id, the same in every attempt of one event. */
  public static final String ID = "webhook-id";

  /** Header holding the time of the attempt, in seconds since the epoch. */
  public static final String TIMESTAMP = "webhook-timestamp";

  /** Header holding the space-separated {@code v1,<base64>} signatures. */
  public static final String SIGNATURE = "webhook-signature";

  private static final String PREFIX = "whsec_";
  private static final String ALGORITHM = "HmacSHA256";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  /**
   * Signs with the given secret: {@code whsec_} followed by the base64 key, or any other text,
   * whose UTF-8 bytes are then the key.
   *
   * @throws IllegalArgumentException if the secret is null, blank, or {@code whsec_} without a
   *     base64 key after it (the message never quotes the secret)
   */
  public WebhookSigner(String secret) {
    if (secret == null || secret.isBlank()) {
      throw new IllegalArgumentException("webhook secret is blank");
    }
    byte[] bytes;
    if (secret.startsWith(PREFIX)) {
      try {
        bytes = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "webhook secret after the whsec_ prefix is not valid base64");
      }
      if (bytes.length == 0) {
        throw new IllegalArgumentException("webhook secret has no key after the whsec_ prefix");
      }
    } else {
      bytes = secret.getBytes(StandardCharsets.UTF_8);
    }
    this.key = new SecretKeySpec(bytes, ALGORITHM);
  }

  /** A new random secret: {@code whsec_} and the base64 of 32 random bytes. */
  public static String newSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getEncoder().encodeToString(bytes);
  }

  /**
   * The three headers that sign one delivery attempt of {@code body}, in the order id, timestamp,
   * signature.
   *
   * @throws IllegalArgumentException if the message id is blank or the timestamp negative
   */
  public Map<String, String> headers(String messageId, long timestampSeconds, byte[] body) {
    if (messageId == null || messageId.isBlank()) {
      throw new IllegalArgumentException("webhook message id is blank");
    }
    if (timestampSeconds < 0) {
      throw new IllegalArgumentException("webhook timestamp " + timestampSeconds + " is negative");
    }
    Objects.requireNonNull(body, "body");
    String timestamp = Long.toString(timestampSeconds);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(ID, messageId);
    headers.put(TIMESTAMP, timestamp);
    headers.put(
        SIGNATURE, "v1," + Base64.getEncoder().encodeToString(sign(messageId, timestamp, body)));
    return Collections.unmodifiableMap(headers);
  }

  /**
   * Whether {@code headers} (names in any case) carry a valid {@code v1} signature of {@code body}
   * made with this secret, at a timestamp no further than {@code tolerance} from {@code
   * nowSeconds}. Missing or malformed headers give false, never an exception.
   */
  public boolean verify(
      Map<String, String> headers, byte[] body, long nowSeconds, Duration tolerance) {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(tolerance, "tolerance");
    String id = header(headers, ID);
    String timestamp = header(headers, TIMESTAMP);
    String signatures = header(headers, SIGNATURE);
    if (id == null
        || timestamp == null
        || signatures == null
        || !timestamp.matches("[0-9]{1,18}")) {
      return false;
    }
    if (Math.abs(nowSeconds - Long.parseLong(timestamp)) > tolerance.toSeconds()) {
      return false;
    }
    byte[] expected = sign(id, timestamp, body);
    boolean match = false;
    for (String candidate : signatures.trim().split(" +")) {
      if (!candidate.startsWith("v1,")) {
        continue;
      }
      byte[] given;
      try {
        given = Base64.getDecoder().decode(candidate.substring(3));
      } catch (IllegalArgumentException e) {
        continue;
      }
      // Keep comparing after a match so that timing says nothing about which candidate matched.
      match |= MessageDigest.isEqual(expected, given);
    }
    return match;
  }

  private static String header(Map<String, String> headers, String name) {
    if (headers == null) {
      return null;
    }
    for (Map.Entry<String, String> entry : headers.entrySet()) {
      if (entry.getKey() != null && entry.getKey().toLowerCase(Locale.ROOT).equals(name)) {
        return entry.getValue();
      }
    }
    return null;
  }

  private byte[] sign(String id, String timestamp, byte[] body) {
    try {
      // Mac is not thread-safe; a fresh one per signature costs microseconds.
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
