package dev.dbsnap.source;

/** Placeholder. */
abstract class SqliteDialect implements Dialect {
  static final Dialect INSTANCE = null;
}
