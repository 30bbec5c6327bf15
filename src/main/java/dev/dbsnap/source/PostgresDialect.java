package dev.dbsnap.source;

/** Placeholder. */
abstract class PostgresDialect implements Dialect {
  static final Dialect INSTANCE = null;
}
