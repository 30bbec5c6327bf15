package dev.dbsnap.source;

/** How rows of a table are ordered and located for keyset reading (DESIGN 1). */
public enum KeyKind {
  /** Ordered by the primary key (one or more columns). */
  PRIMARY_KEY,
  /** SQLite table without a primary key: ordered by rowid. */
  ROWID,
  /** No usable key: read by a plain cursor; the table can only restart from its start. */
  NONE;

  /** Whether a reader can start after a key inside this table. */
  public boolean resumable() {
    return this != NONE;
  }
}
