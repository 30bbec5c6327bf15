package dev.dbsnap.source;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * Everything an export knows about the source's structure, in the order a restore needs it.
 *
 * @param dialect the database kind
 * @param serverVersion the server's version string, for the manifest
 * @param before statements that must run before any table is created (schemas, types, sequences;
 *     SQLite: virtual tables, written into sqlite_schema as sqlite3 .dump writes them, their shadow
 *     tables being among {@code tables})
 * @param tables the selected tables, in export order
 * @param after statements run after all data: sequence values, views, triggers, and (SQLite)
 *     AUTOINCREMENT counters, ANALYZE statistics (sqlite_stat1), user_version and application_id;
 *     table-level indexes and constraints come from each table
 * @param skipped objects left out because dbsnap cannot carry them ({@link
 *     SchemaOptions#skipUnsupported()}), each with the reason; empty when nothing was left out
 * @param partitioned PostgreSQL partitioned tables, which hold no rows themselves, parents before
 *     their partitioned partitions; a restore creates them before {@code tables}, whose leaf
 *     partitions attach to them. Their constraints and indexes come before those of {@code tables}
 *     (a partition's index attaches to its parent's). Empty when there are none, and in manifests
 *     written before dbsnap carried partitioning
 */
public record DatabaseSchema(
    DialectKind dialect,
    String serverVersion,
    List<String> before,
    List<TableSchema> tables,
    List<String> after,
    List<Skipped> skipped,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<TableSchema> partitioned) {
  public DatabaseSchema {
    Objects.requireNonNull(dialect, "dialect");
    before = List.copyOf(before);
    tables = List.copyOf(tables);
    after = List.copyOf(after);
    skipped = skipped == null ? List.of() : List.copyOf(skipped);
    partitioned = partitioned == null ? List.of() : List.copyOf(partitioned);
  }

  /** A schema without partitioned tables. */
  public DatabaseSchema(
      DialectKind dialect,
      String serverVersion,
      List<String> before,
      List<TableSchema> tables,
      List<String> after,
      List<Skipped> skipped) {
    this(dialect, serverVersion, before, tables, after, skipped, List.of());
  }

  /** A schema with nothing skipped. */
  public DatabaseSchema(
      DialectKind dialect,
      String serverVersion,
      List<String> before,
      List<TableSchema> tables,
      List<String> after) {
    this(dialect, serverVersion, before, tables, after, List.of());
  }

  /**
   * An object an export left out.
   *
   * @param kind what it is, as the database names it ({@code aggregate}, {@code event trigger},
   *     {@code virtual table})
   * @param name its name as users write it
   * @param reason why dbsnap cannot carry it, one sentence
   */
  public record Skipped(String kind, String name, String reason) {
    public Skipped {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(reason, "reason");
    }

    /** "aggregate public.mode(anyelement): reason". */
    @Override
    public String toString() {
      return kind + " " + name + ": " + reason;
    }
  }
}
