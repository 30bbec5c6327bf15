package dev.dbsnap.s3;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import java.nio.file.Path;

/** Opens the object store a user named by location: a directory or an S3 bucket. */
public final class ObjectStores {
  private ObjectStores() {}

  /**
   * Opens a directory path (created if missing) or {@code s3://bucket[/prefix]}; keys are relative
   * to the directory or prefix.
   *
   * @param s3 how to reach S3, or null for the SDK's defaults; ignored for a directory
   * @throws DbsnapException INVALID_ARGUMENT for a malformed location, STORE_UNAVAILABLE when a
   *     directory cannot be created
   */
  public static ObjectStore open(String location, S3Settings s3) {
    if (location.startsWith("s3://")) {
      return S3ObjectStore.open(location, s3 == null ? S3Settings.DEFAULTS : s3);
    }
    if (location.contains("://")) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "unsupported destination '" + location + "': use a directory or s3://bucket/prefix");
    }
    return LocalObjectStore.open(Path.of(location));
  }
}
