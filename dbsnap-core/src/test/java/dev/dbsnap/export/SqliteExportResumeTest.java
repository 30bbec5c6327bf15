package dev.dbsnap.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.SqliteSamples;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SqliteExportResumeTest {
  @TempDir static Path dir;
  static Source source;

  @BeforeAll
  static void createDatabase() throws Exception {
    Path db = SqliteSamples.create(dir.resolve("src.db"), 20_000);
    SqliteSamples.addEdgeTable(db);
    source = Source.parse(db.toString(), null, null);
  }

  static List<Arguments> formatsAndCrashPoints() {
    List<Arguments> args = new java.util.ArrayList<>();
    for (Format f : Format.values()) {
      for (Compression c : Compression.values()) {
        args.add(Arguments.of(f, c, 1));
        args.add(Arguments.of(f, c, 4));
      }
    }
    return args;
  }

  static ExportOptions options(Format format, Compression compression) {
    // Tiny parts and frames so that a small database spans many parts, with part boundaries
    // falling inside rows and frames.
    return ExportOptions.defaults(format, compression)
        .withSmallParts(16 * 1024, 6 * 1024)
        .withRowsPerInsert(7);
  }

  @ParameterizedTest(name = "{0} {1}: crash after {2} parts")
  @MethodSource("formatsAndCrashPoints")
  void resume_after_a_crash_gives_identical_bytes(
      Format format, Compression compression, int partsBeforeCrash, @TempDir Path out) {
    ExportOptions options = options(format, compression);
    ObjectStore reference = LocalObjectStore.open(out.resolve("reference"));
    new Exporter(
            source,
            reference,
            "exports",
            "x1",
            options,
            ExportListener.NONE,
            Clock.systemUTC(),
            () -> false)
        .run(null);

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
    // One upload at a time until the crash: with several, a later part could take the last upload
    // the crashing store allows while an earlier one fails, and no checkpoint would be reported.
    // Concurrency does not change the bytes, and the resume below uploads concurrently.
    ExportOptions serial = options.withConcurrency(1);
    assertThatThrownBy(
            () ->
                new Exporter(
                        source,
                        crashing,
                        "exports",
                        "x1",
                        serial,
                        keep,
                        Clock.systemUTC(),
                        () -> false)
                    .run(null))
        .isInstanceOf(RuntimeException.class);
    assertThat(crashing.crashed()).isTrue();
    assertThat(saved.get()).as("a checkpoint was reported before the crash").isNotNull();

    Checkpoint checkpoint = Checkpoint.fromJson(saved.get());
    CrashingStore watched = new CrashingStore(target, Integer.MAX_VALUE);
    Manifest resumed =
        new Exporter(
                source,
                watched,
                "exports",
                "x1",
                options,
                ExportListener.NONE,
                Clock.systemUTC(),
                () -> false)
            .run(checkpoint);
    if (checkpoint.current() != null) {
      // the overlap checksum once covered bytes past the part boundary, so every resume fell back
      // to writing the object again from its start
      assertThat(watched.started)
          .as("the object in progress continues its upload")
          .doesNotContain(checkpoint.current().key());
    }

    assertThat(contents(target)).isEqualTo(contents(reference));
    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.consistent()).isFalse();
    assertThat(target.pendingUploads("")).isEmpty();
  }

  /** The SHA-256 of every object but the manifest (whose times differ), by key. */
  static Map<String, String> contents(ObjectStore store) {
    Map<String, String> result = new LinkedHashMap<>();
    for (ObjectInfo info : store.list("")) {
      if (!info.key().endsWith(Manifest.FILE)) {
        try (InputStream in = store.get(info.key())) {
          byte[] digest =
              java.security.MessageDigest.getInstance("SHA-256").digest(in.readAllBytes());
          result.put(info.key(), java.util.HexFormat.of().formatHex(digest));
        } catch (java.security.NoSuchAlgorithmException e) {
          throw new IllegalStateException(e);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    }
    assertThat(result).isNotEmpty();
    return result;
  }
}
