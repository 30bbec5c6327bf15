package dev.dbsnap.export;

import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.ForwardingMultipartUpload;
import dev.dbsnap.storage.ForwardingObjectStore;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that behaves like a process that died after {@code partsBeforeCrash} uploaded parts: from
 * then on nothing reaches the real store, not even the aborts and deletes of clean-up.
 */
public final class CrashingStore extends ForwardingObjectStore {
  static final class Crash extends RuntimeException {
    Crash() {
      super("simulated crash");
    }
  }

  private final AtomicInteger partsLeft;

  /** Keys of the multipart uploads started through this store, in order. */
  final List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();

  public CrashingStore(ObjectStore real, int partsBeforeCrash) {
    super(real);
    this.partsLeft = new AtomicInteger(partsBeforeCrash);
  }

  public boolean crashed() {
    return partsLeft.get() <= 0;
  }

  private void alive() {
    if (crashed()) {
      throw new Crash();
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
    started.add(key);
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
        if (partsLeft.getAndDecrement() <= 0) {
          throw new Crash();
        }
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
}
