package dev.dbsnap.job;

import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.ForwardingMultipartUpload;
import dev.dbsnap.storage.ForwardingObjectStore;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that lets {@code partsBeforeGate} part uploads through and holds every later one at a
 * gate until the test opens it ({@link #open()}) or kills the store ({@link #kill()}): from then on
 * every call fails and nothing reaches the real store, as if the process had died.
 */
final class GatedStore extends ForwardingObjectStore {
  static final class Dead extends RuntimeException {
    Dead() {
      super("simulated dead process");
    }
  }

  private final AtomicInteger partsLeft;
  private final CountDownLatch gate = new CountDownLatch(1);
  private final CountDownLatch reached = new CountDownLatch(1);
  private volatile boolean dead;

  GatedStore(ObjectStore real, int partsBeforeGate) {
    super(real);
    this.partsLeft = new AtomicInteger(partsBeforeGate);
  }

  /** Waits until an upload is held at the gate. */
  void awaitGate() throws InterruptedException {
    if (!reached.await(30, TimeUnit.SECONDS)) {
      throw new AssertionError("no upload reached the gate");
    }
  }

  void open() {
    gate.countDown();
  }

  void kill() {
    dead = true;
    gate.countDown();
  }

  private void alive() {
    if (dead) {
      throw new Dead();
    }
  }

  private void pass() {
    alive();
    if (partsLeft.decrementAndGet() < 0) {
      reached.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Dead();
      }
      alive();
    }
  }

  @Override
  public void checkAccess() {
    alive();
    super.checkAccess();
  }

  @Override
  public void put(String key, byte[] data) {
    alive();
    super.put(key, data);
  }

  @Override
  public MultipartUpload startMultipart(String key, int partSize) {
    alive();
    return super.startMultipart(key, partSize);
  }

  @Override
  public MultipartUpload resumeMultipart(String key, String uploadId) {
    alive();
    return super.resumeMultipart(key, uploadId);
  }

  @Override
  protected MultipartUpload wrap(MultipartUpload upload) {
    return new ForwardingMultipartUpload(upload) {
      @Override
      public String uploadPart(int partNumber, byte[] data, int length) {
        pass();
        return delegate.uploadPart(partNumber, data, length);
      }

      @Override
      public void complete(List<CompletedPart> parts) {
        alive();
        delegate.complete(parts);
      }

      @Override
      public void abort() {
        alive();
        delegate.abort();
      }
    };
  }

  @Override
  public InputStream get(String key) {
    alive();
    return super.get(key);
  }

  @Override
  public Optional<ObjectInfo> head(String key) {
    alive();
    return super.head(key);
  }

  @Override
  public List<ObjectInfo> list(String prefix) {
    alive();
    return super.list(prefix);
  }

  @Override
  public void delete(String key) {
    alive();
    super.delete(key);
  }

  @Override
  public List<PendingUpload> pendingUploads(String prefix) {
    alive();
    return super.pendingUploads(prefix);
  }
}
