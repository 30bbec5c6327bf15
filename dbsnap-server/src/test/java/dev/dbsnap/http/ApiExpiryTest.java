package dev.dbsnap.http;

import static dev.dbsnap.http.ApiFixture.ADMIN;
import static dev.dbsnap.http.ApiFixture.assertProblem;
import static dev.dbsnap.http.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.s3.S3Settings;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An export past its retention is gone: 410 on download, {@code expired} in its status. */
class ApiExpiryTest {
  @TempDir Path dir;

  /** System time moved forward by a settable offset, so the janitor sees days pass at once. */
  private static final class ShiftedClock extends Clock {
    private volatile Duration shift = Duration.ZERO;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(shift);
    }
  }

  @Test
  void an_expired_export_answers_410_gone() throws Exception {
    ShiftedClock clock = new ShiftedClock();
    try (ApiFixture api =
        ApiFixture.start(dir, 1, dir.resolve("store").toString(), S3Settings.DEFAULTS, clock)) {
      String id = api.start("demo", "{\"tables\":[\"customers\"]}").path("id").asText();
      assertThat(api.awaitFinished(id).path("status").asText()).isEqualTo("succeeded");
      assertThat(api.get("/v1/exports/" + id + "/download", ADMIN).statusCode()).isEqualTo(200);

      clock.shift = api.config.retention().exports().plusHours(1);
      assertThat(api.jobs.runJanitor().expiredJobs()).contains(id);

      assertThat(json(api.get("/v1/exports/" + id, ADMIN)).path("status").asText())
          .isEqualTo("expired");
      assertProblem(api.get("/v1/exports/" + id + "/download", ADMIN), 410, null);
      assertProblem(
          api.get("/v1/exports/" + id + "/download?object=customers.csv", ADMIN), 410, null);
      assertProblem(api.delete("/v1/exports/" + id, ADMIN), 409, null);
    }
  }
}
