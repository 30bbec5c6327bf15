package dev.dbsnap.format;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.DialectKind;

/**
 * Writes values as SQL literals that the dialect's own client reads back to the same value.
 * Implementations are stateless and thread-safe.
 */
public interface SqlLiterals {
  /**
   * Appends {@code value} (as a {@link dev.dbsnap.source.TableReader} hands it out) as a literal
   * for a column of type {@code column}; null is written as NULL.
   */
  void write(ByteBuf out, Object value, Column column);

  static SqlLiterals of(DialectKind kind) {
    return switch (kind) {
      case SQLITE -> SqliteLiterals.INSTANCE;
      case POSTGRESQL -> PostgresLiterals.INSTANCE;
    };
  }
}
