package dev.dbsnap.snapshot;

import java.time.Instant;
import java.util.Objects;

/**
 * One table in one format as one immutable object, exact to the version it names.
 *
 * @param source the source's name, as the cache was asked
 * @param table the table's name ({@code schema.table} outside PostgreSQL's public schema)
 * @param key the object's key in the store
 * @param version the table's data version, or null when the table is not tracked
 * @param shape a short hash of the columns, their types and order, the format options and the
 *     format revision
 * @param format the format's extension ({@code csv})
 * @param compression the compression's name ({@code none})
 * @param bytes the object's size
 * @param rows the rows it holds
 * @param sha256 the object's SHA-256, hex
 * @param builtAt when its build finished
 * @param outcome how this request got it
 */
public record Snapshot(
    String source,
    String table,
    String key,
    Long version,
    String shape,
    String format,
    String compression,
    long bytes,
    long rows,
    String sha256,
    Instant builtAt,
    Outcome outcome) {
  public Snapshot {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(outcome, "outcome");
  }

  /** How a request was answered. */
  public enum Outcome {
    /** The snapshot was in the index already: no row was read. */
    HIT,
    /** This request's process built it. */
    BUILT,
    /** It joined a build another caller or process started, and got its result. */
    JOINED
  }

  Snapshot withOutcome(Outcome o) {
    return new Snapshot(
        source, table, key, version, shape, format, compression, bytes, rows, sha256, builtAt, o);
  }
}
