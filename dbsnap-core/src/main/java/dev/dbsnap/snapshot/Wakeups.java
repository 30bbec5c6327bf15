package dev.dbsnap.snapshot;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Wakes the threads waiting for a build when it ends: in this process directly, and from other
 * processes by PostgreSQL NOTIFY, which the index sends in the transaction that ends the build. A
 * waiter registers (takes the ticket) before it re-checks the index, so an end between its check
 * and its wait still wakes it; every wait is bounded (about a second), so a lost notification costs
 * one re-check. Thread-safe.
 */
final class Wakeups implements AutoCloseable {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Map<String, Long> generations = new ConcurrentHashMap<>();
  private final Clock clock;
  private final LongConsumer latencyMillis;
  private final Thread listener;
  private volatile boolean closed;

  /**
   * @param postgres a PostgreSQL control database to LISTEN on, or null for this process only
   */
  Wakeups(DataSource postgres, Clock clock, LongConsumer latencyMillis) {
    this.clock = clock;
    this.latencyMillis = latencyMillis;
    if (postgres == null) {
      listener = null;
      return;
    }
    listener = new Thread(() -> listen(postgres), "dbsnap-snapshot-listen");
    listener.setDaemon(true);
    listener.start();
  }

  /** A ticket for the build's next end; take it before re-checking the index. */
  long ticket(String build) {
    return generations.getOrDefault(build, 0L);
  }

  /** Waits until the build ended after {@code ticket} was taken, or {@code max} passed. */
  void await(String build, long ticket, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    lock.lock();
    try {
      while (generations.getOrDefault(build, 0L) == ticket && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The build ended; wake its waiters. */
  void ended(String build) {
    lock.lock();
    try {
      generations.merge(build, 1L, Long::sum);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void listen(DataSource db) {
    while (!closed) {
      try (Connection c = db.getConnection()) {
        try (Statement st = c.createStatement()) {
          st.execute("LISTEN " + SnapshotIndex.CHANNEL);
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        // After (re)connecting, anything may have ended: wake everyone to re-check.
        wakeAll();
        while (!closed) {
          PGNotification[] notes = pg.getNotifications(500);
          if (notes == null) {
            continue;
          }
          for (PGNotification n : notes) {
            String payload = n.getParameter();
            int bar = payload.lastIndexOf('|');
            String build = bar < 0 ? payload : payload.substring(0, bar);
            if (bar >= 0) {
              try {
                latencyMillis.accept(clock.millis() - Long.parseLong(payload.substring(bar + 1)));
              } catch (NumberFormatException ignored) {
                // a payload of another version: the wake-up still counts
              }
            }
            ended(build);
          }
        }
      } catch (SQLException e) {
        if (!closed) {
          wakeAll();
          sleepQuietly(1000);
        }
      }
    }
  }

  private void wakeAll() {
    lock.lock();
    try {
      generations.replaceAll((k, v) -> v + 1);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void sleepQuietly(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }

  @Override
  public void close() {
    closed = true;
    if (listener != null) {
      listener.interrupt();
    }
    wakeAll();
  }
}
