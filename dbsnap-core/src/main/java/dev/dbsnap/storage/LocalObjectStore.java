package dev.dbsnap.storage;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Objects as files under a root directory, with the same semantics as S3: multipart uploads keep
 * their parts in {@code .dbsnap-uploads/{uploadId}/} and completion assembles them into a temporary
 * file that is renamed into place, so a reader never sees a half-written object.
 */
public final class LocalObjectStore implements ObjectStore {
  static final String UPLOADS = ".dbsnap-uploads";
  private final Path root;

  private LocalObjectStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public static ObjectStore open(Path root) {
    return new LocalObjectStore(root);
  }

  @Override
  public String describe() {
    return root.toString();
  }

  @Override
  public void checkAccess() {
    try {
      Files.createDirectories(root);
      Path probe = Files.createTempFile(root, ".dbsnap-probe", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE,
          "cannot write to directory " + root + ": " + e.getMessage(),
          e);
    }
  }

  private Path resolve(String key) {
    Path path = root.resolve(key).normalize();
    if (!path.startsWith(root) || key.isEmpty() || key.startsWith(UPLOADS)) {
      throw new IllegalArgumentException("object key '" + key + "' is outside the store");
    }
    return path;
  }

  @Override
  public void put(String key, byte[] data) {
    Path target = resolve(key);
    try {
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), ".dbsnap-", ".tmp");
      Files.write(tmp, data);
      moveIntoPlace(tmp, target);
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.UPLOAD_FAILED, "cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  private static void moveIntoPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Override
  public MultipartUpload startMultipart(String key) {
    resolve(key);
    String id = UUID.randomUUID().toString();
    Path dir = root.resolve(UPLOADS).resolve(id);
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("key"), key);
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE,
          "cannot start an upload in " + root + ": " + e.getMessage(),
          e);
    }
    return new LocalUpload(key, id, dir);
  }

  @Override
  public MultipartUpload resumeMultipart(String key, String uploadId) {
    Path dir = root.resolve(UPLOADS).resolve(uploadId).normalize();
    try {
      if (!dir.getParent().equals(root.resolve(UPLOADS))
          || !Files.readString(dir.resolve("key")).equals(key)) {
        throw new NoSuchFileException(dir.toString());
      }
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.RESUME_FAILED,
          "upload " + uploadId + " of " + key + " no longer exists in " + root);
    }
    return new LocalUpload(key, uploadId, dir);
  }

  @Override
  public InputStream get(String key) {
    try {
      return Files.newInputStream(resolve(key));
    } catch (NoSuchFileException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "object " + key + " does not exist in " + root);
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE,
          "cannot read " + key + " in " + root + ": " + e.getMessage(),
          e);
    }
  }

  @Override
  public Optional<ObjectInfo> head(String key) {
    Path path = resolve(key);
    try {
      return Optional.of(info(key, path));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  private static ObjectInfo info(String key, Path path) throws IOException {
    long size = Files.size(path);
    FileTime modified = Files.getLastModifiedTime(path);
    return new ObjectInfo(
        key, size, Long.toHexString(size) + "-" + Long.toHexString(modified.toMillis()));
  }

  @Override
  public List<ObjectInfo> list(String prefix) {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<ObjectInfo> result = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        String key = root.relativize(p).toString().replace('\\', '/');
        if (key.startsWith(UPLOADS + "/") || p.getFileName().toString().startsWith(".dbsnap-")) {
          continue;
        }
        if (key.startsWith(prefix)) {
          result.add(info(key, p));
        }
      }
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "cannot list " + root + ": " + e.getMessage(), e);
    }
    result.sort(Comparator.comparing(ObjectInfo::key));
    return result;
  }

  @Override
  public void delete(String key) {
    try {
      Files.deleteIfExists(resolve(key));
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE,
          "cannot delete " + key + " in " + root + ": " + e.getMessage(),
          e);
    }
  }

  @Override
  public List<PendingUpload> pendingUploads(String prefix) {
    Path uploads = root.resolve(UPLOADS);
    if (!Files.isDirectory(uploads)) {
      return List.of();
    }
    List<PendingUpload> result = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(uploads)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        Path keyFile = dir.resolve("key");
        if (Files.isRegularFile(keyFile)) {
          String key = Files.readString(keyFile, StandardCharsets.UTF_8);
          if (key.startsWith(prefix)) {
            result.add(
                new PendingUpload(
                    key,
                    dir.getFileName().toString(),
                    Files.getLastModifiedTime(keyFile).toInstant()));
          }
        }
      }
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "cannot list uploads in " + root + ": " + e.getMessage(), e);
    }
    return result;
  }

  @Override
  public void close() {}

  private final class LocalUpload implements MultipartUpload {
    private final String key;
    private final String id;
    private final Path dir;

    LocalUpload(String key, String id, Path dir) {
      this.key = key;
      this.id = id;
      this.dir = dir;
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
      Path part = dir.resolve(partNumber + ".part");
      try {
        Path tmp = Files.createTempFile(dir, ".dbsnap-", ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(data, 0, length);
          while (buffer.hasRemaining()) {
            ch.write(buffer);
          }
        }
        moveIntoPlace(tmp, part);
      } catch (NoSuchFileException e) {
        throw new DbsnapException(
            ErrorCode.UPLOAD_FAILED, "upload " + id + " of " + key + " was aborted");
      } catch (IOException e) {
        throw new DbsnapException(
            ErrorCode.UPLOAD_FAILED,
            "cannot write part " + partNumber + " of " + key + ": " + e.getMessage(),
            e);
      }
      CRC32C crc = new CRC32C();
      crc.update(data, 0, length);
      return Long.toHexString(crc.getValue());
    }

    @Override
    public void complete(List<CompletedPart> parts) {
      Path target = resolve(key);
      try {
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".dbsnap-", ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          List<CompletedPart> sorted = new ArrayList<>(parts);
          sorted.sort(Comparator.comparingInt(CompletedPart::number));
          for (CompletedPart p : sorted) {
            try (FileChannel in = FileChannel.open(dir.resolve(p.number() + ".part"))) {
              if (in.size() != p.size()) {
                throw new DbsnapException(
                    ErrorCode.UPLOAD_FAILED,
                    "part "
                        + p.number()
                        + " of "
                        + key
                        + " has "
                        + in.size()
                        + " bytes, expected "
                        + p.size());
              }
              long done = 0;
              while (done < in.size()) {
                done += in.transferTo(done, in.size() - done, out);
              }
            }
          }
        }
        moveIntoPlace(tmp, target);
        deleteDir(dir);
      } catch (IOException e) {
        throw new DbsnapException(
            ErrorCode.UPLOAD_FAILED, "cannot complete " + key + ": " + e.getMessage(), e);
      }
    }

    @Override
    public void abort() {
      try {
        deleteDir(dir);
      } catch (IOException e) {
        throw new DbsnapException(
            ErrorCode.STORE_UNAVAILABLE,
            "cannot abort upload " + id + " of " + key + ": " + e.getMessage(),
            e);
      }
    }
  }

  private static void deleteDir(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
