package dev.dbsnap.snapshot;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Checkpoint;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.DialectKind;
import dev.dbsnap.source.SchemaOptions;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.SourceException;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.TableSelection;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import dev.dbsnap.track.ChangeTracking;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * Versioned table snapshots, each built once however many callers and processes ask (DESIGN 9, 10).
 * A snapshot is one table in one format as one immutable object at {@code
 * {prefix}snapshots/{source}/{schema.table}/v{version}-{shape}.{ext}}; its version is read in the
 * same transaction as its rows, so the object holds exactly that version's data.
 *
 * <p>A request first reads the table's version and shape (no rows) and answers from the index when
 * the snapshot exists ({@link Snapshot.Outcome#HIT}). Otherwise callers of one key in this process
 * share one build; across processes sharing a PostgreSQL control database, a build lease elects one
 * builder, the others wait for its NOTIFY (with a bounded re-check), and when the builder dies
 * exactly one waiter takes the lease over and continues from the build's last checkpoint. A failed
 * build fails every caller that joined it, once, and is not cached. A caller that stops waiting
 * never cancels the build.
 *
 * <p>Thread-safe; build one per store and control database and close it when done.
 */
public final class SnapshotCache implements AutoCloseable {
  /** Bump when a format's bytes change, so that old snapshots are not served for new ones. */
  static final String FORMAT_REVISION = "2";

  private final ObjectStore store;
  private final SnapshotIndex index;
  private final Clock clock;
  private final ExecutorService executor;
  private final boolean ownExecutor;
  final ScheduledExecutorService
      heartbeats; // package-private: tests stop it to play a dead process
  private final Wakeups wakeups;
  private final String prefix;
  private final Duration leaseTtl;
  private final Duration recheck;
  private final Duration grace;
  private final long maxBytes;
  private final long maxTotalBytes;
  private final int partSize;
  private final Events events;
  private final String owner = "snap-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID();
  private final Map<String, CompletableFuture<Snapshot>> inFlight = new ConcurrentHashMap<>();
  private final Map<String, TableSchema> described = new ConcurrentHashMap<>();
  private final Prober prober = new Prober();

  /** How often a build may fold its source's change log: {@link #foldChangeLog}. */
  static final Duration FOLD_EVERY = Duration.ofSeconds(10);

  /** Per source URL: {@link System#nanoTime} of the last fold. */
  private final Map<String, Long> lastFold = new ConcurrentHashMap<>();

  private SnapshotCache(Builder b) {
    this.store = Objects.requireNonNull(b.store, "store");
    this.index = new SnapshotIndex(Objects.requireNonNull(b.controlDb, "controlDb"));
    this.clock = b.clock;
    this.ownExecutor = b.executor == null;
    this.executor =
        b.executor != null
            ? b.executor
            : Executors.newCachedThreadPool(
                r -> {
                  Thread t = new Thread(r, "dbsnap-snapshot");
                  t.setDaemon(true);
                  return t;
                });
    this.heartbeats =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "dbsnap-snapshot-lease");
              t.setDaemon(true);
              return t;
            });
    this.prefix = b.prefix;
    this.leaseTtl = b.leaseTtl;
    this.recheck = b.recheck;
    this.grace = b.grace;
    this.maxBytes = b.maxBytes;
    this.maxTotalBytes = b.maxTotalBytes;
    this.partSize = b.partSize;
    this.events = b.events;
    index.init();
    this.wakeups = new Wakeups(index.postgres() ? index.dataSource() : null, clock, events::wokeUp);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The snapshot of {@code table} now, waiting as long as its build takes.
   *
   * @param sourceName the source's name in keys and the index ({@code [a-z0-9_-]+})
   * @param table {@code name} or {@code schema.name}
   * @throws DbsnapException UNKNOWN_TABLE, SNAPSHOT_TOO_LARGE, CANCELLED when interrupted, or the
   *     build's failure (every caller that joined a failed build gets it once)
   */
  public Snapshot get(String sourceName, Source source, String table, SnapshotOptions options) {
    try {
      return request(sourceName, source, table, options).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbsnapException(ErrorCode.CANCELLED, "interrupted while waiting for a snapshot");
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    }
  }

  /**
   * Like {@link #get} but waits at most {@code wait}; the build goes on either way.
   *
   * @throws DbsnapException SNAPSHOT_NOT_READY when it is not ready in time
   */
  public Snapshot get(
      String sourceName, Source source, String table, SnapshotOptions options, Duration wait) {
    try {
      return request(sourceName, source, table, options).get(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbsnapException(ErrorCode.CANCELLED, "interrupted while waiting for a snapshot");
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    } catch (TimeoutException e) {
      throw new DbsnapException(
          ErrorCode.SNAPSHOT_NOT_READY,
          "the snapshot of " + table + " is not ready after " + wait + "; its build goes on");
    }
  }

  /**
   * Like {@link #get(String, Source, String, SnapshotOptions, Duration)}, but the table's version
   * and shape are read through {@code probes}: the same database reached another way, such as a
   * small pool of its own, so that a hit does not queue behind the connections of running builds.
   *
   * @throws IllegalArgumentException when {@code probes} has another URL than {@code source}
   * @throws DbsnapException as the other {@code get}
   */
  public Snapshot get(
      String sourceName,
      Source source,
      Source probes,
      String table,
      SnapshotOptions options,
      Duration wait) {
    try {
      return request(sourceName, source, probes, table, options)
          .get(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbsnapException(ErrorCode.CANCELLED, "interrupted while waiting for a snapshot");
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    } catch (TimeoutException e) {
      throw new DbsnapException(
          ErrorCode.SNAPSHOT_NOT_READY,
          "the snapshot of " + table + " is not ready after " + wait + "; its build goes on");
    }
  }

  /**
   * Asks for the snapshot and returns at once. Cancelling the returned future stops this caller's
   * wait only, never the build. The version and the index are read in the calling thread, so a hit
   * comes back completed.
   */
  public CompletableFuture<Snapshot> request(
      String sourceName, Source source, String table, SnapshotOptions options) {
    return request(sourceName, source, source, table, options);
  }

  /**
   * Like {@link #request(String, Source, String, SnapshotOptions)}, reading the table's version and
   * shape through {@code probes} (the same database reached another way) and building from {@code
   * source}.
   *
   * @throws IllegalArgumentException when {@code probes} has another URL than {@code source}
   */
  public CompletableFuture<Snapshot> request(
      String sourceName, Source source, Source probes, String table, SnapshotOptions options) {
    checkName(sourceName);
    if (!probes.url().equals(source.url())) {
      throw new IllegalArgumentException(
          "probes reach " + probes.safeUrl() + ", not the source " + source.safeUrl());
    }
    Looked look =
        together(
            new LookKey(sourceName, probes.url(), table, options),
            () -> look(sourceName, probes, table, options));
    Probe probe = look.probe();
    boolean tracked = look.tracked();
    String build = look.build();
    Optional<Snapshot> hit = look.hit();
    if (hit.isPresent()) {
      events.requested(Snapshot.Outcome.HIT);
      return CompletableFuture.completedFuture(hit.get());
    }
    String name = probe.table().displayName();
    CompletableFuture<Snapshot> fresh = new CompletableFuture<>();
    CompletableFuture<Snapshot> shared = inFlight.putIfAbsent(build, fresh);
    boolean mine = shared == null;
    if (mine) {
      shared = fresh;
      // Leaves the map before it completes, so no caller arriving after the end joins it.
      executor.execute(
          () -> {
            // Builds yield the CPU to hits: the thread, and the upload and hashing threads it
            // starts (they inherit it), run at the lowest priority while building. The JVM maps
            // that to a higher nice value only under -XX:ThreadPriorityPolicy=1, as `dbsnap serve`
            // runs; elsewhere it changes nothing.
            Thread self = Thread.currentThread();
            int priority = self.getPriority();
            self.setPriority(Thread.MIN_PRIORITY);
            try {
              Snapshot s = coordinate(build, tracked, sourceName, source, name, options);
              inFlight.remove(build, fresh);
              fresh.complete(s);
            } catch (Throwable t) {
              inFlight.remove(build, fresh);
              fresh.completeExceptionally(t);
            } finally {
              self.setPriority(priority);
            }
          });
    }
    CompletableFuture<Snapshot> answer =
        mine ? shared.copy() : shared.thenApply(s -> s.withOutcome(Snapshot.Outcome.JOINED));
    answer.thenAccept(s -> events.requested(s.outcome()));
    return answer;
  }

  /** What requests for one table, in one format, at one moment share. */
  private record LookKey(String sourceName, String url, String table, SnapshotOptions options) {}

  /** The table's version and shape, the build they name, and the snapshot if it is ready. */
  private record Looked(Probe probe, boolean tracked, String build, Optional<Snapshot> hit) {}

  /** Requests waiting for the next look of a key, and whether a look of it is on its way. */
  private static final class LookGroup {
    CompletableFuture<Looked> open;
    CompletableFuture<Void> busy;
  }

  private final Map<LookKey, LookGroup> looking = new ConcurrentHashMap<>();

  /**
   * {@code look} for this request, shared with the requests for the same key that arrive while
   * another look of it is on its way: they wait for it to end, then one of them looks for all of
   * them. A look that began before a request arrived never answers it, since a change committed in
   * between would be missed, so each answer is as fresh as a look of the request's own; 100
   * concurrent requests cost a few looks instead of 100 round trips to the source and the index.
   */
  private Looked together(LookKey key, java.util.function.Supplier<Looked> look) {
    LookGroup g = looking.computeIfAbsent(key, k -> new LookGroup());
    CompletableFuture<Looked> mine;
    synchronized (g) {
      if (g.open == null) {
        g.open = new CompletableFuture<>();
      }
      mine = g.open;
    }
    while (!mine.isDone()) {
      CompletableFuture<Void> busy;
      boolean lead = false;
      synchronized (g) {
        if (g.busy == null && g.open == mine) {
          g.open = null; // later arrivals wait for the next look
          g.busy = new CompletableFuture<>();
          lead = true;
        }
        busy = g.busy;
      }
      if (lead) {
        try {
          mine.complete(look.get());
        } catch (Throwable t) {
          mine.completeExceptionally(t);
        } finally {
          synchronized (g) {
            g.busy = null;
            if (g.open == null) {
              // idle: dropped, so keys asked for once (any maxAge) do not pile up; a request that
              // still holds this group leads its own look, which is as fresh
              looking.remove(key, g);
            }
          }
          busy.complete(null);
        }
      } else if (busy != null) {
        // our look, or the one before it, ends: then ours is done, or one of us leads it
        CompletableFuture.anyOf(mine, busy).handle((x, e) -> null).join();
      }
    }
    try {
      return mine.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  private Looked look(String sourceName, Source probes, String table, SnapshotOptions options) {
    Probe probe = probe(probes, table, options);
    Instant now = clock.instant();
    boolean tracked = probe.version() != null;
    // a tracked table's build is named by the snapshot's key; an untracked one's by its shape
    String build =
        tracked
            ? key(sourceName, probe.table(), probe.version(), probe.shape(), options)
            : dir(sourceName, probe.table()) + "u-" + probe.shape() + "." + extension(options);
    Optional<Snapshot> hit =
        tracked
            ? index.hit(build, now)
            : options.maxAge() == null
                ? Optional.empty()
                : index.newestSince(
                    sourceName,
                    probe.table().displayName(),
                    probe.shape(),
                    now.minus(options.maxAge()));
    if (hit.isPresent() && !tracked) {
      index.hit(hit.get().key(), now); // marks it used
    }
    return new Looked(probe, tracked, build, hit);
  }

  /**
   * A URL that lets anyone read the snapshot for {@code ttl}, or empty when the store cannot
   * presign (a local directory: serve the bytes instead).
   */
  public Optional<URI> presign(Snapshot snapshot, Duration ttl) {
    return store.presignedGet(snapshot.key(), ttl);
  }

  /**
   * Deletes every snapshot of the table, from the index and the store, and moves its generation
   * forward: a build that started before can never register, be served or leave its object. For
   * erasure requests: afterwards nothing of the table remains in the store or the index.
   *
   * @return the number of objects deleted
   */
  public int purge(String sourceName, String table) {
    checkName(sourceName);
    List<String> keys = index.purge(sourceName, table);
    for (String key : keys) {
      store.delete(key);
    }
    events.purged();
    return keys.size();
  }

  /** The snapshots of a source in the index, oldest first within each table. */
  public List<Snapshot> list(String sourceName) {
    return index.list(sourceName);
  }

  /** When a snapshot was last asked for. */
  public Instant lastUsed(Snapshot snapshot) {
    return Instant.ofEpochMilli(index.lastUsed(snapshot.key()));
  }

  /** Builds of a table counted in the control database, take-overs included. */
  public long builds(String sourceName, String table) {
    return index.runs(sourceName, table);
  }

  /**
   * Reconciles the store with the index: deletes versions superseded longer ago than the grace
   * period, objects under the snapshot prefix that the index has not known for a grace period, and
   * multipart uploads older than the grace period that no build is continuing.
   *
   * @return the number of objects deleted plus uploads aborted
   */
  public int reap() {
    Instant now = clock.instant();
    int removed = 0;
    for (String key : index.removeSuperseded(now.minus(grace))) {
      store.delete(key);
      removed++;
    }
    String root = prefix + "snapshots/";
    for (ObjectInfo o : store.list(root)) {
      if (index.known(o.key())) {
        index.forgetOrphan(o.key());
        continue;
      }
      if (!index.firstSeenOrphan(o.key(), now).isAfter(now.minus(grace))) {
        store.delete(o.key());
        index.forgetOrphan(o.key());
        removed++;
      }
    }
    List<String> live = index.liveCheckpoints();
    for (PendingUpload u : store.pendingUploads(root)) {
      boolean owned = live.stream().anyMatch(c -> c.contains(u.uploadId()));
      if (!owned && u.initiated() != null && u.initiated().isBefore(now.minus(grace))) {
        store.resumeMultipart(u.key(), u.uploadId()).abort();
        removed++;
      }
    }
    return removed;
  }

  @Override
  public void close() {
    wakeups.close();
    heartbeats.shutdownNow();
    if (ownExecutor) {
      executor.shutdownNow();
    }
  }

  // ---- a request

  /** What a request learns before deciding: the table, its version (null untracked), its shape. */
  record Probe(TableSchema table, Long version, String shape) {}

  private Probe probe(Source source, String table, SnapshotOptions options) {
    String cacheKey = source.url() + "\n" + table;
    try (Connection c = source.connect()) {
      TableSchema t = described.get(cacheKey);
      if (t != null) {
        // a table introspected before keeps its description while its columns stay the same
        if (!c.getAutoCommit()) {
          c.rollback();
          c.setAutoCommit(true);
        }
        Prober.Look look = prober.look(c, source, t);
        if (look.columns().equals(Prober.columns(t))) {
          return new Probe(t, look.version(), shape(t, options));
        }
      }
      // first asked, or its columns changed: introspect, and read the version in the same snapshot
      source.dialect().beginSnapshot(c);
      DatabaseSchema schema =
          source
              .dialect()
              .introspect(
                  c,
                  new TableSelection(List.of(), List.of(table), List.of()),
                  SchemaOptions.TABLES_ONLY);
      if (!schema.partitioned().isEmpty()) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT,
            "'"
                + table
                + "' is a partitioned table, whose rows are in "
                + schema.tables().size()
                + " partitions; a snapshot holds one table, so export it instead");
      }
      if (schema.tables().size() != 1) {
        throw new DbsnapException(
            ErrorCode.UNKNOWN_TABLE, "'" + table + "' names " + schema.tables().size() + " tables");
      }
      t = schema.tables().get(0);
      described.put(cacheKey, t);
      OptionalLong version = ChangeTracking.version(c, source.kind(), t);
      c.rollback();
      return new Probe(t, version.isPresent() ? version.getAsLong() : null, shape(t, options));
    } catch (SQLException e) {
      throw SourceException.from(
          e, ErrorCode.SOURCE_READ_FAILED, "cannot read the version of " + table, table);
    }
  }

  /** Finds or makes the snapshot of one build key: claims it, waits for it, or takes it over. */
  private Snapshot coordinate(
      String build,
      boolean tracked,
      String sourceName,
      Source source,
      String table,
      SnapshotOptions options) {
    long observed = -1;
    while (true) {
      long ticket = wakeups.ticket(build);
      if (tracked) {
        // a build of this very key may have ended between the caller's look and now
        Optional<Snapshot> done = index.find(build);
        if (done.isPresent()) {
          return done.get().withOutcome(Snapshot.Outcome.JOINED);
        }
      }
      Instant now = clock.instant();
      long generation = index.generation(sourceName, table);
      SnapshotIndex.Claim claim =
          index.claim(
              build, sourceName, table, generation, owner, now, now.plus(leaseTtl), observed);
      SnapshotIndex.Build row = claim.build();
      if (claim.claimed()) {
        Optional<Snapshot> built = build(row, sourceName, source, table, options);
        if (built.isPresent()) {
          return built.get();
        }
        observed = -1; // purged while building, or the lease was lost: ask again
        continue;
      }
      if (row.building()) {
        observed = row.attempt();
        long waitMillis =
            Math.max(1, Math.min(recheck.toMillis(), row.leaseUntil() - now.toEpochMilli() + 1));
        try {
          wakeups.await(build, ticket, Duration.ofMillis(waitMillis));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new DbsnapException(ErrorCode.CANCELLED, "interrupted while waiting for " + build);
        }
        continue;
      }
      // ended in the attempt this caller waited for
      switch (row.state()) {
        case "done" -> {
          Optional<Snapshot> s = index.find(row.resultKey());
          if (s.isPresent()) {
            return s.get().withOutcome(Snapshot.Outcome.JOINED);
          }
          observed = -1; // evicted or purged since: build again
        }
        case "failed" ->
            throw new DbsnapException(
                errorCode(row.errorCode()),
                "the snapshot build of " + table + " failed: " + row.errorMessage());
        default -> observed = -1; // purged: build again under the new generation
      }
    }
  }

  /**
   * After a build of a tracked PostgreSQL table, at most once per {@link #FOLD_EVERY} and source:
   * folds the source's change log, which grows by a row per writing statement and which every probe
   * of a tracked table sums. Builds follow changes, so a source that is written to gets folded
   * while it is, without a job of the user's. The waiters have their snapshot already; only the
   * builder's own caller waits for the fold. Maintenance only: a fold that fails (a login without
   * EXECUTE on {@code dbsnap.fold()}, say) changes no version and is tried again later.
   */
  private void foldChangeLog(Source source, Snapshot built) {
    if (source.kind() != DialectKind.POSTGRESQL || built.version() == null) {
      return;
    }
    long now = System.nanoTime();
    boolean[] due = {false};
    lastFold.compute(
        source.url(),
        (url, last) -> {
          due[0] = last == null || now - last >= FOLD_EVERY.toNanos();
          return due[0] ? now : last;
        });
    if (due[0]) {
      try {
        ChangeTracking.of(source).fold();
      } catch (RuntimeException e) {
        // tried again after the next build, FOLD_EVERY from now
      }
    }
  }

  /**
   * Runs a claimed build, with a heartbeat on its lease and a checkpoint after every part, and
   * registers it. Empty when it must be asked again (purged meanwhile, or the lease was lost).
   */
  private Optional<Snapshot> build(
      SnapshotIndex.Build row,
      String sourceName,
      Source source,
      String tableName,
      SnapshotOptions options) {
    AtomicBoolean lost = new AtomicBoolean();
    AtomicBoolean tooLarge = new AtomicBoolean();
    AtomicReference<Checkpoint> last = new AtomicReference<>();
    ScheduledFuture<?> heartbeat =
        heartbeats.scheduleAtFixedRate(
            () -> {
              try {
                if (!index.renew(
                    row.build(), owner, row.attempt(), clock.instant().plus(leaseTtl))) {
                  lost.set(true);
                }
              } catch (RuntimeException e) {
                // the control database is unreachable: keep trying until the lease runs out
              }
            },
            leaseTtl.toMillis() / 3,
            leaseTtl.toMillis() / 3,
            TimeUnit.MILLISECONDS);
    long started = System.nanoTime();
    AtomicReference<String[]> named = new AtomicReference<>();
    try {
      ExportListener listener =
          new ExportListener() {
            @Override
            public void checkpoint(Checkpoint c) {
              last.set(c);
              if (!index.saveCheckpoint(row.build(), owner, row.attempt(), c.toJson())) {
                lost.set(true);
              }
            }

            @Override
            public void progress(Progress p) {
              if (maxBytes > 0 && p.bytes() > maxBytes) {
                tooLarge.set(true);
              }
            }

            @Override
            public boolean cancelRequested() {
              return lost.get() || tooLarge.get();
            }
          };
      Checkpoint resumeFrom =
          row.checkpoint() == null ? null : Checkpoint.fromJson(row.checkpoint());
      Instant stamp = Instant.ofEpochMilli(row.startedAt());
      Manifest manifest;
      try {
        manifest =
            exporter(sourceName, source, tableName, options, listener, stamp, named, lost)
                .run(resumeFrom, Exporter.OnFailure.CLEAN_UP);
      } catch (DbsnapException e) {
        if (resumeFrom == null || e.code() != ErrorCode.RESUME_FAILED || lost.get()) {
          throw e;
        }
        abortUpload(resumeFrom);
        manifest =
            exporter(sourceName, source, tableName, options, listener, stamp, named, lost)
                .run(null, Exporter.OnFailure.CLEAN_UP);
      }
      Manifest.TableEntry t = manifest.tables().get(0);
      Manifest.ObjectEntry o = manifest.objects().get(0);
      if (maxBytes > 0 && o.bytes() > maxBytes) {
        // progress comes once a part: an object smaller than a part is only measured here
        tooLarge.set(true);
        throw new DbsnapException(ErrorCode.SNAPSHOT_TOO_LARGE, "snapshot too large");
      }
      Snapshot s =
          new Snapshot(
              sourceName,
              t.name(),
              named.get()[0],
              t.version(),
              named.get()[1],
              options.format().extension(),
              options.compression().name().toLowerCase(java.util.Locale.ROOT),
              o.bytes(),
              t.rows(),
              o.sha256(),
              clock.instant(),
              Snapshot.Outcome.BUILT);
      heartbeat.cancel(false);
      switch (index.register(row.build(), owner, row.attempt(), row.generation(), s)) {
        case REGISTERED -> {
          wakeups.ended(row.build());
          events.built(Duration.ofNanos(System.nanoTime() - started), s.bytes());
          if (maxTotalBytes > 0) {
            for (String victim : index.evict(sourceName, maxTotalBytes, s.key())) {
              store.delete(victim);
              events.evicted();
            }
          }
          foldChangeLog(source, s);
          return Optional.of(s);
        }
        case PURGED -> {
          store.delete(s.key());
          wakeups.ended(row.build());
          return Optional.empty();
        }
        default -> {
          return Optional.empty();
        }
      }
    } catch (RuntimeException e) {
      heartbeat.cancel(false);
      if (lost.get()) {
        return Optional.empty(); // the new owner continues from the checkpoint
      }
      DbsnapException failure =
          tooLarge.get()
              ? new DbsnapException(
                  ErrorCode.SNAPSHOT_TOO_LARGE,
                  "the snapshot grew past the limit of " + maxBytes + " bytes per snapshot")
              : e instanceof DbsnapException d
                  ? d
                  : new DbsnapException(ErrorCode.INTERNAL, "snapshot build failed: " + e, e);
      if (named.get() != null) {
        store.delete(named.get()[0]); // failed after its upload completed: it must not stay
      }
      index.fail(
          row.build(), owner, row.attempt(), failure.code(), failure.getMessage(), clock.instant());
      wakeups.ended(row.build());
      throw failure;
    } finally {
      heartbeat.cancel(false);
    }
  }

  private Exporter exporter(
      String sourceName,
      Source source,
      String tableName,
      SnapshotOptions options,
      ExportListener listener,
      Instant stamp,
      AtomicReference<String[]> named,
      AtomicBoolean lost) {
    ExportOptions o =
        ExportOptions.defaults(options.format(), options.compression())
            .withSelection(new TableSelection(List.of(), List.of(tableName), List.of()))
            .withSmallParts(partSize, partSize);
    return new Exporter(
            source,
            store,
            prefix + "snapshots/" + sourceName,
            "build",
            o,
            listener,
            clock,
            listener::cancelRequested)
        .keepForResumeWhen(lost::get)
        .snapshotAt(
            (t, version) -> {
              // named from what the build's own transaction read: its version and its columns
              String shape = shape(t, options);
              String key =
                  version != null
                      ? key(sourceName, t, version, shape, options)
                      : dir(sourceName, t)
                          + "u"
                          + stamp.toEpochMilli()
                          + "-"
                          + shape
                          + "."
                          + extension(options);
              named.set(new String[] {key, shape});
              return key;
            });
  }

  private void abortUpload(Checkpoint c) {
    if (c.current() != null) {
      try {
        store.resumeMultipart(c.current().key(), c.current().uploadId()).abort();
      } catch (DbsnapException gone) {
        // already completed, aborted or expired
      }
    }
  }

  // ---- keys

  /** {@code {prefix}snapshots/{source}/{schema.table}/v{version}-{shape}.{ext}} */
  String key(String sourceName, TableSchema t, long version, String shape, SnapshotOptions o) {
    return dir(sourceName, t) + "v" + version + "-" + shape + "." + extension(o);
  }

  /** {@code {prefix}snapshots/{source}/{schema.table}/}, the table name escaped as a file name. */
  private String dir(String sourceName, TableSchema t) {
    String schema = t.schema() == null ? "main" : t.schema();
    return prefix
        + "snapshots/"
        + sourceName
        + "/"
        + Exporter.safeName(schema + "." + t.name())
        + "/";
  }

  private static String extension(SnapshotOptions o) {
    return o.format().extension() + o.compression().suffix();
  }

  /**
   * A short hash of what shapes the bytes: column names, types and order, format options and the
   * format revision.
   */
  static String shape(TableSchema t, SnapshotOptions o) {
    StringBuilder sb = new StringBuilder(FORMAT_REVISION);
    sb.append('|').append(o.format()).append('|').append(o.compression());
    t.columns().forEach(c -> sb.append('|').append(c.name()).append(':').append(c.type()));
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256")
              .digest(sb.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void checkName(String sourceName) {
    if (sourceName == null || !sourceName.matches("[a-z0-9_-]+")) {
      throw new IllegalArgumentException(
          "source name '" + sourceName + "' may only hold a-z, 0-9, '_' and '-'");
    }
  }

  private static ErrorCode errorCode(String name) {
    try {
      return name == null ? ErrorCode.INTERNAL : ErrorCode.valueOf(name);
    } catch (IllegalArgumentException e) {
      return ErrorCode.INTERNAL;
    }
  }

  private static DbsnapException unwrap(Throwable t) {
    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (cause instanceof DbsnapException d) {
      return d;
    }
    return new DbsnapException(ErrorCode.INTERNAL, "snapshot failed: " + cause, cause);
  }

  /** Hears what the cache does, for metrics. Called from the cache's threads; must be quick. */
  public interface Events {
    default void requested(Snapshot.Outcome outcome) {}

    default void built(Duration took, long bytes) {}

    default void evicted() {}

    default void purged() {}

    /** A waiter in this process was woken by another's NOTIFY this long after its commit. */
    default void wokeUp(long millis) {}

    Events NONE = new Events() {};
  }

  /** Builds a {@link SnapshotCache}; not thread-safe. */
  public static final class Builder {
    private ObjectStore store;
    private DataSource controlDb;
    private Clock clock = Clock.systemUTC();
    private ExecutorService executor;
    private String prefix = "";
    private Duration leaseTtl = Duration.ofSeconds(10);
    private Duration recheck = Duration.ofSeconds(1);
    private Duration grace = Duration.ofMinutes(15);
    private long maxBytes;
    private long maxTotalBytes;
    private int partSize = ExportOptions.DEFAULT_PART_SIZE;
    private Events events = Events.NONE;

    private Builder() {}

    /** Where snapshot objects go; required. */
    public Builder store(ObjectStore store) {
      this.store = Objects.requireNonNull(store);
      return this;
    }

    /**
     * The control database holding the index and the build leases; required. SQLite serves one
     * process; PostgreSQL a fleet. Its tables ({@code dbsnap_snapshot*}) are created when missing.
     */
    public Builder controlDb(DataSource controlDb) {
      this.controlDb = Objects.requireNonNull(controlDb);
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** Where builds and waits run (default: a cached pool of daemon threads the cache owns). */
    public Builder executor(ExecutorService executor) {
      this.executor = Objects.requireNonNull(executor);
      return this;
    }

    /** A key prefix ending in '/', or "" for the store's root. */
    public Builder prefix(String prefix) {
      this.prefix = prefix == null || prefix.isEmpty() ? "" : prefix.replaceAll("/*$", "/");
      return this;
    }

    /** How long a silent builder keeps its lease before a waiter takes over (default 10 s). */
    public Builder leaseTtl(Duration ttl) {
      if (ttl.toMillis() < 300) {
        throw new IllegalArgumentException("lease TTL " + ttl + " is below 300 ms");
      }
      this.leaseTtl = ttl;
      return this;
    }

    /** The longest a waiter sleeps before it re-checks the index (default 1 s). */
    public Builder recheck(Duration recheck) {
      this.recheck = recheck;
      return this;
    }

    /**
     * How long superseded versions and unknown objects are kept (default 15 min); keep it at least
     * as long as presigned URLs live.
     */
    public Builder grace(Duration grace) {
      this.grace = grace;
      return this;
    }

    /** The most bytes one snapshot may have; 0 for no limit. */
    public Builder maxBytes(long maxBytes) {
      this.maxBytes = maxBytes;
      return this;
    }

    /** The most bytes a source's snapshots may have together (LRU eviction); 0 for no limit. */
    public Builder maxTotalBytes(long maxTotalBytes) {
      this.maxTotalBytes = maxTotalBytes;
      return this;
    }

    /** Part size of snapshot uploads (default 8 MiB); below 5 MiB only for a local store. */
    public Builder partSize(int partSize) {
      this.partSize = partSize;
      return this;
    }

    public Builder events(Events events) {
      this.events = Objects.requireNonNull(events);
      return this;
    }

    /**
     * @throws DbsnapException SERVER_UNAVAILABLE when the control database cannot be set up
     */
    public SnapshotCache build() {
      return new SnapshotCache(this);
    }
  }
}
