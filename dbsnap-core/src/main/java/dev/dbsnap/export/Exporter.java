package dev.dbsnap.export;

import static java.util.stream.Collectors.toSet;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.format.ByteBuf;
import dev.dbsnap.format.Format;
import dev.dbsnap.format.RowEncoder;
import dev.dbsnap.format.ScriptPart;
import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.Dialect;
import dev.dbsnap.source.SchemaOptions;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableReader;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.track.ChangeTracking;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Runs one export: reads the source in one transaction, encodes, compresses and uploads each
 * object, reports a checkpoint after every uploaded part, and writes the manifest last. Given a
 * checkpoint it resumes: finished objects are kept, the object in progress continues after its last
 * uploaded part, and the output is byte-identical to a run that never stopped.
 *
 * <p>On failure or cancel, the multipart upload in progress is aborted and every object this export
 * wrote is deleted; only a crash (which runs no code) leaves parts behind, and those are what a
 * resume continues. Not thread-safe: one instance runs one export.
 *
 * <p>With {@link ExportOptions#jobs()} above 1, that many objects are written at once, each by a
 * worker with its own connection in the first connection's snapshot and its own part writer;
 * objects are taken in plan order, the bytes and the manifest are those of one job, and the
 * checkpoint lists every object in flight. The listener is called by one thread at a time.
 */
public final class Exporter {
  /** Name of the checkpoint object the CLI keeps beside an export. */
  public static final String CHECKPOINT_FILE = "_checkpoint.json";

  private final Source source;
  private final ObjectStore store;
  private final String exportDir;
  private final String exportId;
  private final ExportOptions options;
  private final ExportListener listener;
  private final Clock clock;
  private final BooleanSupplier cancelled;
  private OnFailure onFailure = OnFailure.CLEAN_UP;
  private Map<String, Long> versions = Map.of();
  private BiFunction<TableSchema, Long, String> snapshotKey;
  private Predicate<RuntimeException> keepIf = e -> false;

  /**
   * @param prefix the key prefix under which {@code exportId/} is created ("" for the store root)
   * @param cancelled polled while exporting; true stops the export with CANCELLED
   */
  public Exporter(
      Source source,
      ObjectStore store,
      String prefix,
      String exportId,
      ExportOptions options,
      ExportListener listener,
      Clock clock,
      BooleanSupplier cancelled) {
    if (!exportId.matches("[A-Za-z0-9._-]+")) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "export id '" + exportId + "' may only hold letters, digits, '.', '_' and '-'");
    }
    this.source = source;
    this.store = store;
    this.exportDir =
        (prefix == null || prefix.isEmpty() ? "" : stripSlashes(prefix) + "/") + exportId + "/";
    this.exportId = exportId;
    this.options = options;
    this.listener = listener;
    this.clock = clock;
    this.cancelled = cancelled;
  }

  private static String stripSlashes(String s) {
    return s.replaceAll("^/+|/+$", "");
  }

  /**
   * Makes this a snapshot build (DESIGN 9): the export must select exactly one table, whose single
   * object goes to the key {@code keyFor} gives for the table and the version read in the export's
   * transaction (null when the table is not tracked). No manifest is written and no upload under
   * the prefix is aborted as an orphan (other builds may own them); {@link #run} still returns the
   * manifest, with the object's size, digest and rows.
   *
   * @return this exporter
   */
  public Exporter snapshotAt(BiFunction<TableSchema, Long, String> keyFor) {
    this.snapshotKey = keyFor;
    return this;
  }

  /**
   * Leaves a failed run as a crash would (as {@link OnFailure#KEEP_FOR_RESUME}) when {@code keep}
   * says so at the moment of failure, and cleans up otherwise: for a caller that learns only then
   * whether someone else continues the export (a build that lost its lease).
   *
   * @return this exporter
   */
  public Exporter keepForResumeWhen(BooleanSupplier keep) {
    this.keepIf = e -> keep.getAsBoolean();
    return this;
  }

  /**
   * Leaves a failed run as a crash would when {@code keep} says so of its failure, and cleans up
   * otherwise: for a caller that retries some failures from the checkpoint (a transient one) and
   * gives up on others.
   *
   * @return this exporter
   */
  public Exporter keepForResumeIf(Predicate<RuntimeException> keep) {
    this.keepIf = keep;
    return this;
  }

  /** The key prefix of this export's objects, ending in '/'. */
  public String exportDir() {
    return exportDir;
  }

  /**
   * Runs the export, or resumes it from {@code resumeFrom} when that is not null.
   *
   * @return the manifest, already written to the store
   * @throws DbsnapException on any failure, after cleaning up (see the class comment);
   *     RESUME_FAILED when the checkpoint belongs to another export or other options
   */
  public Manifest run(Checkpoint resumeFrom) {
    return run(resumeFrom, OnFailure.CLEAN_UP);
  }

  /** What a failed or cancelled run leaves behind. */
  public enum OnFailure {
    /** Abort the upload in progress and delete every object this export wrote. */
    CLEAN_UP,
    /**
     * Leave everything as a crash would, so the last checkpoint can resume it; the caller decides
     * later whether to resume or to {@link #discard(ObjectStore, String)} it. A job service wants
     * this: a transient failure is retried from the checkpoint, and a worker that lost its lease
     * must not touch what the new owner is writing.
     */
    KEEP_FOR_RESUME
  }

  /**
   * Runs the export, or resumes it from {@code resumeFrom}, leaving what {@code onFailure} says
   * when it fails or is cancelled.
   *
   * @return the manifest, already written to the store
   * @throws DbsnapException on any failure; RESUME_FAILED when the checkpoint belongs to another
   *     export or other options
   */
  public Manifest run(Checkpoint resumeFrom, OnFailure onFailure) {
    this.onFailure = onFailure;
    if (resumeFrom != null && snapshotKey == null) {
      Manifest done = alreadyComplete(resumeFrom);
      if (done != null) {
        return done;
      }
    }
    String startedAt =
        resumeFrom != null && resumeFrom.startedAt() != null
            ? resumeFrom.startedAt()
            : clock.instant().toString();
    Dialect dialect = source.dialect();
    Ledger ledger = null;
    List<Checkpoint.FinishedObject> finished = new ArrayList<>();
    Manifest complete = null;
    Dialect.WriterHold hold = null;
    try (Connection connection = source.connect()) {
      DatabaseSchema schema;
      Map<String, Long> versions;
      String snapshotId = null;
      try {
        if (options.jobs() > 1 && snapshotKey == null) {
          hold = dialect.holdWriters(source);
        }
        dialect.beginSnapshot(connection);
        schema = dialect.introspect(connection, options.selection(), options.schemaOptions());
        versions = readVersions(connection, schema);
        if (hold != null) {
          snapshotId = dialect.exportSnapshot(connection);
        }
      } catch (SQLException e) {
        throw dev.dbsnap.source.SourceException.from(
            e, ErrorCode.SOURCE_READ_FAILED, "cannot read the structure of " + source, null);
      }
      this.versions = versions;
      List<Planned> plan = plan(schema);
      String fingerprint = fingerprint(schema, plan);
      // The objects an earlier run left in progress that this one continues, by plan index.
      Map<Integer, Checkpoint.Current> resumeAt = new TreeMap<>();
      Map<String, Boolean> consistentTables = new ConcurrentHashMap<>();
      if (resumeFrom != null) {
        if (!resumeFrom.exportId().equals(exportId)
            || !resumeFrom.fingerprint().equals(fingerprint)) {
          throw new DbsnapException(
              ErrorCode.RESUME_FAILED,
              "the checkpoint of export "
                  + resumeFrom.exportId()
                  + " was made with other options or another table structure; start a new export");
        }
        // A tracked table whose version moved since the crashed run is exported again from its
        // start: every object that holds one, finished or in progress (DESIGN 7).
        Set<String> changed = changedTables(resumeFrom.versions(), versions);
        for (Checkpoint.FinishedObject f : resumeFrom.finished()) {
          if (f.rows().keySet().stream().noneMatch(changed::contains)) {
            finished.add(f);
          }
        }
        for (Checkpoint.Current c : resumeFrom.inProgress()) {
          if (c.restart().rows().keySet().stream().noneMatch(changed::contains)) {
            resumeAt.put(c.objectIndex(), c);
          }
        }
        // Rows read by an earlier run are the table as of this run's snapshot when the table is
        // tracked and its version is the same.
        for (TableSchema t : schema.tables()) {
          Long before = resumeFrom.versions().get(t.displayName());
          if (before != null && before.equals(versions.get(t.displayName()))) {
            consistentTables.put(t.displayName(), true);
          }
        }
      }
      boolean settled = false;
      for (var it = resumeAt.values().iterator(); it.hasNext(); ) {
        Checkpoint.Current current = it.next();
        if (current.completing() != null && completed(current)) {
          // The crash came after the store completed the object and before the checkpoint said
          // so.
          Checkpoint.Completion c = current.completing();
          finished.add(
              new Checkpoint.FinishedObject(current.key(), c.bytes(), c.sha256(), c.rows()));
          it.remove();
          settled = true;
        }
      }
      ledger =
          new Ledger(
              fingerprint,
              startedAt,
              finished,
              resumeFrom == null ? Map.of() : resumeFrom.tagged());
      if (settled) {
        ledger.report();
      }
      if (resumeFrom != null && snapshotKey == null) {
        abortOrphanUploads(
            resumeAt.values().stream().map(Checkpoint.Current::uploadId).collect(toSet()));
      }
      if (resumeFrom == null && snapshotKey == null) {
        // Before anything is uploaded: a crash at any later moment leaves a checkpoint that a
        // resume understands, and that names every upload it starts.
        ledger.report();
      }
      Set<String> done = new HashSet<>();
      finished.forEach(f -> done.add(f.key()));
      List<Integer> todo = new ArrayList<>();
      for (int i = 0; i < plan.size(); i++) {
        if (!done.contains(plan.get(i).key())) {
          todo.add(i);
        }
      }
      Run run = new Run(dialect, schema, plan, ledger);
      int jobs = hold == null ? 1 : Math.min(options.jobs(), todo.size());
      if (jobs <= 1) {
        if (hold != null) {
          hold.release();
        }
        for (int i : todo) {
          ledger.finish(i, run.writeObject(connection, i, resumeAt.get(i), consistentTables));
        }
      } else {
        new Jobs(run, ledger, todo, resumeAt, consistentTables)
            .run(connection, dialect, snapshotId, hold, jobs);
      }
      finished = ledger.finished();
      Manifest manifest =
          manifest(
              schema,
              plan,
              finished,
              startedAt,
              resumeFrom != null,
              consistentTables,
              ledger.tagged());
      if (snapshotKey == null) {
        store.put(exportDir + Manifest.FILE, manifest.toJson());
      }
      complete = manifest;
    } catch (RuntimeException e) {
      if (complete == null) {
        cleanUp(ledger == null ? finished : ledger.finished(), e);
        throw e;
      }
    } catch (SQLException e) {
      if (complete == null) {
        RuntimeException failure =
            dev.dbsnap.source.SourceException.from(
                e, ErrorCode.SOURCE_READ_FAILED, "reading " + source + " failed", null);
        cleanUp(ledger == null ? finished : ledger.finished(), failure);
        throw failure;
      }
    } finally {
      if (hold != null) {
        try {
          hold.release();
        } catch (SQLException ignored) {
          // closing the lock's connection ends its transaction anyway
        }
      }
    }
    // The export is whole once its manifest is written: what follows only tidies up, and its
    // failure (a lost source connection while ending the read transaction, a store that refuses
    // the delete) changes nothing. A checkpoint left beside a manifest resumes to "already
    // complete".
    if (snapshotKey == null) {
      try {
        // A finished export owns no upload: any still open under it was abandoned (a retried
        // start whose first answer was lost, an object restarted on resume).
        abortOrphanUploads(Set.of());
        store.delete(exportDir + CHECKPOINT_FILE);
      } catch (RuntimeException ignored) {
        // the next resume finds the manifest and removes it; gc aborts what is left
      }
    }
    return complete;
  }

  /**
   * What the export has stored, reported as a checkpoint on every change: the finished objects and
   * every object in progress. One report at a time, each made under the lock that guards the state
   * it reports, so checkpoints arrive in order and each is consistent.
   */
  private final class Ledger {
    private final String fingerprint;
    private final String startedAt;
    private final List<Checkpoint.FinishedObject> finished;
    private final TreeMap<Integer, Checkpoint.Current> inFlight = new TreeMap<>();

    /**
     * The tagged columns of every table whose rows were started, by display name: kept in every
     * checkpoint, so that a resume continues a table with the tags its first rows were written
     * with.
     */
    private final Map<String, List<String>> tagged = new ConcurrentHashMap<>();

    Ledger(
        String fingerprint,
        String startedAt,
        List<Checkpoint.FinishedObject> finished,
        Map<String, List<String>> tagged) {
      this.fingerprint = fingerprint;
      this.startedAt = startedAt;
      this.finished = new ArrayList<>(finished);
      this.tagged.putAll(tagged);
    }

    /** Records the tagged columns of a table before its first row is encoded. */
    void tag(String table, List<String> columns) {
      tagged.put(table, List.copyOf(columns));
    }

    /** The tagged columns of a table, or null when its rows were not started. */
    List<String> tagsOf(String table) {
      return tagged.get(table);
    }

    Map<String, List<String>> tagged() {
      return new TreeMap<>(tagged);
    }

    synchronized void moved(Checkpoint.Current current) {
      inFlight.put(current.objectIndex(), current);
      report();
    }

    synchronized void finish(int index, Checkpoint.FinishedObject object) {
      inFlight.remove(index);
      finished.add(object);
      report();
    }

    synchronized void report() {
      listener.checkpoint(
          new Checkpoint(
              exportId,
              fingerprint,
              startedAt,
              finished,
              null,
              versions,
              new ArrayList<>(inFlight.values()),
              new TreeMap<>(tagged)));
    }

    synchronized void progress(ExportListener.Progress progress) {
      listener.progress(progress);
    }

    synchronized List<Checkpoint.FinishedObject> finished() {
      return List.copyOf(finished);
    }
  }

  /**
   * Objects written by several workers at once, each with its own connection in the first
   * connection's snapshot and its own part writer and uploads. Objects are taken in plan order; the
   * first failure stops the others, and is what the run fails with once all have stopped.
   */
  private final class Jobs {
    private final Run run;
    private final Ledger ledger;
    private final List<Integer> todo;
    private final Map<Integer, Checkpoint.Current> resumeAt;
    private final Map<String, Boolean> consistent;
    private final java.util.concurrent.atomic.AtomicInteger next =
        new java.util.concurrent.atomic.AtomicInteger();

    Jobs(
        Run run,
        Ledger ledger,
        List<Integer> todo,
        Map<Integer, Checkpoint.Current> resumeAt,
        Map<String, Boolean> consistent) {
      this.run = run;
      this.ledger = ledger;
      this.todo = todo;
      this.resumeAt = resumeAt;
      this.consistent = consistent;
    }

    void run(
        Connection first, Dialect dialect, String snapshotId, Dialect.WriterHold hold, int jobs)
        throws SQLException {
      List<Connection> connections = new ArrayList<>();
      ExecutorService workers =
          Executors.newFixedThreadPool(
              jobs,
              r -> {
                Thread t = new Thread(r, "dbsnap-job");
                t.setDaemon(true);
                return t;
              });
      try {
        connections.add(first);
        for (int j = 1; j < jobs; j++) {
          Connection c = source.connect();
          connections.add(c);
          dialect.beginSnapshotAt(c, snapshotId);
        }
        // Every worker's transaction has started: writers may commit again (SQLite), and the
        // first connection, which keeps reading as worker 0, keeps the exported snapshot alive.
        hold.release();
        List<java.util.concurrent.Future<?>> running = new ArrayList<>();
        for (Connection c : connections) {
          running.add(workers.submit(() -> work(c)));
        }
        boolean interrupted = false;
        for (var f : running) {
          while (true) {
            try {
              f.get();
              break;
            } catch (InterruptedException e) {
              interrupted = true;
              run.failed.compareAndSet(
                  null,
                  new DbsnapException(
                      ErrorCode.CANCELLED, "export " + exportId + " was cancelled"));
            } catch (java.util.concurrent.ExecutionException e) {
              run.failed.compareAndSet(null, e.getCause());
            }
          }
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        Throwable failure = run.failed.get();
        if (failure instanceof RuntimeException e) {
          throw e;
        }
        if (failure instanceof Error e) {
          throw e;
        }
        if (failure != null) {
          throw new DbsnapException(ErrorCode.INTERNAL, "an export job failed", failure);
        }
      } finally {
        workers.shutdownNow();
        for (Connection c :
            connections.subList(Math.min(1, connections.size()), connections.size())) {
          try {
            c.close();
          } catch (SQLException ignored) {
            // a read-only transaction: nothing is lost
          }
        }
      }
    }

    private void work(Connection connection) {
      try {
        while (run.failed.get() == null) {
          int k = next.getAndIncrement();
          if (k >= todo.size()) {
            return;
          }
          int index = todo.get(k);
          ledger.finish(index, run.writeObject(connection, index, resumeAt.get(index), consistent));
        }
      } catch (Throwable t) {
        run.failed.compareAndSet(null, t);
      }
    }
  }

  /**
   * The manifest of an export that a crash stopped between writing its manifest and removing its
   * checkpoint, with the checkpoint removed; null when the export has no manifest yet.
   */
  private Manifest alreadyComplete(Checkpoint resumeFrom) {
    String key = exportDir + Manifest.FILE;
    if (store.head(key).isEmpty()) {
      return null;
    }
    Manifest manifest;
    try (java.io.InputStream in = store.get(key)) {
      manifest = Manifest.read(in);
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "cannot read " + key + ": " + e.getMessage(), e);
    }
    if (!manifest.exportId().equals(resumeFrom.exportId())) {
      throw new DbsnapException(
          ErrorCode.RESUME_FAILED,
          key + " belongs to export " + manifest.exportId() + ", not " + resumeFrom.exportId());
    }
    store.delete(exportDir + CHECKPOINT_FILE);
    return manifest;
  }

  /** Whether the object {@code current} was completing is in the store, whole. */
  private boolean completed(Checkpoint.Current current) {
    Checkpoint.Completion c = current.completing();
    return CompletedObjects.isWhole(store, current.key(), c.bytes(), c.sha256(), current.parts());
  }

  /** The data versions of the tracked tables among {@code schema}'s, in this transaction. */
  private Map<String, Long> readVersions(Connection connection, DatabaseSchema schema)
      throws SQLException {
    Map<String, Long> versions = new HashMap<>();
    for (TableSchema t : schema.tables()) {
      var version = ChangeTracking.version(connection, schema.dialect(), t);
      if (version.isPresent()) {
        versions.put(t.displayName(), version.getAsLong());
      }
    }
    return versions;
  }

  /** Tables tracked in the earlier run whose version is different now, or no longer tracked. */
  private static Set<String> changedTables(Map<String, Long> before, Map<String, Long> now) {
    Set<String> changed = new HashSet<>();
    before.forEach(
        (table, version) -> {
          if (!version.equals(now.get(table))) {
            changed.add(table);
          }
        });
    return changed;
  }

  /**
   * Aborts uploads a crash left behind that the checkpoint does not continue: a crash between
   * starting an upload and its first checkpoint leaves one nobody will complete.
   */
  private void abortOrphanUploads(Set<String> continued) {
    for (var pending : store.pendingUploads(exportDir)) {
      if (!continued.contains(pending.uploadId())) {
        store.resumeMultipart(pending.key(), pending.uploadId()).abort();
      }
    }
  }

  /**
   * Removes everything an export left under {@code exportDir} (a prefix ending in '/'): aborts its
   * multipart uploads and deletes its objects. Safe to call again; used after a cancel or a final
   * failure of a run that kept its parts.
   *
   * @return the number of uploads aborted plus objects deleted
   */
  public static int discard(ObjectStore store, String exportDir) {
    int removed = 0;
    for (var pending : store.pendingUploads(exportDir)) {
      store.resumeMultipart(pending.key(), pending.uploadId()).abort();
      removed++;
    }
    for (var object : store.list(exportDir)) {
      store.delete(object.key());
      removed++;
    }
    return removed;
  }

  /**
   * Whether a run that failed with {@code failure} is left as a crash would leave it. An error that
   * is not an exception (a JVM in trouble) is treated as a crash.
   */
  private boolean keepsForResume(Throwable failure) {
    return onFailure == OnFailure.KEEP_FOR_RESUME
        || !(failure instanceof RuntimeException e)
        || keepIf.test(e);
  }

  private void cleanUp(List<Checkpoint.FinishedObject> finished, RuntimeException failure) {
    if (keepsForResume(failure)) {
      return;
    }
    try {
      for (Checkpoint.FinishedObject o : finished) {
        store.delete(o.key());
      }
      if (snapshotKey == null) {
        abortOrphanUploads(Set.of());
      }
      store.delete(exportDir + CHECKPOINT_FILE);
    } catch (RuntimeException suppressed) {
      // the original failure matters more; what is left is reported by verify and the janitor
    }
  }

  /** One object of the plan, the tables it holds, and which part of an sql script it is. */
  /** The base name of the script that runs before the tables' scripts of a split sql export. */
  public static final String PRE_DATA = "pre-data";

  /** The base name of the script that runs after them. */
  public static final String POST_DATA = "post-data";

  record Planned(String key, String name, List<TableSchema> tables, ScriptPart part) {
    Planned(String key, String name, List<TableSchema> tables) {
      this(key, name, tables, ScriptPart.WHOLE);
    }
  }

  private List<Planned> plan(DatabaseSchema schema) {
    if (snapshotKey != null) {
      if (schema.tables().size() != 1) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT,
            "a snapshot holds one table, but the selection names " + schema.tables().size());
      }
      TableSchema t = schema.tables().get(0);
      String key = snapshotKey.apply(t, versions.get(t.displayName()));
      return List.of(new Planned(key, key.substring(key.lastIndexOf('/') + 1), schema.tables()));
    }
    List<String> names = objectNames(schema, options);
    List<Planned> plan = new ArrayList<>();
    if (options.splitScript()) {
      int last = names.size() - 1;
      plan.add(new Planned(exportDir + names.get(0), names.get(0), List.of(), ScriptPart.PRE_DATA));
      for (int i = 1; i < last; i++) {
        plan.add(
            new Planned(
                exportDir + names.get(i),
                names.get(i),
                List.of(schema.tables().get(i - 1)),
                ScriptPart.DATA));
      }
      plan.add(
          new Planned(
              exportDir + names.get(last), names.get(last), List.of(), ScriptPart.POST_DATA));
      return plan;
    }
    if (!options.format().objectPerTable()) {
      plan.add(new Planned(exportDir + names.get(0), names.get(0), schema.tables()));
      return plan;
    }
    for (int i = 0; i < names.size(); i++) {
      plan.add(
          new Planned(exportDir + names.get(i), names.get(i), List.of(schema.tables().get(i))));
    }
    return plan;
  }

  /**
   * The names of the objects an export of {@code schema} writes: {@code dump.<ext>} for a format
   * that holds every table in one object, else one file name per table, in table order; a split sql
   * script ({@link ExportOptions#splitScript()}) adds {@code pre-data.sql} before them and {@code
   * post-data.sql} after them.
   */
  public static List<String> objectNames(DatabaseSchema schema, ExportOptions options) {
    String suffix = options.compression().suffix();
    List<String> names = new ArrayList<>();
    boolean split = options.splitScript();
    if (!options.format().objectPerTable() && !split) {
      names.add("dump." + options.format().extension() + suffix);
      return names;
    }
    Map<String, Integer> used = new HashMap<>();
    if (split) {
      // a table named pre-data or post-data gets the next free name, as twins do
      used.put(PRE_DATA, 1);
      used.put(POST_DATA, 1);
      names.add(PRE_DATA + "." + options.format().extension() + suffix);
    }
    for (TableSchema t : schema.tables()) {
      String base = safeName(t.displayName());
      int n = used.merge(base.toLowerCase(java.util.Locale.ROOT), 1, Integer::sum);
      names.add((n == 1 ? base : base + "~" + n) + "." + options.format().extension() + suffix);
    }
    if (split) {
      names.add(POST_DATA + "." + options.format().extension() + suffix);
    }
    return names;
  }

  /**
   * A table name as a file name: letters, digits, '.', '_' and '-' kept, anything else %-escaped.
   */
  public static String safeName(String name) {
    StringBuilder sb = new StringBuilder();
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '.'
          || c == '_'
          || c == '-') {
        sb.append(c);
      } else {
        sb.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return sb.toString();
  }

  private String fingerprint(DatabaseSchema schema, List<Planned> plan) {
    StringBuilder sb = new StringBuilder();
    sb.append(options.format())
        .append('|')
        .append(options.compression())
        .append('|')
        .append(options.partSize())
        .append('|')
        .append(options.frameSize())
        .append('|')
        .append(options.rowsPerInsert());
    if (!options.schemaOptions().equals(SchemaOptions.DEFAULTS)) {
      sb.append('|').append(options.schemaOptions());
    }
    for (Planned p : plan) {
      sb.append('|').append(p.key());
    }
    for (TableSchema t : schema.tables()) {
      sb.append('|').append(t.displayName()).append(t.columns()).append(t.primaryKey());
    }
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256")
              .digest(sb.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private Manifest manifest(
      DatabaseSchema schema,
      List<Planned> plan,
      List<Checkpoint.FinishedObject> finished,
      String startedAt,
      boolean resumed,
      Map<String, Boolean> consistentTables,
      Map<String, List<String>> tagged) {
    List<Manifest.TableEntry> tables = new ArrayList<>();
    List<Manifest.ObjectEntry> objects = new ArrayList<>();
    Map<String, Checkpoint.FinishedObject> byKey = new HashMap<>();
    finished.forEach(f -> byKey.put(f.key(), f));
    for (Planned p : plan) {
      Checkpoint.FinishedObject f = byKey.get(p.key());
      objects.add(new Manifest.ObjectEntry(p.name(), f.bytes(), f.sha256()));
      for (TableSchema t : p.tables()) {
        List<Manifest.ColumnEntry> columns =
            t.columns().stream()
                .map(
                    c ->
                        new Manifest.ColumnEntry(
                            c.name(),
                            c.type(),
                            options.format().omitsSqlNull(c) ? Manifest.ColumnEntry.OMITTED : null))
                .toList();
        tables.add(
            new Manifest.TableEntry(
                t.displayName(),
                p.name(),
                f.rows().getOrDefault(t.displayName(), 0L),
                consistentTables.getOrDefault(t.displayName(), false),
                columns,
                versions.get(t.displayName()),
                tagged.getOrDefault(t.displayName(), List.of())));
      }
    }
    return new Manifest(
        Version.current(),
        exportId,
        options.format().extension(),
        options.compression().name().toLowerCase(java.util.Locale.ROOT),
        schema.dialect().name().toLowerCase(java.util.Locale.ROOT),
        schema.serverVersion(),
        startedAt,
        clock.instant().toString(),
        !resumed || tables.stream().allMatch(Manifest.TableEntry::consistent),
        resumed,
        options.rowsPerInsert(),
        tables,
        objects,
        schema);
  }

  /**
   * The state of one run of the export (one snapshot), shared by its jobs: each object is written
   * by one thread through the connection it is given.
   */
  private final class Run {
    private static final int FLUSH_BYTES = 64 * 1024;
    private final Dialect dialect;
    private final DatabaseSchema schema;
    private final List<Planned> plan;

    /** Tables that turned out to need type tags after an untagged start: scanned from now on. */
    private final java.util.Set<String> scanned = ConcurrentHashMap.newKeySet();

    private final Ledger ledger;
    private final long rowEstimate;
    private final java.util.concurrent.atomic.AtomicLong rowsTotal =
        new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger tablesDone =
        new java.util.concurrent.atomic.AtomicInteger();

    /** The first failure of any job; set, it stops the others. */
    final java.util.concurrent.atomic.AtomicReference<Throwable> failed =
        new java.util.concurrent.atomic.AtomicReference<>();

    private final BooleanSupplier stop = () -> cancelled.getAsBoolean() || failed.get() != null;

    Run(Dialect dialect, DatabaseSchema schema, List<Planned> plan, Ledger ledger) {
      this.dialect = dialect;
      this.schema = schema;
      this.plan = plan;
      this.ledger = ledger;
      long estimate = 0;
      for (TableSchema t : schema.tables()) {
        estimate = t.rowEstimate() < 0 || estimate < 0 ? -1 : estimate + t.rowEstimate();
      }
      this.rowEstimate = estimate;
      for (Checkpoint.FinishedObject f : ledger.finished()) {
        tablesDone.addAndGet(f.rows().size());
        rowsTotal.addAndGet(f.rows().values().stream().mapToLong(Long::longValue).sum());
      }
    }

    Checkpoint.FinishedObject writeObject(
        Connection connection,
        int index,
        Checkpoint.Current resume,
        Map<String, Boolean> consistent) {
      Planned object = plan.get(index);
      ExecutorService uploads =
          Executors.newFixedThreadPool(
              options.concurrency(),
              r -> {
                Thread t = new Thread(r, "dbsnap-upload");
                t.setDaemon(true);
                return t;
              });
      try {
        try {
          return attempt(connection, index, object, resume, uploads, consistent);
        } catch (UploadGone e) {
          // The upload expired or was removed since the crash, and the object was not completed
          // from it: write the object again from its start.
          return fresh(connection, index, object, uploads, consistent);
        } catch (PartWriter.OverlapMismatch | TagsChanged e) {
          // The data before the boundary changed since the crash, or the rest of a table now
          // holds a value whose storage class needs a tag its first rows were written without:
          // write the object again from its start, so nothing of the old bytes survives, and drop
          // the old upload.
          if (resume != null) {
            try {
              store.resumeMultipart(object.key(), resume.uploadId()).abort();
            } catch (DbsnapException gone) {
              // already aborted or expired: nothing to drop
            }
          }
          return fresh(connection, index, object, uploads, consistent);
        }
      } finally {
        uploads.shutdownNow();
      }
    }

    /**
     * The object written from its start; once more when a table started untagged turns out to need
     * tags, which the second attempt scans for first, so it cannot happen twice.
     */
    private Checkpoint.FinishedObject fresh(
        Connection connection,
        int index,
        Planned object,
        ExecutorService uploads,
        Map<String, Boolean> consistent) {
      try {
        return attempt(connection, index, object, null, uploads, consistent);
      } catch (TagsChanged e) {
        return attempt(connection, index, object, null, uploads, consistent);
      }
    }

    private Checkpoint.FinishedObject attempt(
        Connection connection,
        int index,
        Planned object,
        Checkpoint.Current resume,
        ExecutorService uploads,
        Map<String, Boolean> consistent) {
      PartWriter.Listener onPart =
          state ->
              ledger.moved(
                  new Checkpoint.Current(
                      index,
                      object.key(),
                      state.uploadId(),
                      state.parts(),
                      state.bytes(),
                      state.digestState(),
                      state.restart(),
                      state.completing()));
      PartWriter writer;
      if (resume == null) {
        writer =
            PartWriter.create(
                store, object.key(), options.partSize(), options.concurrency(), uploads, onPart);
      } else {
        dev.dbsnap.storage.MultipartUpload upload;
        try {
          upload = store.resumeMultipart(object.key(), resume.uploadId());
        } catch (DbsnapException e) {
          if (e.code() != ErrorCode.RESUME_FAILED) {
            throw e;
          }
          throw new UploadGone();
        }
        writer =
            PartWriter.resume(
                store,
                object.key(),
                options.partSize(),
                options.concurrency(),
                uploads,
                onPart,
                upload,
                new PartWriter.PartState(
                    resume.uploadId(),
                    resume.parts(),
                    resume.bytes(),
                    resume.digestState(),
                    resume.restart()));
      }
      Map<String, Long> rows = new LinkedHashMap<>();
      boolean ok = false;
      Throwable failure = null;
      try (Compression.FrameCompressor compressor = options.compression().newCompressor(writer)) {
        int firstSegment = 0;
        List<Object> afterKey = null;
        if (resume != null) {
          firstSegment = resume.restart().segment();
          afterKey = Keys.fromJson(resume.restart().afterKey());
          rows.putAll(resume.restart().rows());
        }
        encode(connection, object, writer, compressor, firstSegment, afterKey, rows, consistent);
        PartWriter.Result result = writer.finish(stop, Map.copyOf(rows));
        ok = true;
        return new Checkpoint.FinishedObject(
            object.key(), result.bytes(), result.sha256(), Map.copyOf(rows));
      } catch (IOException e) {
        throw (RuntimeException)
            (failure =
                new DbsnapException(
                    ErrorCode.INTERNAL,
                    "compressing " + object.key() + " failed: " + e.getMessage(),
                    e));
      } catch (SQLException e) {
        throw (RuntimeException)
            (failure =
                dev.dbsnap.source.SourceException.from(
                    e,
                    ErrorCode.SOURCE_READ_FAILED,
                    "reading " + source + " for " + object.key() + " failed",
                    object.tables().size() == 1 ? object.tables().get(0).displayName() : null));
      } catch (RuntimeException | Error e) {
        failure = e;
        throw e;
      } finally {
        if (!ok) {
          // A job stopped because another failed goes the way of that failure.
          Throwable decisive = failed.get() != null ? failed.get() : failure;
          // a resumed upload is dropped by writeObject before the object starts again; one this
          // attempt started is dropped here
          if (keepsForResume(decisive)
              || failure instanceof PartWriter.OverlapMismatch
              || failure instanceof TagsChanged && resume != null) {
            writer.abandon();
          } else {
            writer.abort();
          }
        }
      }
    }

    private void encode(
        Connection connection,
        Planned object,
        PartWriter writer,
        Compression.FrameCompressor compressor,
        int firstSegment,
        List<Object> afterKey,
        Map<String, Long> rows,
        Map<String, Boolean> consistent)
        throws IOException, SQLException {
      boolean tags = options.format() != Format.SQL; // sql literals keep storage classes anyway
      RowEncoder encoder =
          options
              .format()
              .encoder(
                  schema,
                  options.rowsPerInsert(),
                  object.part(),
                  t -> {
                    List<String> names = ledger.tagsOf(t.displayName());
                    return names == null ? Set.of() : Set.copyOf(names);
                  });
      ByteBuf buf = new ByteBuf(FLUSH_BYTES * 2);
      List<TableSchema> tables = object.tables();
      int tail = tables.size() + 1;
      for (int segment = firstSegment; segment <= tail; segment++) {
        if (segment == 0 || segment == tail) {
          writer.mark(new Checkpoint.RestartPoint(segment, null, rows, 0, 0));
          if (segment == 0) {
            encoder.objectStart(buf);
          } else {
            encoder.objectEnd(buf);
          }
          if (buf.size() > 0) { // no empty gzip member or zstd frame for formats without a head
            compressor.startFrame();
            flush(buf, compressor);
            compressor.endFrame();
          }
          continue;
        }
        TableSchema table = tables.get(segment - 1);
        List<Object> startAfter = segment == firstSegment ? afterKey : null;
        long tableRows = startAfter == null ? 0 : rows.getOrDefault(table.displayName(), 0L);
        rows.put(table.displayName(), tableRows);
        consistent.merge(table.displayName(), startAfter == null, Boolean::logicalOr);
        java.util.function.Predicate<TableReader> needsTag = null;
        if (tags) {
          if (startAfter == null) {
            needsTag = scanned.contains(table.displayName()) ? null : dialect.needsTag(table);
            // in the read transaction of the rows, before the first of them: untagged while every
            // value follows its column's type, else decided by a scan of the table
            ledger.tag(
                table.displayName(),
                needsTag != null ? List.of() : dialect.taggedColumns(connection, table));
          } else {
            List<String> before = ledger.tagsOf(table.displayName());
            if (before == null) {
              throw new DbsnapException(
                  ErrorCode.RESUME_FAILED,
                  "the checkpoint does not say which columns of table "
                      + table.displayName()
                      + " carry type tags (an older dbsnap wrote it); start a new export");
            }
            // The rest is written with the tags of the first rows; a column that needs a tag now
            // (the table changed since the crash) sends the table back to its start.
            if (!before.containsAll(dialect.taggedColumns(connection, table))) {
              scanned.add(table.displayName());
              throw new TagsChanged();
            }
          }
        }
        writer.mark(new Checkpoint.RestartPoint(segment, Keys.toJson(startAfter), rows, 0, 0));
        compressor.startFrame();
        if (startAfter == null) {
          encoder.tableStart(table, buf);
        }
        encoder.frameStart(table, tableRows == 0);
        long frameBytes = 0;
        int frameSize = options.frameSize();
        try (TableReader reader = dialect.openReader(connection, table, startAfter)) {
          while (reader.next()) {
            if (needsTag != null && needsTag.test(reader)) {
              // a value the untagged form would not bring back: the table starts again, scanned
              scanned.add(table.displayName());
              throw new TagsChanged();
            }
            encoder.row(reader, buf);
            tableRows++;
            if (buf.size() >= FLUSH_BYTES) {
              frameBytes += buf.size();
              flush(buf, compressor);
            }
            if (frameBytes + buf.size() >= frameSize) {
              List<Object> key = table.keyKind().resumable() ? reader.key() : null;
              encoder.frameEnd(buf);
              flush(buf, compressor);
              compressor.endFrame();
              rows.put(table.displayName(), tableRows);
              if (key != null) {
                writer.mark(new Checkpoint.RestartPoint(segment, Keys.toJson(key), rows, 0, 0));
              }
              compressor.startFrame();
              encoder.frameStart(table, false);
              frameBytes = 0;
            }
            if ((tableRows & 4095) == 0) {
              tick(table, rowsTotal.get() + tableRows, writer);
            }
          }
        }
        encoder.frameEnd(buf);
        encoder.tableEnd(buf);
        flush(buf, compressor);
        compressor.endFrame();
        rows.put(table.displayName(), tableRows);
        long total = rowsTotal.addAndGet(tableRows);
        tablesDone.incrementAndGet();
        tick(table, total, writer);
      }
    }

    private void tick(TableSchema table, long rowsNow, PartWriter writer) {
      if (stop.getAsBoolean() || Thread.currentThread().isInterrupted()) {
        throw new DbsnapException(ErrorCode.CANCELLED, "export " + exportId + " was cancelled");
      }
      ledger.progress(
          new ExportListener.Progress(
              table.displayName(),
              tablesDone.get(),
              schema.tables().size(),
              rowsNow,
              writer.position(),
              rowEstimate));
    }

    private static void flush(ByteBuf buf, Compression.FrameCompressor compressor)
        throws IOException {
      if (buf.size() > 0) {
        compressor.write(buf.array(), 0, buf.size());
        buf.clear();
      }
    }
  }

  /** A table continued by a resume now needs tags its first rows were written without. */
  private static final class TagsChanged extends RuntimeException {
    TagsChanged() {
      super(null, null, false, false);
    }
  }

  /** The upload a checkpoint continues no longer exists. */
  private static final class UploadGone extends RuntimeException {
    UploadGone() {
      super(null, null, false, false);
    }
  }

  /** Keys in checkpoints: JSON has no byte strings or 64-bit integers, so those are tagged. */
  static final class Keys {
    private Keys() {}

    static List<Object> toJson(List<Object> key) {
      if (key == null) {
        return null;
      }
      List<Object> out = new ArrayList<>(key.size());
      for (Object v : key) {
        if (v instanceof byte[] b) {
          out.add(Map.of("base64", Base64.getEncoder().encodeToString(b)));
        } else if (v instanceof Long l) {
          out.add(Map.of("int", Long.toString(l)));
        } else {
          out.add(v);
        }
      }
      return out;
    }

    static List<Object> fromJson(List<Object> key) {
      if (key == null) {
        return null;
      }
      List<Object> out = new ArrayList<>(key.size());
      for (Object v : key) {
        if (v instanceof Map<?, ?> m && m.containsKey("base64")) {
          out.add(Base64.getDecoder().decode((String) m.get("base64")));
        } else if (v instanceof Map<?, ?> m && m.containsKey("int")) {
          out.add(Long.parseLong((String) m.get("int")));
        } else {
          out.add(v);
        }
      }
      return out;
    }
  }
}
