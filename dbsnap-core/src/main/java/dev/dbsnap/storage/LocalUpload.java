package dev.dbsnap.storage;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * One multipart upload of a {@link LocalObjectStore}, kept in its directory {@code
 * .dbsnap-uploads/{id}/}: {@code key}, {@code part-size}, {@code data} (part n at offset
 * (n-1)·partSize) and one {@code n.part} record per part, holding its size and CRC32C. A record is
 * written after its part's bytes and removed before they are overwritten, so bytes that no record
 * vouches for (a hole, a write cut short) never pass for a part. Thread-safe as the interface says:
 * positional writes of different parts do not touch each other's bytes.
 */
final class LocalUpload implements MultipartUpload {
  static final String KEY = "key";
  static final String PART_SIZE = "part-size";
  static final String DATA = "data";
  private static final String RECORD = ".part";

  private final String key;
  private final String id;
  private final Path dir;
  private final Path target;

  /** Bytes in every part but the last; 0 for an upload an older dbsnap started, one file a part. */
  private final int partSize;

  private LocalUpload(String key, String id, Path dir, Path target, int partSize) {
    this.key = key;
    this.id = id;
    this.dir = dir;
    this.target = target;
    this.partSize = partSize;
  }

  /**
   * Makes the upload's directory under a temporary name and renames it to its id once it holds its
   * key, part size and empty data file, so that no crash leaves an upload without them. On failure
   * the temporary directory is removed.
   */
  static LocalUpload start(Path uploads, String key, Path target, int partSize) throws IOException {
    Files.createDirectories(uploads);
    String id = UUID.randomUUID().toString();
    Path tmp = uploads.resolve(LocalTree.temporaryName());
    Files.createDirectory(tmp);
    try {
      Files.writeString(tmp.resolve(KEY), key, StandardCharsets.UTF_8);
      Files.writeString(tmp.resolve(PART_SIZE), Integer.toString(partSize));
      LocalTree.createPrivateFile(tmp.resolve(DATA));
      LocalTree.rename(tmp, uploads.resolve(id));
    } catch (IOException | RuntimeException e) {
      LocalTree.deleteTree(tmp, e);
      throw e;
    }
    return new LocalUpload(key, id, uploads.resolve(id), target, partSize);
  }

  /**
   * Re-attaches to the upload in {@code dir}.
   *
   * @throws NoSuchFileException when there is no upload of {@code key} in {@code dir}
   */
  static LocalUpload resume(Path dir, String key, Path target) throws IOException {
    if (!Files.readString(dir.resolve(KEY), StandardCharsets.UTF_8).equals(key)) {
      throw new NoSuchFileException(dir.toString());
    }
    int partSize;
    try {
      partSize = Integer.parseInt(Files.readString(dir.resolve(PART_SIZE)).strip());
    } catch (NoSuchFileException e) {
      partSize = 0; // written by an older dbsnap: it can still be aborted
    } catch (NumberFormatException e) {
      throw new NoSuchFileException(dir.toString(), null, "unreadable part size");
    }
    return new LocalUpload(key, dir.getFileName().toString(), dir, target, partSize);
  }

  @Override
  public String key() {
    return key;
  }

  @Override
  public String uploadId() {
    return id;
  }

  @Override
  public String uploadPart(int partNumber, byte[] data, int length) {
    requireContinuable();
    if (partNumber < 1 || partNumber > 10_000) {
      throw new IllegalArgumentException("part number " + partNumber + " is outside 1..10000");
    }
    if (length < 0 || length > data.length) {
      throw new IllegalArgumentException(
          "length " + length + " is outside the buffer of " + data.length + " bytes");
    }
    if (length > partSize) {
      throw new DbsnapException(
          ErrorCode.UPLOAD_FAILED,
          "part "
              + partNumber
              + " of "
              + key
              + " has "
              + length
              + " bytes, more than the upload's part size of "
              + partSize);
    }
    CRC32C crc = new CRC32C();
    crc.update(data, 0, length);
    String etag = Long.toHexString(crc.getValue());
    Path record = dir.resolve(partNumber + RECORD);
    try {
      // The old record goes first: should this write stop midway, nothing vouches for the bytes it
      // left at the part's offset, and a retry writes over them.
      Files.deleteIfExists(record);
      try (FileChannel ch = FileChannel.open(dir.resolve(DATA), StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(data, 0, length);
        long position = (long) (partNumber - 1) * partSize;
        while (buffer.hasRemaining()) {
          position += ch.write(buffer, position);
        }
      }
      writeRecord(record, length + " " + etag);
    } catch (NoSuchFileException e) {
      throw new DbsnapException(
          ErrorCode.UPLOAD_FAILED, "upload " + id + " of " + key + " was aborted", e);
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.UPLOAD_FAILED,
          "cannot write part " + partNumber + " of " + key + ": " + e.getMessage(),
          e);
    }
    return etag;
  }

