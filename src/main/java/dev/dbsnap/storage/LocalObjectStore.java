package dev.dbsnap.storage;

/** Placeholder. */
abstract class LocalObjectStore implements ObjectStore {
  static ObjectStore open(java.nio.file.Path root) { return null; }
}
