package dev.dbsnap.storage;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

/**
 * The file operations a {@link LocalObjectStore} is made of: temporary names that {@link
 * LocalObjectStore#removeLeftovers} recognizes, moves that replace in one step, and deletes and
 * walks that take files another thread or process removes meanwhile in their stride.
 */
final class LocalTree {
  private static final String TEMPORARY_PREFIX = ".dbsnap-";
  private static final String TEMPORARY_SUFFIX = ".tmp";

  private LocalTree() {}

  /** Whether a file's name is one of a temporary file: {@code .dbsnap-*.tmp}. */
  static boolean isTemporary(String fileName) {
    return fileName.startsWith(TEMPORARY_PREFIX) && fileName.endsWith(TEMPORARY_SUFFIX);
  }

  /** Creates an empty temporary file in {@code dir}. */
  static Path createTemporaryFile(Path dir) throws IOException {
    return Files.createTempFile(dir, TEMPORARY_PREFIX, TEMPORARY_SUFFIX);
  }

  /** A new name for a temporary file or directory, which removeLeftovers recognizes. */
  static String temporaryName() {
    return TEMPORARY_PREFIX + UUID.randomUUID() + TEMPORARY_SUFFIX;
  }

  /** Creates an empty file only its owner may read, as {@link Files#createTempFile} does. */
  static void createPrivateFile(Path file) throws IOException {
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } else {
      Files.createFile(file);
    }
  }

  /** Moves a file over {@code target} in one step where the file system can. */
  static void moveIntoPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Renames a directory to a new name within its parent. */
  static void rename(Path dir, Path target) throws IOException {
    try {
      Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(dir, target);
    }
  }

  /** Deletes a file after {@code failure}, adding a failure to delete it to that one. */
  static void deleteQuietly(Path file, Exception failure) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }

  /** Deletes a directory tree after {@code failure}, adding a failure to do so to that one. */
  static void deleteTree(Path dir, Exception failure) {
    try {
      deleteTree(dir);
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }

  /**
   * Deletes a directory and everything in it; what another thread deletes meanwhile is no error.
   */
  static void deleteTree(Path dir) throws IOException {
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
              if (e instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE;
              }
              throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              if (e != null && !(e instanceof NoSuchFileException)) {
                throw e;
              }
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (NoSuchFileException e) {
      // gone already
    }
  }

  interface DirectoryFilter {
    boolean enter(Path dir, BasicFileAttributes attributes) throws IOException;
  }

  interface FileAction {
    void accept(Path file, BasicFileAttributes attributes) throws IOException;
  }

  /**
   * Visits the regular files (or links to them) under {@code start} in the directories {@code
   * enter} accepts, never entering {@code skipped} unless it starts there; files and directories
   * that vanish meanwhile are skipped.
   */
  static void walk(Path start, Path skipped, DirectoryFilter enter, FileAction action)
      throws IOException {
    Files.walkFileTree(
        start,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes)
              throws IOException {
            return (dir.equals(start) || !dir.equals(skipped)) && enter.enter(dir, attributes)
                ? FileVisitResult.CONTINUE
                : FileVisitResult.SKIP_SUBTREE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
              throws IOException {
            BasicFileAttributes target = attributes;
            if (attributes.isSymbolicLink()) {
              try {
                target = Files.readAttributes(file, BasicFileAttributes.class);
              } catch (NoSuchFileException e) {
                return FileVisitResult.CONTINUE; // a dangling link, or gone
              }
            }
            if (target.isRegularFile()) {
              action.accept(file, target);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }
        });
  }
}
