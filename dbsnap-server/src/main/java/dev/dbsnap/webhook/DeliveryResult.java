package dev.dbsnap.webhook;

/**
 * The outcome of one delivery attempt.
 *
 * @param status the HTTP status received, or 0 when no answer came (refused, unreachable, timed
 *     out)
 * @param error what went wrong in a few words, or null when an answer came that says it all
 */
public record DeliveryResult(int status, String error) {
  public DeliveryResult {
    if (status != 0 && (status < 100 || status > 599)) {
      throw new IllegalArgumentException("HTTP status " + status + " is outside 100..599");
    }
    if (status == 0 && (error == null || error.isBlank())) {
      throw new IllegalArgumentException("a result without a status needs an error");
    }
  }

  /** Whether the receiver accepted the event (a 2xx answer). */
  public boolean delivered() {
    return status >= 200 && status < 300;
  }
}
