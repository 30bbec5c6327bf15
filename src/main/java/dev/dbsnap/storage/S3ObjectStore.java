package dev.dbsnap.storage;

/** Placeholder; implemented with the AWS SDK v2. */
final class S3ObjectStore {
  static ObjectStore open(String location, S3Settings settings) {
    throw new UnsupportedOperationException("not yet");
  }
}
