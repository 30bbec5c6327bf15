package dev.dbsnap.export;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectStore;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.zip.CRC32C;

/**
 * Cuts one object's byte stream into fixed-size parts (DESIGN 3) and uploads them with at most
 * {@code concurrency} in flight (DESIGN 6): a write blocks while all buffers are taken, which is
 * the backpressure that keeps memory flat. An object that ends inside its first part is written
 * with one PUT.
 *
 * <p>It also keeps what a checkpoint needs (DESIGN 4): the last {@link #mark restart point} before
 * each part boundary, how many bytes lie between that point and the boundary and their CRC32C, and
 * the SHA-256 state of the object so far. When resumed it first swallows the re-encoded overlap,
 * checking its CRC, then continues with the next part.
 *
 * <p>Written by one thread; uploads run on the given executor; {@link Listener#uploaded} is called
 * for parts in number order, from upload threads.
 */
final class PartWriter extends OutputStream {
  /** Told where the multipart upload stands, so that it can be checkpointed. */
  interface Listener {
    /**
     * The upload moved on: it was started (no parts yet, before the first part is sent), a part was
     * uploaded (with all parts before it), or every part is uploaded and the upload is about to be
     * completed ({@link PartState#completing()} set).
     */
    void uploaded(PartState state);
  }

  /**
   * Everything known about the object at a part boundary, for a checkpoint.
   *
   * @param completing what the object will be, once the upload is being completed; else null
   */
  record PartState(
      String uploadId,
      List<Checkpoint.Part> parts,
      long bytes,
      String digestState,
      Checkpoint.RestartPoint restart,
      Checkpoint.Completion completing) {
    PartState(
        String uploadId,
        List<Checkpoint.Part> parts,
        long bytes,
        String digestState,
        Checkpoint.RestartPoint restart) {
      this(uploadId, parts, bytes, digestState, restart, null);
    }
  }

