package dev.dbsnap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.ForwardingMultipartUpload;
import dev.dbsnap.storage.ForwardingObjectStore;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.SqliteSamples;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retries of {@link Export#run()} count only attempts that uploaded nothing new: an export that
 * makes progress on every attempt finishes however many attempts it takes, and one that stalls
 * gives up after the retries, keeping its checkpoint for a resume.
 */
class ExportRetryTest {
  private static final AtomicInteger RUNS = new AtomicInteger();

  @TempDir static Path dir;
  static Source source;
  static Map<String, String> expected;

  @BeforeAll
  static void setUp() {
    try {
      source =
          Source.parse(SqliteSamples.create(dir.resolve("src.db"), 20_000).toString(), null, null);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("reference"))) {
      Dbsnap.builder().store(store).build().newExport(request(0)).run();
      expected = objects(store);
    }
  }

  /** csv in 64 KiB parts, one at a time, so that parts fail in a known order. */
  private static ExportRequest request(int retries) {
    return ExportRequest.builder(source)
        .options(
            ExportOptions.defaults(Format.CSV, Compression.NONE)
                .withSmallParts(64 * 1024, 16 * 1024)
                .withConcurrency(1))
        .exportId("e")
        .retries(retries)
        .retryWait(Duration.ofMillis(1))
        .build();
  }

  @Test
  void an_export_that_progresses_on_every_attempt_finishes_after_more_attempts_than_retries() {
    try (ObjectStore real = LocalObjectStore.open(dir.resolve("run-" + RUNS.incrementAndGet()))) {
      // every third part upload fails: each attempt uploads two parts, then fails
      AtomicInteger calls = new AtomicInteger();
      ObjectStore flaky = failingParts(real, n -> calls.incrementAndGet() % 3 == 0);
      List<ExportListener.Retry> retries = new ArrayList<>();

      Dbsnap.builder().store(flaky).build().newExport(request(2), listener(retries)).run();

      assertThat(retries).as("retries").hasSizeGreaterThan(2).allMatch(r -> r.progressed());
      assertThat(objects(real)).isEqualTo(expected);
      assertThat(real.pendingUploads("")).isEmpty();
    }
  }

  @Test
  void an_export_that_stalls_gives_up_after_its_retries_and_keeps_the_checkpoint() {
    try (ObjectStore real = LocalObjectStore.open(dir.resolve("run-" + RUNS.incrementAndGet()))) {
      // two parts go through, then every part upload fails
      AtomicInteger calls = new AtomicInteger();
      ObjectStore broken = failingParts(real, n -> calls.incrementAndGet() > 2);
      List<ExportListener.Retry> retries = new ArrayList<>();

      assertThatThrownBy(
              () ->
                  Dbsnap.builder()
                      .store(broken)
                      .build()
                      .newExport(request(3), listener(retries))
                      .run())
          .isInstanceOfSatisfying(
              DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
          .hasMessageContaining("gave up after 4 attempts in a row without progress")
          .hasMessageContaining("the checkpoint is kept");

      // the first attempt progressed, then three retries did not, and the fourth try gave up
      assertThat(retries)
          .extracting(ExportListener.Retry::progressed)
          .containsExactly(true, false, false, false);
      assertThat(real.head("e/" + Export.CHECKPOINT_FILE)).isPresent();

      Dbsnap.builder().store(real).build().newExport(request(0)).resume();
      assertThat(objects(real)).isEqualTo(expected);
      assertThat(real.pendingUploads("")).isEmpty();
    }
  }

  @Test
  void a_failure_that_is_not_transient_is_not_retried_and_removes_what_the_export_wrote() {
    try (ObjectStore real = LocalObjectStore.open(dir.resolve("run-" + RUNS.incrementAndGet()))) {
      AtomicInteger calls = new AtomicInteger();
      ObjectStore refusing =
          new ForwardingObjectStore(real) {
            @Override
            protected MultipartUpload wrap(MultipartUpload upload) {
              return new ForwardingMultipartUpload(upload) {
                @Override
                public String uploadPart(int partNumber, byte[] data, int length) {
                  if (calls.incrementAndGet() == 3) {
                    throw new DbsnapException(ErrorCode.INVALID_ARGUMENT, "part refused for good");
                  }
                  return delegate.uploadPart(partNumber, data, length);
                }
              };
            }
          };
      List<ExportListener.Retry> retries = new ArrayList<>();

      assertThatThrownBy(
              () ->
                  Dbsnap.builder()
                      .store(refusing)
                      .build()
                      .newExport(request(5), listener(retries))
                      .run())
          .hasMessage("part refused for good");

      assertThat(retries).isEmpty();
      assertThat(real.list("")).isEmpty();
      assertThat(real.pendingUploads("")).isEmpty();
    }
  }

  private static ExportListener listener(List<ExportListener.Retry> retries) {
    return new ExportListener() {
      @Override
      public void retrying(Retry retry) {
        retries.add(retry);
      }
    };
  }

  /** A store whose part uploads fail with a transient UPLOAD_FAILED when {@code fails} says so. */
  private static ObjectStore failingParts(ObjectStore real, IntPredicate fails) {
    return new ForwardingObjectStore(real) {
      @Override
      protected MultipartUpload wrap(MultipartUpload upload) {
        return new ForwardingMultipartUpload(upload) {
          @Override
          public String uploadPart(int partNumber, byte[] data, int length) {
            if (fails.test(partNumber)) {
              throw new DbsnapException(
                  ErrorCode.UPLOAD_FAILED, "part " + partNumber + " failed on purpose");
            }
            return delegate.uploadPart(partNumber, data, length);
          }
        };
      }
    };
  }

  /** SHA-256 of the export's objects but its manifest, by key. */
  private static Map<String, String> objects(ObjectStore store) {
    Map<String, String> out = new TreeMap<>();
    for (ObjectInfo o : store.list("e/")) {
      if (o.key().endsWith("/manifest.json")) {
        continue;
      }
      try (InputStream in = store.get(o.key())) {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(in.readAllBytes());
        out.put(o.key(), HexFormat.of().formatHex(sha.digest()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }
}
