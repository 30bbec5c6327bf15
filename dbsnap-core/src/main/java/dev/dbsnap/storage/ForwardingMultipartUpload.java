package dev.dbsnap.storage;

import java.util.List;

/**
 * A multipart upload that passes every call to another, for decorators that change a few of them.
 */
public class ForwardingMultipartUpload implements MultipartUpload {
  protected final MultipartUpload delegate;

  public ForwardingMultipartUpload(MultipartUpload delegate) {
    this.delegate = delegate;
  }

  @Override
  public String key() {
    return delegate.key();
  }

  @Override
  public String uploadId() {
    return delegate.uploadId();
  }

  @Override
  public String uploadPart(int partNumber, byte[] data, int length) {
    return delegate.uploadPart(partNumber, data, length);
  }

  @Override
  public void complete(List<CompletedPart> parts) {
    delegate.complete(parts);
  }

  @Override
  public void abort() {
    delegate.abort();
  }
}
