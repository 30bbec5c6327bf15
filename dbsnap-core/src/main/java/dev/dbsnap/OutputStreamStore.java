package dev.dbsnap;

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
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The sink of {@link Export#writeTo}: each object the engine completes goes to one output stream,
 * as it is or as one entry of a ZIP. The engine uploads with concurrency 1 here, so parts arrive
 * one at a time in number order and one object ends before the next begins; the manifest and
 * checkpoints are not written. A failed write (a reader that went away) marks the sink broken,
 * which cancels the export. Written by the export's threads one at a time.
 */
final class OutputStreamStore implements ObjectStore {
  private final OutputStream out;
  private final String exportDir;
  private final ZipOutputStream zip;
  private final boolean entriesCompressed;
  private final Instant time;
  private volatile boolean broken;
  private String open;

  /**
   * @param zipped whether objects become entries of one ZIP
   * @param entriesCompressed whether the objects are compressed already (stored, not deflated)
   */
  OutputStreamStore(
      OutputStream out, String exportDir, boolean zipped, boolean entriesCompressed, Instant time) {
    this.out = out;
    this.exportDir = exportDir;
    this.zip = zipped ? new ZipOutputStream(out) : null;
    this.entriesCompressed = entriesCompressed;
    this.time = time;
  }

  boolean broken() {
    return broken;
  }

  /** Ends the stream's content: the ZIP's central directory, then a flush. Does not close it. */
  void finish() {
    write(
        () -> {
          if (zip != null) {
            zip.finish();
          }
          out.flush();
        });
  }

  private interface Write {
    void run() throws IOException;
  }

  private synchronized void write(Write w) {
    if (broken) {
      throw new DbsnapException(ErrorCode.CANCELLED, "the output stream was closed");
    }
    try {
      w.run();
    } catch (IOException e) {
      broken = true;
      throw new DbsnapException(
          ErrorCode.CANCELLED, "the output stream was closed: " + e.getMessage(), e);
    }
  }

  private void begin(String key) throws IOException {
    if (open != null) {
      throw new IllegalStateException("object " + key + " started while " + open + " is open");
    }
    open = key;
    if (zip != null) {
      ZipEntry entry = new ZipEntry(key.substring(exportDir.length()));
      entry.setTime(time.toEpochMilli());
      zip.setLevel(entriesCompressed ? Deflater.NO_COMPRESSION : Deflater.BEST_SPEED);
      zip.putNextEntry(entry);
    }
  }

  private void end() throws IOException {
    open = null;
    if (zip != null) {
      zip.closeEntry();
    }
  }

  private OutputStream sink() {
    return zip != null ? zip : out;
  }

  private boolean skipped(String key) {
    return key.equals(exportDir + Manifest.FILE) || key.equals(exportDir + Export.CHECKPOINT_FILE);
  }

  @Override
  public String describe() {
    return "the output stream";
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
  public MultipartUpload startMultipart(String key, int partSize) {
    write(() -> begin(key));
    return new Upload(key);
  }

  @Override
  public MultipartUpload resumeMultipart(String key, String uploadId) {
    throw new DbsnapException(ErrorCode.RESUME_FAILED, "an export to a stream cannot be resumed");
  }

  @Override
  public InputStream get(String key) {
    throw new DbsnapException(ErrorCode.STORE_UNAVAILABLE, "a stream cannot be read back");
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
    // what was written cannot be taken back; the caller aborts the stream instead
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
      return "stream";
    }

    @Override
    public String uploadPart(int partNumber, byte[] data, int length) {
      write(() -> sink().write(data, 0, length));
      return Integer.toString(partNumber);
    }

    @Override
    public void complete(List<CompletedPart> parts) {
      write(OutputStreamStore.this::end);
    }

    @Override
    public void abort() {}
  }
}
