package dev.dbsnap.http;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.config.ServerConfig.TokenConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Checks bearer tokens against the configured SHA-256 hashes. Every configured hash is compared, in
 * constant time, whatever matches, so timing tells nothing about which hash came close.
 */
final class Tokens {
  private static final int MAX_TOKEN_LENGTH = 4096;
  private final List<byte[]> hashes;
  private final List<TokenConfig> tokens;

  Tokens(List<TokenConfig> tokens) {
    this.tokens = List.copyOf(tokens);
    this.hashes =
        tokens.stream()
            .map(
                t ->
                    t.sha256()
                        .toLowerCase(java.util.Locale.ROOT)
                        .getBytes(StandardCharsets.US_ASCII))
            .toList();
  }

  /**
   * The token an {@code Authorization} header value carries.
   *
   * @throws DbsnapException UNAUTHORIZED when it is missing, not a bearer token, or unknown
   */
  TokenConfig authenticate(String authorization) {
    if (authorization == null || authorization.isBlank()) {
      throw new DbsnapException(
          ErrorCode.UNAUTHORIZED, "this route needs an Authorization: Bearer <token> header");
    }
    String header = authorization.strip();
    if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new DbsnapException(
          ErrorCode.UNAUTHORIZED, "the Authorization header must be 'Bearer <token>'");
    }
    String token = header.substring(7).strip();
    if (token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
      throw new DbsnapException(ErrorCode.UNAUTHORIZED, "the bearer token is not valid");
    }
    byte[] presented = sha256Hex(token).getBytes(StandardCharsets.US_ASCII);
    TokenConfig match = null;
    for (int i = 0; i < hashes.size(); i++) {
      if (MessageDigest.isEqual(presented, hashes.get(i)) && match == null) {
        match = tokens.get(i);
      }
    }
    if (match == null) {
      throw new DbsnapException(ErrorCode.UNAUTHORIZED, "the bearer token is not valid");
    }
    return match;
  }

  static String sha256Hex(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
