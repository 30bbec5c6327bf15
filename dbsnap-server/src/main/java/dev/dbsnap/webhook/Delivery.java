package dev.dbsnap.webhook;

import java.net.URI;
import java.util.Objects;

/**
 * A claimed delivery: the event to send, and the claim it was made under.
 *
 * @param jobId the job whose event this is
 * @param claim the version the claim set; recording the attempt checks it
 * @param url where to send the event
 * @param eventId the event's id, the same on every attempt
 * @param body the event's bytes, the same on every attempt
 */
public record Delivery(String jobId, long claim, URI url, String eventId, byte[] body) {
  public Delivery {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(body, "body");
    if (eventId == null || eventId.isBlank()) {
      throw new IllegalArgumentException("the delivery of job " + jobId + " has no event id");
    }
  }
}
