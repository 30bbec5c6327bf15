package dev.dbsnap.job;

import dev.dbsnap.DbsnapException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The export workers of one process: {@code count} threads that poll for a claimable job and run
 * it, and one heartbeat thread that renews the leases of running jobs and reads their cancel flags
 * (at least once a second, so a cancel from another process stops a job within about a part's
 * time).
 */
final class Workers {
  private static final Logger log = LoggerFactory.getLogger(Workers.class);

  private final JobRun.Context ctx;
  private final String processId;
  private final Map<String, JobRun> running = new ConcurrentHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private final ScheduledExecutorService heartbeat;
  private final Object wakeUp = new Object();
  private volatile boolean stopping;
  private long lastClaimError;

  Workers(JobRun.Context ctx, String processId) {
    this.ctx = ctx;
    this.processId = processId;
    this.heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "dbsnap-heartbeat");
              t.setDaemon(true);
              return t;
            });
  }

  void start() {
    int count = ctx.config().workers().count();
    if (count <= 0) {
      return;
    }
    Duration beat = ctx.config().workers().heartbeat();
    long tick = Math.max(20, Math.min(beat.toMillis(), 1000));
    heartbeat.scheduleWithFixedDelay(this::beat, tick, tick, TimeUnit.MILLISECONDS);
    for (int i = 1; i <= count; i++) {
      String owner = processId + ":w" + i;
      Thread t = new Thread(() -> loop(owner), "dbsnap-worker-" + i);
      t.setDaemon(true);
      // Exports yield the CPU to API requests and lease heartbeats (see SnapshotCache): their
      // threads inherit this priority, which `dbsnap serve` maps to a higher nice value.
      t.setPriority(Thread.MIN_PRIORITY);
      threads.add(t);
      t.start();
    }
  }

  /** Wakes idle workers: a job was just queued. */
  void wakeUp() {
    synchronized (wakeUp) {
      wakeUp.notifyAll();
    }
  }

  /** The run of a job on this process, if it is running here. */
  Optional<JobRun> running(String jobId) {
    return Optional.ofNullable(running.get(jobId));
  }

  private void loop(String owner) {
    long poll = Math.max(1, ctx.config().workers().poll().toMillis());
    while (!stopping) {
      Optional<Leases.Claimed> claimed;
      try {
        claimed = ctx.leases().claim(owner);
      } catch (DbsnapException e) {
        claimError(e);
        claimed = Optional.empty();
      } catch (RuntimeException e) {
        log.error("worker {}: claiming a job failed", owner, e);
        claimed = Optional.empty();
      }
      if (claimed.isPresent()) {
        JobRun run = new JobRun(claimed.get(), ctx);
        running.put(run.jobId(), run);
        try {
          if (stopping) {
            run.stop();
          }
          run.run();
        } catch (RuntimeException e) {
          log.error(
              "job {}: the worker failed to record its outcome; its lease will expire",
              run.jobId(),
              e);
        } finally {
          running.remove(run.jobId());
        }
        continue;
      }
      synchronized (wakeUp) {
        if (stopping) {
          break;
        }
        try {
          wakeUp.wait(poll);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private synchronized void claimError(DbsnapException e) {
    long now = System.nanoTime();
    if (now - lastClaimError > 30_000_000_000L || lastClaimError == 0) {
      lastClaimError = now;
      log.warn("workers cannot claim jobs: {}", e.getMessage());
    }
  }

  /**
   * Renews due leases and refreshes cancel flags; a lease that cannot be renewed in time is lost.
   */
  private void beat() {
    long beatMillis = ctx.config().workers().heartbeat().toMillis();
    for (JobRun run : running.values()) {
      if (run.leaseLost) {
        continue;
      }
      long now = ctx.clock().millis();
      try {
        if (now - run.lastRenewal >= beatMillis) {
          Leases.Renewal r = ctx.leases().renew(run.lease);
          if (!r.held()) {
            if (run.finishing) {
              continue; // it has just recorded its outcome, which ends the lease
            }
            run.leaseLost = true;
            log.warn(
                "job {}: lease of {} was lost; stopping without touching its objects",
                run.jobId(),
                run.lease.owner());
            continue;
          }
          run.lastRenewal = now;
          run.leaseDeadline = now + ctx.config().workers().leaseTtl().toMillis();
          if (r.cancelRequested()) {
            run.cancelRequested = true;
          }
        } else if (ctx.leases().cancelRequested(run.jobId())) {
          run.cancelRequested = true;
        }
      } catch (RuntimeException e) {
        if (ctx.clock().millis() >= run.leaseDeadline) {
          // Someone else may own it now; continuing could race the new owner.
          run.leaseLost = true;
          log.warn(
              "job {}: lease could not be renewed before it expired ({}); stopping",
              run.jobId(),
              e.getMessage());
        }
      }
    }
  }

  /** Stops every run (each hands its job back) and waits for the worker threads. */
  void stop(Duration wait) {
    stopping = true;
    for (JobRun run : running.values()) {
      run.stop();
    }
    wakeUp();
    long deadline = System.nanoTime() + wait.toNanos();
    for (Thread t : threads) {
      try {
        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (t.isAlive()) {
        log.warn("{} did not stop in time; its job's lease will expire", t.getName());
      }
    }
    heartbeat.shutdownNow();
  }
}
