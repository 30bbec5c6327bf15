package dev.dbsnap.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgFixture;
import dev.dbsnap.testing.PgTestServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SqliteExportResumeTest on PostgreSQL: the edge-value database plus a 20,000-row table with a
 * composite (text, int) key and a table without a primary key, exported in every format and
 * compression, crashed after a few parts, resumed from the deserialised checkpoint, and compared
 * byte for byte with an export that never stopped.
 */
class PostgresExportResumeTest {
  @TempDir static Path dir;
  static Source source;

  /** The uninterrupted export of each format and compression, made once. */
  static final Map<String, Map<String, String>> REFERENCE = new ConcurrentHashMap<>();

  @BeforeAll
  static void createDatabase() throws Exception {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(PgFixture.resource("pg-edge.sql"));
      st.execute(
          """
          CREATE TABLE public.big (
            k text,
            n integer,
            body text,
            blob bytea,
            amount numeric(18,4),
            PRIMARY KEY (k, n));
          INSERT INTO public.big
            SELECT 'key-' || (i % 97) || CASE WHEN i % 5 = 0 THEN ' é中' ELSE '' END, i,
              repeat(md5(i::text), 1 + i % 3) || CASE WHEN i % 11 = 0 THEN E'\\n"quoted", \\\\ ''x''' ELSE '' END,
              CASE WHEN i % 7 = 0 THEN NULL ELSE decode(md5(i::text) || lpad(to_hex(i % 256), 2, '0'), 'hex') END,
              (i * 12345.6789) / 100
            FROM generate_series(1, 20000) i;
          CREATE TABLE public.big_nokey (a integer, b text, c double precision);
          INSERT INTO public.big_nokey
            SELECT i % 10, 'row ' || i || repeat('z', i % 40), i / 3.0 FROM generate_series(1, 3000) i;
          ANALYZE;
          """);
    }
    source = Source.parse(PgTestServer.jdbcUrl(db), null, null);
  }

  /** Enough parts to crash inside the big table, whose composite key the resume continues after. */
  static final int DEEP = 30;

  static List<Arguments> formatsAndCrashPoints() {
    List<Arguments> args = new ArrayList<>();
    for (Format f : Format.values()) {
      for (Compression c : Compression.values()) {
        args.add(Arguments.of(f, c, 1));
        args.add(Arguments.of(f, c, 4));
        args.add(Arguments.of(f, c, DEEP));
      }
    }
    return args;
  }

  static ExportOptions options(Format format, Compression compression) {
    // Small parts and frames so that the database spans many parts, with part boundaries falling
    // inside rows and frames.
    return ExportOptions.defaults(format, compression)
        .withSmallParts(16 * 1024, 6 * 1024)
        .withRowsPerInsert(7);
  }

  static Map<String, String> reference(Format format, Compression compression) {
    return REFERENCE.computeIfAbsent(
        format + "-" + compression,
        name -> {
          ObjectStore reference = LocalObjectStore.open(dir.resolve("reference-" + name));
          new Exporter(
                  source,
                  reference,
                  "exports",
                  "x1",
                  options(format, compression),
                  ExportListener.NONE,
                  Clock.systemUTC(),
                  () -> false)
              .run(null);
          return SqliteExportResumeTest.contents(reference);
        });
  }

  @ParameterizedTest(name = "{0} {1}: crash after {2} parts")
  @MethodSource("formatsAndCrashPoints")
  void resume_after_a_crash_gives_identical_bytes(
      Format format, Compression compression, int partsBeforeCrash, @TempDir Path out) {
    ExportOptions options = options(format, compression);
    Map<String, String> expected = reference(format, compression);

    ObjectStore target = LocalObjectStore.open(out.resolve("target"));
    CrashingStore crashing = new CrashingStore(target, partsBeforeCrash);
    AtomicReference<String> saved = new AtomicReference<>();
    ExportListener keep =
        new ExportListener() {
          @Override
          public void checkpoint(Checkpoint checkpoint) {
            saved.set(checkpoint.toJson());
          }
        };
    // One upload at a time until the crash: with several, a later part can take the last upload
    // CrashingStore allows while an earlier one fails, and no checkpoint (which reports parts in
    // order) is made. The resume uploads concurrently again; concurrency does not shape the bytes.
    assertThatThrownBy(
            () ->
                new Exporter(
                        source,
                        crashing,
                        "exports",
                        "x1",
                        options.withConcurrency(1),
                        keep,
                        Clock.systemUTC(),
                        () -> false)
                    .run(null))
        .isInstanceOf(RuntimeException.class);
    assertThat(crashing.crashed()).isTrue();
    assertThat(saved.get()).as("a checkpoint was reported before the crash").isNotNull();

    Checkpoint checkpoint = Checkpoint.fromJson(saved.get());
    if (partsBeforeCrash == DEEP) {
      assertThat(checkpoint.current().restart().afterKey())
          .as("resumes after a row of a table")
          .isNotNull();
    }
    Manifest resumed =
        new Exporter(
                source,
                target,
                "exports",
                "x1",
                options,
                ExportListener.NONE,
                Clock.systemUTC(),
                () -> false)
            .run(checkpoint);

    assertThat(SqliteExportResumeTest.contents(target)).isEqualTo(expected);
    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.consistent()).isFalse();
    assertThat(resumed.tables())
        .anySatisfy(
            t -> {
              assertThat(t.name()).isEqualTo("big");
              assertThat(t.rows()).isEqualTo(20_000);
            });
    assertThat(target.pendingUploads("")).isEmpty();
  }
}
