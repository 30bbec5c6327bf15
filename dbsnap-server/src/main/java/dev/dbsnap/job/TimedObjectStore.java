package dev.dbsnap.job;

import dev.dbsnap.storage.ForwardingMultipartUpload;
import dev.dbsnap.storage.ForwardingObjectStore;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectStore;

/**
 * An object store that times every part upload into the part-upload histogram. The service does not
 * own the store it was given; closing this one leaves it open.
 */
final class TimedObjectStore extends ForwardingObjectStore {
  private final JobMetrics metrics;

  TimedObjectStore(ObjectStore store, JobMetrics metrics) {
    super(store);
    this.metrics = metrics;
  }

  @Override
  protected MultipartUpload wrap(MultipartUpload upload) {
    return new ForwardingMultipartUpload(upload) {
      @Override
      public String uploadPart(int partNumber, byte[] data, int length) {
        long start = System.nanoTime();
        String etag = delegate.uploadPart(partNumber, data, length);
        metrics.partUploaded((System.nanoTime() - start) / 1e9);
        return etag;
      }
    };
  }
}
