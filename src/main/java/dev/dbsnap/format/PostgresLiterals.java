package dev.dbsnap.format;

/** Placeholder. */
abstract class PostgresLiterals implements SqlLiterals {
  static final SqlLiterals INSTANCE = null;
}
