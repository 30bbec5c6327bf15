package dev.dbsnap.source;

/**
 * What of the source's structure an export carries besides tables and data.
 *
 * @param owners whether objects keep their owners ({@code ALTER … OWNER TO}); false is pg_dump's
 *     {@code --no-owner}
 * @param privileges whether grants are carried ({@code GRANT}/{@code REVOKE}); false is pg_dump's
 *     {@code --no-privileges}
 * @param skipUnsupported whether an object dbsnap cannot carry is left out and listed in {@link
 *     DatabaseSchema#skipped()}; when false such an object fails the export with a sentence naming
 *     it
 */
public record SchemaOptions(boolean owners, boolean privileges, boolean skipUnsupported) {
  /** Owners and grants carried, nothing skipped: the defaults of every surface. */
  public static final SchemaOptions DEFAULTS = new SchemaOptions(true, true, false);

  /**
   * For callers that read only tables (change tracking, snapshots, digests): an object dbsnap
   * cannot carry elsewhere in the database is no reason to fail.
   */
  public static final SchemaOptions TABLES_ONLY = new SchemaOptions(true, true, true);

  public SchemaOptions withOwners(boolean b) {
    return new SchemaOptions(b, privileges, skipUnsupported);
  }

  public SchemaOptions withPrivileges(boolean b) {
    return new SchemaOptions(owners, b, skipUnsupported);
  }

  public SchemaOptions withSkipUnsupported(boolean b) {
    return new SchemaOptions(owners, privileges, b);
  }
}
