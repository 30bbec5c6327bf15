package dev.dbsnap.job;

import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** An object store that times every part upload into the part-upload histogram. */
final class TimedObjectStore implements ObjectStore {
  private final ObjectStore store;
  private final JobMetrics metrics;

  TimedObjectStore(ObjectStore store, JobMetrics metrics) {
    this.store = store;
    this.metrics = metrics;
  }

  @Override
  public String describe() {
    return store.describe();
  }

  @Override
  public void checkAccess() {
    store.checkAccess();
  }

  @Override
  public void put(String key, byte[] data) {
    store.put(key, data);
  }

  @Override
  public MultipartUpload startMultipart(String key) {
    return new Timed(store.startMultipart(key));
  }

  @Override
  public MultipartUpload resumeMultipart(String key, String uploadId) {
    return new Timed(store.resumeMultipart(key, uploadId));
  }

  @Override
  public InputStream get(String key) {
    return store.get(key);
  }

  @Override
  public Optional<ObjectInfo> head(String key) {
    return store.head(key);
  }

  @Override
  public List<ObjectInfo> list(String prefix) {
    return store.list(prefix);
  }

  @Override
  public void delete(String key) {
    store.delete(key);
  }

  @Override
  public List<PendingUpload> pendingUploads(String prefix) {
    return store.pendingUploads(prefix);
  }

  @Override
  public Optional<URI> presignedGet(String key, Duration ttl) {
    return store.presignedGet(key, ttl);
  }

  /** The service does not own the store it was given; closing it is the caller's business. */
  @Override
  public void close() {}

  private final class Timed implements MultipartUpload {
    private final MultipartUpload upload;

    Timed(MultipartUpload upload) {
      this.upload = upload;
    }

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
      long start = System.nanoTime();
      String etag = upload.uploadPart(partNumber, data, length);
      metrics.partUploaded((System.nanoTime() - start) / 1e9);
      return etag;
    }

    @Override
    public void complete(List<CompletedPart> parts) {
      upload.complete(parts);
    }

    @Override
    public void abort() {
      upload.abort();
    }
  }
}