  /** Writes a part's record whole or not at all: a temporary file renamed into place. */
  private void writeRecord(Path record, String content) throws IOException {
    Path tmp = LocalTree.createTemporaryFile(dir);
    try {
      Files.writeString(tmp, content);
      LocalTree.moveIntoPlace(tmp, record);
    } catch (IOException | RuntimeException e) {
      LocalTree.deleteQuietly(tmp, e);
      throw e;
    }
  }

  private record PartRecord(long size, String etag) {}

  private PartRecord readRecord(int number) throws IOException {
    String[] fields;
    try {
      fields = Files.readString(dir.resolve(number + RECORD)).split(" ");
    } catch (NoSuchFileException e) {
      return null;
    }
    try {
      return new PartRecord(Long.parseLong(fields[0]), fields[1]);
    } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
      throw new IOException("the record of part " + number + " is unreadable", e);
    }
  }

  @Override
  public void complete(List<CompletedPart> parts) {
    requireContinuable();
    List<CompletedPart> sorted = new ArrayList<>(parts);
    sorted.sort(Comparator.comparingInt(CompletedPart::number));
    for (int i = 0; i < sorted.size(); i++) {
      int number = sorted.get(i).number();
      if (number != i + 1) {
        throw failed(
            number == i
                ? "part " + number + " is listed twice"
                : "part " + (i + 1) + " is missing from the " + sorted.size() + " parts listed");
      }
    }
    try {
      if (!Files.isDirectory(dir)) {
        throw new NoSuchFileException(dir.toString());
      }
      long size = 0;
      for (CompletedPart p : sorted) {
        size += checkedSize(p, p.number() == sorted.size());
      }
      Files.createDirectories(target.getParent());
      Path data = dir.resolve(DATA);
      try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
        if (ch.size() < size) {
          throw failed(
              "its data file holds " + ch.size() + " bytes, fewer than the parts' " + size);
        }
        // A part uploaded again shorter, or parts past the last one listed, left bytes after the
        // object's end.
        ch.truncate(size);
      }
      LocalTree.moveIntoPlace(data, target);
    } catch (NoSuchFileException e) {
      throw new DbsnapException(
          ErrorCode.UPLOAD_FAILED,
          "upload " + id + " of " + key + " was aborted or completed already",
          e);
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.UPLOAD_FAILED, "cannot complete " + key + ": " + e.getMessage(), e);
    }
    try {
      discard();
    } catch (IOException e) {
      // The object is whole and visible. What is left is either a pending upload without data,
      // which an abort removes, or a temporary directory, which removeLeftovers removes.
    }
  }

  /** The size of a listed part, after checking it against its record and the part size. */
  private long checkedSize(CompletedPart p, boolean last) throws IOException {
    PartRecord record = readRecord(p.number());
    if (record == null) {
      throw failed("part " + p.number() + " was not uploaded");
    }
    if (record.size() != p.size()) {
      throw failed("part " + p.number() + " has " + record.size() + " bytes, expected " + p.size());
    }
    if (!record.etag().equals(p.etag())) {
      throw failed("part " + p.number() + " has ETag " + record.etag() + ", expected " + p.etag());
    }
    if (!last && record.size() != partSize) {
      throw failed(
          "part "
              + p.number()
              + " has "
              + record.size()
              + " bytes, but every part before the last must have the part size of "
              + partSize);
    }
    return record.size();
  }

  private DbsnapException failed(String why) {
    return new DbsnapException(
        ErrorCode.UPLOAD_FAILED, "cannot complete " + key + " (upload " + id + "): " + why);
  }

  @Override
  public void abort() {
    try {
      discard();
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE,
          "cannot abort upload " + id + " of " + key + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * Renames the directory to a temporary name, which ends the upload at once for every process,
   * then deletes it; a crash in between leaves a temporary directory for removeLeftovers.
   */
  private void discard() throws IOException {
    Path trash = dir.resolveSibling(LocalTree.temporaryName());
    try {
      LocalTree.rename(dir, trash);
    } catch (NoSuchFileException e) {
      return; // gone already
    }
    LocalTree.deleteTree(trash);
  }

  private void requireContinuable() {
    if (partSize == 0) {
      throw new DbsnapException(
          ErrorCode.RESUME_FAILED,
          "upload "
              + id
              + " of "
              + key
              + " was started by an older dbsnap, which kept each part in a file of its own; it"
              + " cannot be continued, only aborted");
    }
  }
}
