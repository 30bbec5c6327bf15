package dev.dbsnap.source;

/** The database kinds dbsnap reads and restores. */
public enum DialectKind {
  SQLITE,
  POSTGRESQL
}
