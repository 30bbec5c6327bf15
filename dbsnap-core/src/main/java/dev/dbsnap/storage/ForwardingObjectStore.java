package dev.dbsnap.storage;

import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An object store that passes every call to another, for decorators that change a few of them
 * (timing uploads, failing on purpose in tests). Uploads started or resumed through it go through
 * {@link #wrap(MultipartUpload)}. Closing it does not close the store it forwards to, which belongs
 * to whoever made it. Thread-safe when the delegate is.
 */
public abstract class ForwardingObjectStore implements ObjectStore {
  protected final ObjectStore delegate;

  protected ForwardingObjectStore(ObjectStore delegate) {
    this.delegate = delegate;
  }

  /** Wraps each upload started or resumed through this store; returns it unchanged by default. */
  protected MultipartUpload wrap(MultipartUpload upload) {
    return upload;
  }

  @Override
  public String describe() {
    return delegate.describe();
  }

  @Override
  public void checkAccess() {
    delegate.checkAccess();
  }

  @Override
  public void put(String key, byte[] data) {
    delegate.put(key, data);
  }

  @Override
  public MultipartUpload startMultipart(String key, int partSize) {
    return wrap(delegate.startMultipart(key, partSize));
  }

  @Override
  public MultipartUpload resumeMultipart(String key, String uploadId) {
    return wrap(delegate.resumeMultipart(key, uploadId));
  }

  @Override
  public InputStream get(String key) {
    return delegate.get(key);
  }

  @Override
  public Optional<ObjectInfo> head(String key) {
    return delegate.head(key);
  }

  @Override
  public List<ObjectInfo> list(String prefix) {
    return delegate.list(prefix);
  }

  @Override
  public void delete(String key) {
    delegate.delete(key);
  }

  @Override
  public List<PendingUpload> pendingUploads(String prefix) {
    return delegate.pendingUploads(prefix);
  }

  @Override
  public List<String> removeLeftovers(String prefix, Instant olderThan) {
    return delegate.removeLeftovers(prefix, olderThan);
  }

  @Override
  public Optional<URI> presignedGet(String key, Duration ttl) {
    return delegate.presignedGet(key, ttl);
  }

  @Override
  public void close() {}
}
