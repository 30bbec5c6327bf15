package dev.dbsnap.webhook;

import dev.dbsnap.DbsnapException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers webhook events: one thread per process claims a due delivery from {@link Deliveries},
 * makes one signed attempt (after checking the callback's host again with the {@link
 * CallbackGuard}) and hands the outcome back to be recorded, which decides on a retry. While an
 * attempt runs its claim lasts twice the timeout and 30 s more, so that two processes never send
 * the same attempt and a dead process's delivery becomes due again. Thread-safe.
 */
public final class WebhookDispatcher {
  private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);

  private final Deliveries deliveries;
  private final WebhookSender sender;
  private final Duration timeout;
  private final long pollMillis;
  private final Object wakeUp = new Object();
  private final Thread thread;
  private volatile boolean stopping;

  /**
   * A dispatcher, not yet started.
   *
   * @param timeout the longest one attempt may take, to connect and again for the whole exchange
   * @param poll how often to look for due deliveries without being woken up (held to 20 ms..1 s)
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public WebhookDispatcher(
      Deliveries deliveries,
      WebhookSigner signer,
      CallbackGuard guard,
      Duration timeout,
      Clock clock,
      Duration poll) {
    this.deliveries = Objects.requireNonNull(deliveries, "deliveries");
    this.sender = new WebhookSender(signer, guard, timeout, clock);
    this.timeout = timeout;
    this.pollMillis = Math.max(20, Math.min(poll.toMillis(), 1000));
    this.thread = new Thread(this::loop, "dbsnap-webhooks");
    this.thread.setDaemon(true);
  }

  /** Starts the dispatcher's thread. */
  public void start() {
    thread.start();
  }

  /** Looks for due deliveries now, as when a job has just finished. */
  public void wakeUp() {
    synchronized (wakeUp) {
      wakeUp.notifyAll();
    }
  }

  /** Stops the thread, waiting for an attempt in flight (at most the timeout and 5 s more). */
  public void stop() {
    stopping = true;
    wakeUp();
    sender.close();
    try {
      thread.join(timeout.toMillis() + 5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void loop() {
    while (!stopping) {
      try {
        while (!stopping && deliverOne()) {
          // keep going while deliveries are due
        }
      } catch (DbsnapException e) {
        log.warn("webhook deliveries paused: {}", e.getMessage());
      } catch (RuntimeException e) {
        log.error("webhook dispatcher failed", e);
      }
      synchronized (wakeUp) {
        if (stopping) {
          return;
        }
        try {
          wakeUp.wait(pollMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** Claims and makes one due attempt; false when none is due. */
  boolean deliverOne() {
    Optional<Delivery> claimed = deliveries.claim(timeout.multipliedBy(2).plusSeconds(30));
    if (claimed.isEmpty()) {
      return false;
    }
    Delivery d = claimed.get();
    deliveries.record(d, sender.send(d.url(), d.eventId(), d.body()));
    return true;
  }
}
