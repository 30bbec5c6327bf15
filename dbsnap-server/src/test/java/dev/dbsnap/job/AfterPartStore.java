package dev.dbsnap.job;

import dev.dbsnap.storage.ForwardingMultipartUpload;
import dev.dbsnap.storage.ForwardingObjectStore;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that runs a hook after every part it uploaded (to break the job's source connection,
 * say), and that can be told to fail every part upload from some point on, as an object store that
 * went away would.
 */
final class AfterPartStore extends ForwardingObjectStore {
  /** Runs after a part reached the store, with how many parts have so far. */
  interface Hook {
    void uploaded(int parts) throws Exception;
  }

  private final Hook hook;
  private final int failAfter;
  private final AtomicInteger parts = new AtomicInteger();
  private Exception hookFailure;

  /**
   * @param failAfter parts uploaded before every further part upload fails; {@code
   *     Integer.MAX_VALUE} for never
   */
  AfterPartStore(ObjectStore real, Hook hook, int failAfter) {
    super(real);
    this.hook = hook;
    this.failAfter = failAfter;
  }

  AfterPartStore(ObjectStore real, Hook hook) {
    this(real, hook, Integer.MAX_VALUE);
  }

  /** Parts that reached the store. */
  int parts() {
    return parts.get();
  }

  @Override
  protected MultipartUpload wrap(MultipartUpload upload) {
    return new ForwardingMultipartUpload(upload) {
      @Override
      public String uploadPart(int partNumber, byte[] data, int length) {
        if (parts.get() >= failAfter) {
          throw new UncheckedIOException(new IOException("simulated object store outage"));
        }
        String etag = delegate.uploadPart(partNumber, data, length);
        afterPart(parts.incrementAndGet());
        return etag;
      }
    };
  }

  /** One hook at a time: uploads run on several threads. */
  private synchronized void afterPart(int uploaded) {
    try {
      hook.uploaded(uploaded);
    } catch (Exception e) {
      // Not thrown: the part did reach the store. The test asserts that no hook failed.
      if (hookFailure == null) {
        hookFailure = e;
      }
    }
  }

  /** The first failure of the hook, or null. */
  synchronized Exception hookFailure() {
    return hookFailure;
  }
}
