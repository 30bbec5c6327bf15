package dev.dbsnap.storage;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Objects as files under a root directory, with the same semantics as S3: a reader sees a whole
 * object or none. Thread-safe; several processes may share one root.
 *
 * <p>An object is the file at its key. {@link #put} writes a temporary file {@code .dbsnap-*.tmp}
 * beside it and renames it into place. A multipart upload lives in {@code .dbsnap-uploads/{id}/}:
 * {@code key}, {@code part-size}, {@code data} (the object being assembled, part n written at
 * offset (n-1)·partSize) and for each part uploaded an {@code n.part} record of its size and
 * CRC32C, written after its bytes. Completion checks the records against the parts listed,
 * truncates {@code data} to the object's size and renames it to the key, then removes the
 * directory: no byte is copied, and the disk never holds more than the object (plus a few bytes a
 * part), where copying parts into place needed twice its size. The upload's directory is made under
 * a temporary name and renamed to its id once it holds {@code key} and {@code part-size}; an abort
 * renames it to a temporary name before deleting it.
 *
 * <p>What failures leave: a failed part write leaves no record of that part (its bytes are
 * overwritten by the retry); a failed completion leaves the upload as it was, to be completed again
 * or aborted; a failed put deletes its temporary file. A process that dies mid-write leaves {@code
 * .dbsnap-*.tmp} files beside objects and temporary directories in {@code .dbsnap-uploads/}, which
 * {@link #removeLeftovers} removes, and open uploads, which {@link #pendingUploads} lists and an
 * abort removes. An upload an older dbsnap started (one file a part, no {@code part-size}) can be
 * listed and aborted, but continuing or completing it fails with RESUME_FAILED, so a resumed export
 * writes that object again.
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
      Path probe = LocalTree.createTemporaryFile(root);
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
    Path tmp = null;
    try {
      Files.createDirectories(target.getParent());
      tmp = LocalTree.createTemporaryFile(target.getParent());
      Files.write(tmp, data);
      LocalTree.moveIntoPlace(tmp, target);
    } catch (IOException e) {
      LocalTree.deleteQuietly(tmp, e);
      throw new DbsnapException(
          ErrorCode.UPLOAD_FAILED, "cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  @Override
  public MultipartUpload startMultipart(String key, int partSize) {
    if (partSize < 1) {
      throw new IllegalArgumentException("part size " + partSize + " is not positive");
    }
    Path target = resolve(key);
    try {
      return LocalUpload.start(root.resolve(UPLOADS), key, target, partSize);
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE,
          "cannot start an upload in " + root + ": " + e.getMessage(),
          e);
    }
  }

  @Override
  public MultipartUpload resumeMultipart(String key, String uploadId) {
    Path uploads = root.resolve(UPLOADS);
    Path dir = uploads.resolve(uploadId).normalize();
    try {
      if (!uploads.equals(dir.getParent()) || uploadId.startsWith(".")) {
        throw new NoSuchFileException(dir.toString());
      }
      return LocalUpload.resume(dir, key, resolve(key));
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.RESUME_FAILED,
          "upload " + uploadId + " of " + key + " no longer exists in " + root);
    }
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
      return Optional.of(info(key, Files.readAttributes(path, BasicFileAttributes.class)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public List<ObjectInfo> list(String prefix) {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<ObjectInfo> result = new ArrayList<>();
    try {
      walk(
          root,
          (dir, attributes) -> true,
          (file, attributes) -> {
            String key = root.relativize(file).toString().replace('\\', '/');
            // files named .dbsnap-* are this store's own (temporary files of older versions too)
            if (!file.getFileName().toString().startsWith(".dbsnap-") && key.startsWith(prefix)) {
              result.add(info(key, attributes));
            }
          });
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "cannot list " + root + ": " + e.getMessage(), e);
    }
    result.sort(Comparator.comparing(ObjectInfo::key));
    return result;
  }

  private static ObjectInfo info(String key, BasicFileAttributes attributes) {
    long size = attributes.size();
    long modified = attributes.lastModifiedTime().toMillis();
    return new ObjectInfo(key, size, Long.toHexString(size) + "-" + Long.toHexString(modified));
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
        Path keyFile = dir.resolve(LocalUpload.KEY);
        if (dir.getFileName().toString().startsWith(".") || !Files.isRegularFile(keyFile)) {
          continue; // a temporary directory, or a leftover of an older dbsnap
        }
        try {
          String key = Files.readString(keyFile, StandardCharsets.UTF_8);
          if (key.startsWith(prefix)) {
            result.add(
                new PendingUpload(
                    key,
                    dir.getFileName().toString(),
                    Files.getLastModifiedTime(keyFile).toInstant()));
          }
        } catch (NoSuchFileException e) {
          // completed or aborted while we looked
        }
      }
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "cannot list uploads in " + root + ": " + e.getMessage(), e);
    }
    return result;
  }

  /**
   * Removes what interrupted writes left, last modified before {@code olderThan}: temporary files
   * {@code .dbsnap-*.tmp} (of a put, an access probe, or an older dbsnap's completion) in every
   * directory that can hold a key starting with {@code prefix}, and, when {@code prefix} is empty,
   * the directories in {@code .dbsnap-uploads/} that are no upload: temporary ones (a start or an
   * abort cut short) and those without a {@code key} (an older dbsnap's start cut short). These
   * name no key, so only the empty prefix, which covers every key, can tell they lie under it. A
   * directory counts as modified when anything in it was. Open uploads, and the temporary files a
   * part write cut short inside one, belong to that upload: abort it to free them.
   *
   * @return the path of each file or directory removed
   * @throws IllegalArgumentException when {@code prefix} points outside the root
   * @throws DbsnapException STORE_UNAVAILABLE when a leftover cannot be listed or removed
   */
  @Override
  public List<String> removeLeftovers(String prefix, Instant olderThan) {
    String prefixDir = prefix.substring(0, prefix.lastIndexOf('/') + 1);
    Path base = root.resolve(prefixDir).normalize();
    if (!base.startsWith(root)) {
      throw new IllegalArgumentException("prefix '" + prefix + "' is outside the store");
    }
    FileTime cutoff = FileTime.from(olderThan);
    List<String> removed = new ArrayList<>();
    try {
      // no key lies in .dbsnap-uploads, and the temporary files there belong to open uploads
      if (Files.isDirectory(base) && !base.startsWith(root.resolve(UPLOADS))) {
        walk(
            base,
            // deeper directories hold keys under the prefix only when their own path starts with it
            (dir, attributes) -> dir.equals(base) || keyPrefixOf(dir).startsWith(prefix),
            (file, attributes) -> {
              if (LocalTree.isTemporary(file.getFileName().toString())
                  && attributes.lastModifiedTime().compareTo(cutoff) < 0
                  && Files.deleteIfExists(file)) {
                removed.add(file.toString());
              }
            });
      }
      if (prefix.isEmpty()) {
        removeAbandonedUploadDirectories(cutoff, removed);
      }
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE,
          "cannot remove leftovers in " + root + ": " + e.getMessage(),
          e);
    }
    return removed;
  }

  private String keyPrefixOf(Path dir) {
    return root.relativize(dir).toString().replace('\\', '/') + "/";
  }

  private void removeAbandonedUploadDirectories(FileTime cutoff, List<String> removed)
      throws IOException {
    Path uploads = root.resolve(UPLOADS);
    if (!Files.isDirectory(uploads)) {
      return;
    }
    List<Path> candidates = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(uploads)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        if (Files.isDirectory(dir)
            && (dir.getFileName().toString().startsWith(".")
                || !Files.exists(dir.resolve(LocalUpload.KEY)))) {
          candidates.add(dir);
        }
      }
    }
    for (Path dir : candidates) {
      FileTime modified = lastModified(dir);
      if (modified != null && modified.compareTo(cutoff) < 0) {
        LocalTree.deleteTree(dir);
        removed.add(dir.toString());
      }
    }
  }

  private void walk(Path start, LocalTree.DirectoryFilter enter, LocalTree.FileAction action)
      throws IOException {
    LocalTree.walk(start, root.resolve(UPLOADS), enter, action);
  }

  /** The latest modification time of a directory and everything in it, or null when it is gone. */
  private FileTime lastModified(Path dir) throws IOException {
    FileTime[] latest = {null};
    LocalTree.FileAction newest =
        (path, attributes) -> {
          if (latest[0] == null || attributes.lastModifiedTime().compareTo(latest[0]) > 0) {
            latest[0] = attributes.lastModifiedTime();
          }
        };
    walk(
        dir,
        (d, attributes) -> {
          newest.accept(d, attributes);
          return true;
        },
        newest);
    return latest[0];
  }

  @Override
  public void close() {}
}
