package dev.dbsnap.format;

/** Placeholder. */
abstract class SqliteLiterals implements SqlLiterals {
  static final SqlLiterals INSTANCE = null;
}
