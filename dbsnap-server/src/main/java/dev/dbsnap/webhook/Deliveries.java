package dev.dbsnap.webhook;

import java.time.Duration;
import java.util.Optional;

/**
 * Where webhook deliveries wait: the job store claims due ones for {@link WebhookDispatcher} and
 * records the outcome of each attempt, deciding when (and whether) to try again. Implementations
 * must be safe for use by one dispatcher thread per process, with several processes sharing the
 * store.
 */
public interface Deliveries {
  /**
   * Claims one due delivery so that no other dispatcher makes the same attempt, for at most {@code
   * lease} (after which it is due again, should this process die).
   *
   * @return the delivery, or empty when none is due or another dispatcher won the claim
   */
  Optional<Delivery> claim(Duration lease);

  /** Records the outcome of an attempt on {@code delivery} and schedules the next one, if any. */
  void record(Delivery delivery, DeliveryResult result);
}