  private final ObjectStore store;
  private final String key;
  private final int partSize;
  private final ExecutorService executor;
  private final Listener listener;
  private final BlockingQueue<byte[]> freeBuffers;
  private final Semaphore inFlight;
  private final ResumableSha256 digest;
  private final ExecutorService hasher =
      java.util.concurrent.Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "dbsnap-sha256");
            t.setDaemon(true);
            return t;
          });
  private final CRC32C markCrc = new CRC32C();
  private final List<Checkpoint.Part> done = new ArrayList<>();
  private final Map<Integer, PendingPart> finished = new TreeMap<>();
  private MultipartUpload upload;
  private byte[] buffer;
  private int count;
  private int nextPartNumber;
  private int nextToReport;
  private long position;
  private Checkpoint.RestartPoint mark;
  private long markPosition;
  private PartState lastReported;
  private boolean completionUnsettled;
  private long skipRemaining;
  private long expectedSkipCrc;
  private volatile Throwable failure;
  private final List<java.util.concurrent.Future<?>> tasks = new ArrayList<>();

  private record PendingPart(Checkpoint.Part part, PartState state) {}

  private PartWriter(
      ObjectStore store,
      String key,
      int partSize,
      int concurrency,
      ExecutorService executor,
      Listener listener,
      ResumableSha256 digest) {
    this.store = store;
    this.key = key;
    this.partSize = partSize;
    this.executor = executor;
    this.listener = listener;
    this.digest = digest;
    this.freeBuffers = new ArrayBlockingQueue<>(concurrency + 1);
    this.inFlight = new Semaphore(concurrency);
    this.nextPartNumber = 1;
    this.nextToReport = 1;
  }

  static PartWriter create(
      ObjectStore store,
      String key,
      int partSize,
      int concurrency,
      ExecutorService executor,
      Listener listener) {
    PartWriter w =
        new PartWriter(
            store, key, partSize, concurrency, executor, listener, ResumableSha256.create());
    w.buffer = new byte[partSize];
    return w;
  }

  /**
   * A writer that continues {@code upload} after the parts of {@code state}: the first {@code
   * state.restart().overlapBytes()} bytes written must be the overlap, which is checked and
   * dropped.
   */
  static PartWriter resume(
      ObjectStore store,
      String key,
      int partSize,
      int concurrency,
      ExecutorService executor,
      Listener listener,
      MultipartUpload upload,
      PartState state) {
    ResumableSha256 digest = ResumableSha256.restore(state.digestState());
    PartWriter w = new PartWriter(store, key, partSize, concurrency, executor, listener, digest);
    w.buffer = new byte[partSize];
    w.upload = upload;
    w.done.addAll(state.parts());
    w.nextPartNumber = state.parts().size() + 1;
    w.nextToReport = w.nextPartNumber;
    w.position = state.bytes() - state.restart().overlapBytes();
    w.mark = state.restart();
    w.markPosition = w.position;
    w.skipRemaining = state.restart().overlapBytes();
    w.expectedSkipCrc = state.restart().overlapCrc();
    w.lastReported = state;
    return w;
  }

  /** Records that a frame from which an export can restart begins at the current position. */
  void mark(Checkpoint.RestartPoint point) {
    if (skipRemaining > 0) {
      if (position != markPosition) {
        throw new IllegalStateException("restart point marked inside the resumed overlap");
      }
      // The resumed frame itself (or an empty one before it): the overlap counts from here.
      mark = point;
      return;
    }
    mark = point;
    markPosition = position;
    markCrc.reset();
  }

  long position() {
    return position;
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    checkFailure();
    if (skipRemaining > 0) {
      int n = (int) Math.min(len, skipRemaining);
      markCrc.update(b, off, n);
      position += n;
      skipRemaining -= n;
      off += n;
      len -= n;
      if (skipRemaining == 0 && markCrc.getValue() != expectedSkipCrc) {
        throw new OverlapMismatch(key);
      }
    }
    while (len > 0) {
      if (count == partSize) {
        seal();
      }
      int n = Math.min(len, partSize - count);
      System.arraycopy(b, off, buffer, count, n);
      // only bytes up to a part boundary belong to that part's overlap checksum
      markCrc.update(b, off, n);
      count += n;
      position += n;
      off += n;
      len -= n;
    }
  }

  /** Thrown when a resumed export's re-encoded overlap differs from what was uploaded. */
  static final class OverlapMismatch extends RuntimeException {
    OverlapMismatch(String key) {
      super("re-encoded data of " + key + " differs from the uploaded parts");
    }
  }

  private void seal() {
    if (upload == null) {
      upload = store.startMultipart(key, partSize);
      // Before the first part is sent: a crash from here on leaves a checkpoint naming the
      // upload, which a resume continues (or aborts) instead of leaving it open.
      PartState start =
          new PartState(
              upload.uploadId(),
              List.of(),
              0,
              Sha256State.INITIAL.encode(),
              new Checkpoint.RestartPoint(0, null, Map.of(), 0, 0));
      synchronized (this) {
        lastReported = start;
      }
      listener.uploaded(start);
    }
    int number = nextPartNumber++;
    if (number > 10_000) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "object "
              + key
              + " needs more than 10,000 parts of "
              + partSize
              + " bytes: raise --part-size");
    }
    byte[] full = buffer;
    int length = count;
    // SHA-256 is a costly step per byte (the more so on the pure-Java fallback): it runs on its own
    // thread, in part order, beside the encoding; the part's checkpoint waits for it.
    java.util.concurrent.Future<String> digestState =
        hasher.submit(
            () -> {
              digest.update(full, 0, length);
              return digest.exportState();
            });
    CRC32C partCrc = new CRC32C();
    partCrc.update(buffer, 0, count);
    Checkpoint.RestartPoint restart = mark.withOverlap(position - markPosition, markCrc.getValue());
    long end = position;
    String uploadId = upload.uploadId();
    long crc = partCrc.getValue();
    acquire();
    MultipartUpload target = upload;
    tasks.add(
        executor.submit(
            () -> {
              try {
                String etag = target.uploadPart(number, full, length);
                PartState draft = new PartState(uploadId, null, end, digestState.get(), restart);
                partDone(new Checkpoint.Part(number, etag, length, Long.toHexString(crc)), draft);
              } catch (Throwable t) {
                if (failure == null) {
                  failure = t;
                }
              } finally {
                try {
                  digestState.get(); // the hasher may still be reading the buffer
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } catch (java.util.concurrent.ExecutionException
                    | java.util.concurrent.CancellationException e) {
                  // reported through the part's own failure, or the export is being aborted
                }
                freeBuffers.offer(full);
                inFlight.release();
              }
            }));
    byte[] next = freeBuffers.poll();
    buffer = next != null ? next : new byte[partSize];
    count = 0;
  }

  private void acquire() {
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbsnapException(ErrorCode.CANCELLED, "export of " + key + " was interrupted");
    }
  }

  private synchronized void partDone(Checkpoint.Part part, PartState draft) {
    finished.put(part.number(), new PendingPart(part, draft));
    while (finished.containsKey(nextToReport)) {
      PendingPart p = finished.remove(nextToReport++);
      done.add(p.part());
      PartState state =
          new PartState(
              p.state().uploadId(),
              List.copyOf(done),
              p.state().bytes(),
              p.state().digestState(),
              p.state().restart());
      lastReported = state;
      listener.uploaded(state);
    }
  }

  private void checkFailure() {
    Throwable t = failure;
    if (t != null) {
      if (t instanceof DbsnapException e) {
        throw e;
      }
      throw new DbsnapException(
          ErrorCode.UPLOAD_FAILED, "upload of " + key + " failed: " + t.getMessage(), t);
    }
  }

  private void awaitUploads() {
    for (java.util.concurrent.Future<?> f : tasks) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new DbsnapException(ErrorCode.CANCELLED, "export of " + key + " was interrupted");
      } catch (java.util.concurrent.ExecutionException e) {
        // recorded in failure by the task itself
      }
    }
    tasks.clear();
  }

  /**
   * Uploads what is left and completes the object, unless {@code cancelled} says otherwise once the
   * uploads are done. Before completing, the listener hears what the object will be (its size,
   * digest and {@code rows}); a completion that fails at the client is settled by looking at the
   * object: when it is there, whole, the object is finished.
   *
   * @return the object's size and SHA-256 (hex)
   */
  Result finish(java.util.function.BooleanSupplier cancelled, Map<String, Long> rows) {
    checkFailure();
    if (skipRemaining > 0) {
      throw new OverlapMismatch(key);
    }
    if (upload == null) {
      hasher.shutdown();
      digest.update(buffer, 0, count);
      store.put(key, Arrays.copyOf(buffer, count));
      return new Result(key, position, digest.hexDigest());
    }
    if (count > 0) {
      seal();
    }
    awaitUploads();
    hasher.shutdown();
    checkFailure();
    if (cancelled.getAsBoolean()) {
      // the last chance to cancel before the object becomes visible
      throw new DbsnapException(ErrorCode.CANCELLED, "export of " + key + " was cancelled");
    }
    String sha256 = digest.hexDigest();
    List<CompletedPart> parts = new ArrayList<>();
    List<Checkpoint.Part> uploaded;
    PartState before;
    synchronized (this) {
      uploaded = List.copyOf(done);
      before = lastReported;
    }
    for (Checkpoint.Part p : uploaded) {
      parts.add(new CompletedPart(p.number(), p.etag(), p.size()));
    }
    listener.uploaded(
        new PartState(
            upload.uploadId(),
            uploaded,
            position,
            before.digestState(),
            before.restart(),
            new Checkpoint.Completion(position, sha256, rows)));
    completionUnsettled = true;
    try {
      upload.complete(parts);
    } catch (DbsnapException e) {
      // The store may have completed it and failed only the answer (a retry then finds the upload
      // gone): the object itself says whether it is whole.
      boolean whole;
      try {
        whole = CompletedObjects.isWhole(store, key, position, sha256, uploaded);
      } catch (RuntimeException unknown) {
        e.addSuppressed(unknown);
        throw e;
      }
      if (!whole) {
        throw e;
      }
    }
    completionUnsettled = false;
    return new Result(key, position, sha256);
  }

  /**
   * Stops uploading and aborts the multipart upload, leaving nothing behind: also the object, when
   * a completion was tried and its outcome is unknown.
   */
  void abort() {
    awaitUploads();
    hasher.shutdownNow();
    if (upload != null) {
      upload.abort();
    }
    if (completionUnsettled) {
      store.delete(key);
    }
  }

  /** Stops uploading and leaves the multipart upload open, as a crash would, for a later resume. */
  void abandon() {
    awaitUploads();
    hasher.shutdownNow();
  }

  /** A finished object. */
  record Result(String key, long bytes, String sha256) {}
}
