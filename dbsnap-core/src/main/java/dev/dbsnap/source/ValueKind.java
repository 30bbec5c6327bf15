package dev.dbsnap.source;

/**
 * How the values of a column are represented while they move through dbsnap. A reader hands out one
 * Java object per value; its class is what counts for encoding ({@code null}, {@link Long}, {@link
 * java.math.BigInteger}, {@link java.math.BigDecimal}, {@link Double}, {@link Boolean}, {@link
 * String}, {@code byte[]}). The kind adds the meaning a string alone does not carry, for example
 * that a string is JSON text or a PostgreSQL array literal.
 */
public enum ValueKind {
  INTEGER,
  DECIMAL,
  FLOAT,
  BOOLEAN,
  TEXT,
  BYTES,
  /** JSON text (PostgreSQL json/jsonb): embedded as JSON in JSON outputs. */
  JSON,
  /** Any other type whose canonical text form is exact (dates, uuid, arrays, enums, intervals). */
  OTHER;
}
