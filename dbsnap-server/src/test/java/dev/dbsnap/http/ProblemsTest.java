package dev.dbsnap.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.source.SourceException;
import org.junit.jupiter.api.Test;

/**
 * The one mapping from error codes to HTTP statuses covers the codes that name a source's cause.
 */
class ProblemsTest {
  private static SourceException refused(ErrorCode code) {
    return new SourceException(
        code,
        "cannot connect to jdbc:postgresql://db/app: FATAL: password authentication failed for"
            + " user \"app\"",
        "28P01",
        null,
        false,
        null);
  }

  @Test
  void a_source_that_refuses_the_login_is_a_bad_gateway_naming_the_cause_but_not_the_user() {
    Problems.Problem p = Problems.of(refused(ErrorCode.SOURCE_AUTHENTICATION_FAILED));

    assertThat(p.status()).isEqualTo(502);
    assertThat(p.type()).isEqualTo("source-authentication-failed");
    assertThat(p.detail()).contains("refused this server's login").doesNotContain("app");
    assertThat(Problems.title(502)).isEqualTo("Bad Gateway");
  }

  @Test
  void an_unknown_database_and_a_missing_grant_are_bad_gateways_too() {
    assertThat(Problems.of(refused(ErrorCode.SOURCE_UNKNOWN_DATABASE)))
        .extracting(Problems.Problem::status, Problems.Problem::type)
        .containsExactly(502, "source-unknown-database");
    assertThat(Problems.of(refused(ErrorCode.SOURCE_PERMISSION_DENIED)))
        .extracting(Problems.Problem::status, Problems.Problem::type)
        .containsExactly(502, "source-permission-denied");
  }

  @Test
  void a_request_jetty_could_not_read_is_a_400_however_it_was_wrapped() {
    Problems.Problem cut =
        Problems.of(new java.io.UncheckedIOException(new org.eclipse.jetty.io.EofException("x")));
    assertThat(cut.status()).isEqualTo(400);
    assertThat(cut.type()).isEqualTo("malformed-request");
    assertThat(cut.detail()).startsWith("the request body could not be read");

    assertThat(Problems.of(new RuntimeException(new org.eclipse.jetty.http.BadMessageException())))
        .extracting(Problems.Problem::status, Problems.Problem::type)
        .containsExactly(400, "malformed-request");
    assertThat(Problems.of(new org.eclipse.jetty.http.BadMessageException(431)).status())
        .isEqualTo(431);
    assertThat(Problems.of(new org.eclipse.jetty.http.BadMessageException(500)).status())
        .as("nothing the client sent is the server's fault")
        .isEqualTo(400);
  }

  @Test
  void an_unreachable_source_stays_a_503_to_try_again_later() {
    Problems.Problem p =
        Problems.of(new DbsnapException(ErrorCode.SOURCE_UNAVAILABLE, "connection refused"));

    assertThat(p.status()).isEqualTo(503);
    assertThat(p.type()).isEqualTo("source-unavailable");
  }
}
