package dev.dbsnap.job;

import java.time.Instant;

/**
 * Writes the webhook event of a finished job; the HTTP API supplies it, since the event carries the
 * job's status document and its links. Must be a pure function, so that every attempt of a delivery
 * sends the same bytes.
 */
@FunctionalInterface
public interface WebhookEvents {
  /**
   * The event body for {@code job} (without its delivery record), stamped {@code at}.
   *
   * @param job the job in a terminal state
   * @param at when it finished
   */
  byte[] event(Job job, Instant at);
}
