package dev.dbsnap.export;

import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that behaves like a process that died after {@code partsBeforeCrash} uploaded parts:
 * from then on nothing reaches the real store, not even the aborts and deletes of clean-up.
 */
final class CrashingStore implements ObjectStore {
  static final class Crash extends RuntimeException {
    Crash() {
      super("simulated crash");
    }
  }

  private final ObjectStore real;
  private final AtomicInteger partsLeft;
  /** Keys of the multipart uploads started through this store, in order. */
  final List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();

  CrashingStore(ObjectStore real, int partsBeforeCrash) {
    this.real = real;
    this.partsLeft = new AtomicInteger(partsBeforeCrash);
  }

  boolean crashed() {
    return partsLeft.get() <= 0;
  }

  private void alive() {
    if (crashed()) {
      throw new Crash();
    }
  }

  @Override
  public String describe() {
    return real.describe();
  }

  @Override
  public void checkAccess() {
    alive();
    real.checkAccess();
  }

  @Override
  public void put(String key, byte[] data) {
    alive();
    real.put(key, data);
  }

  @Override
  public MultipartUpload startMultipart(String key) {
    started.add(key);
    alive();
    return wrap(real.startMultipart(key));
  }

  @Override
  public MultipartUpload resumeMultipart(String key, String uploadId) {
    alive();
    return wrap(real.resumeMultipart(key, uploadId));
  }

  private MultipartUpload wrap(MultipartUpload upload) {
    return new MultipartUpload() {
      @Override
      public String key() {
        return upload.key();
      }

      @Override
      public String uploadId() {
        return upload.uploadId();
      }

      @Override
      public String uploadPart(int partNumber, byte[] data, int length) {
        if (partsLeft.getAndDecrement() <= 0) {
          throw new Crash();
        }
        return upload.uploadPart(partNumber, data, length);
      }

      @Override
      public void complete(List<CompletedPart> parts) {
        alive();
        upload.complete(parts);
      }

      @Override
      public void abort() {
        alive();
        upload.abort();
      }
    };
  }

  @Override
  public InputStream get(String key) {
    alive();
    return real.get(key);
  }

  @Override
  public Optional<ObjectInfo> head(String key) {
    alive();
    return real.head(key);
  }

  @Override
  public List<ObjectInfo> list(String prefix) {
    alive();
    return real.list(prefix);
  }

  @Override
  public void delete(String key) {
    alive();
    real.delete(key);
  }

  @Override
  public List<PendingUpload> pendingUploads(String prefix) {
    return real.pendingUploads(prefix);
  }

  @Override
  public void close() {}
}
