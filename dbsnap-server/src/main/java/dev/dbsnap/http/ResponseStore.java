package dev.dbsnap.http;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An {@link ObjectStore} that is an HTTP response: each object an {@link Exporter} completes is
 * written to the response in order, either as is or as one entry of a ZIP. It relies on the
 * exporter uploading with concurrency 1, so parts arrive one at a time and in number order and one
 * object ends before the next begins; the manifest and checkpoints are not sent. A failed write
 * (the client went away) marks the store {@link #disconnected()}, which cancels the export.
 */
final class ResponseStore implements ObjectStore {
  private final OutputStream out;
  private final String exportDir;
  private final ZipStream zip;
  private volatile boolean disconnected;
  private String open;

  /**
   * @param zip a ZIP to write entries into, or null to write the objects' bytes as they are
   */
  ResponseStore(OutputStream out, String exportDir, ZipStream zip) {
    this.out = out;
    this.exportDir = exportDir;
    this.zip = zip;
  }

  /** ZIP settings for a response holding several objects. */
  record ZipStream(java.util.zip.ZipOutputStream stream, Instant time, boolean compressed) {}

  boolean disconnected() {
    return disconnected;
  }

  /** Ends the response body: the ZIP's central directory, then a flush. */
  void finish() {
    write(
        () -> {
          if (zip != null) {
            zip.stream().finish();
          }
          out.flush();
        });
  }

  private interface Write {
    void run() throws IOException;
  }

  private synchronized void write(Write w) {
    if (disconnected) {
      throw new DbsnapException(ErrorCode.CANCELLED, "the client closed the connection");
    }
    try {
      w.run();
    } catch (IOException e) {
      disconnected = true;
      throw new DbsnapException(ErrorCode.CANCELLED, "the client closed the connection");
    }
  }

  private void begin(String key) throws IOException {
    if (open != null) {
      throw new IllegalStateException(
          "object " + key + " started while " + open + " is still open");
    }
    open = key;
    if (zip != null) {
      Downloads.putEntry(
          zip.stream(), key.substring(exportDir.length()), zip.time(), zip.compressed());
    }
  }

  private void end() throws IOException {
    open = null;
    if (zip != null) {
      zip.stream().closeEntry();
    }
  }

  private OutputStream sink() {
    return zip != null ? zip.stream() : out;
  }

  private boolean skipped(String key) {
    return key.equals(exportDir + Manifest.FILE)
        || key.equals(exportDir + Exporter.CHECKPOINT_FILE);
  }

  @Override
  public String describe() {
    return "the HTTP response";
  }

  @Override
  public void checkAccess() {}

  @Override
  public void put(String key, byte[] data) {
    if (skipped(key)) {
      return;
    }
    write(
        () -> {
          begin(key);
          sink().write(data);
          end();
        });
  }

  @Override
  public MultipartUpload startMultipart(String key) {
    write(() -> begin(key));
    return new Upload(key);
  }

  @Override
  public MultipartUpload resumeMultipart(String key, String uploadId) {
    throw new DbsnapException(ErrorCode.RESUME_FAILED, "a streamed dump cannot be resumed");
  }

  @Override
  public InputStream get(String key) {
    throw new DbsnapException(ErrorCode.STORE_UNAVAILABLE, "a streamed dump cannot be read back");
  }

  @Override
  public Optional<ObjectInfo> head(String key) {
    return Optional.empty();
  }

  @Override
  public List<ObjectInfo> list(String prefix) {
    return List.of();
  }

  @Override
  public void delete(String key) {
    // what was sent cannot be taken back; a failed dump aborts the connection instead
  }

  @Override
  public List<PendingUpload> pendingUploads(String prefix) {
    return List.of();
  }

  @Override
  public void close() {}

  private final class Upload implements MultipartUpload {
    private final String key;

    Upload(String key) {
      this.key = key;
    }

    @Override
    public String key() {
      return key;
    }

    @Override
    public String uploadId() {
      return "response";
    }

    @Override
    public String uploadPart(int partNumber, byte[] data, int length) {
      write(() -> sink().write(data, 0, length));
      return Integer.toString(partNumber);
    }

    @Override
    public void complete(List<CompletedPart> parts) {
      write(ResponseStore.this::end);
    }

    @Override
    public void abort() {}
  }
}
