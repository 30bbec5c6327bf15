package dev.dbsnap.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.Dbsnap;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.Export;
import dev.dbsnap.ExportRequest;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.ForwardingMultipartUpload;
import dev.dbsnap.storage.ForwardingObjectStore;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import dev.dbsnap.testing.S3ProxyServer;
import dev.dbsnap.testing.SqliteSamples;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A process killed in each narrow window of an export, on a local directory and on S3 (s3proxy):
 * the kill is a hook in the store, not a timer. After it, {@code resume()} ends with objects
 * byte-identical to an export that never stopped, and nothing is left behind: no open upload, no
 * part, no temporary file, no checkpoint.
 */
class CrashWindowTest {
  private static final int PART = 5 * 1024 * 1024;
  private static final String BIG = "zz_big";
  private static final AtomicInteger RUNS = new AtomicInteger();

  @TempDir static Path dir;
  static Source source;
  static Map<String, String> expectedAll;
  static Map<String, String> expectedBig;

  /** Where the kill happens. */
  enum KillPoint {
    /** The checkpoint before anything is uploaded never reaches the store. */
    BEFORE_ANYTHING,
    /**
     * A dump of the big table alone: its upload was started and checkpointed, and its first part
     * never left.
     */
    BEFORE_FIRST_PART,
    /** The second part is in the store, and its checkpoint is not. */
    AFTER_PART_BEFORE_CHECKPOINT,
    /** The store completed the big object, and the checkpoint does not say so. */
    AFTER_COMPLETE_BEFORE_CHECKPOINT,
    /** The manifest is written and the checkpoint still there. */
    AFTER_MANIFEST_BEFORE_CHECKPOINT_DELETE
  }

  @BeforeAll
  static void setUp() throws Exception {
    Path db = SqliteSamples.create(dir.resolve("src.db"), 2_000);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE " + BIG + " (id INTEGER PRIMARY KEY, t TEXT NOT NULL)");
      // about 14 MB of CSV: three 5 MiB parts, written after the smaller tables
      st.execute(
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 14000)"
              + " INSERT INTO "
              + BIG
              + " SELECT i, printf('%08d-', i) || hex(randomblob(500)) FROM n");
    }
    source = Source.parse(db.toString(), null, null);
    try (ObjectStore reference = LocalObjectStore.open(dir.resolve("reference"))) {
      client(reference).newExport(request("all", KillPoint.BEFORE_ANYTHING)).run();
      expectedAll = StoreContents.sha256s(reference, "all/");
      client(reference).newExport(request("big", KillPoint.BEFORE_FIRST_PART)).run();
      expectedBig = StoreContents.sha256s(reference, "big/");
    }
  }

  static Stream<Arguments> cases() {
    return Stream.of(KillPoint.values())
        .flatMap(k -> Stream.of(Arguments.of("local", k), Arguments.of("s3", k)));
  }

  @ParameterizedTest(name = "{0}: killed {1}")
  @MethodSource("cases")
  void a_kill_in_any_window_resumes_to_identical_objects_and_leaves_nothing_behind(
      String storeKind, KillPoint point) {
    int run = RUNS.incrementAndGet();
    try (ObjectStore real = open(storeKind, run)) {
      KillingStore killing = new KillingStore(real, point);
      assertThatThrownBy(() -> client(killing).newExport(request("e", point)).run())
          .as("the run is killed " + point)
          .isNotNull();
      assertThat(killing.killed).as("the kill point was reached").isTrue();

      Export resumed = client(real).newExport(request("e", point));
      if (point == KillPoint.BEFORE_ANYTHING) {
        // Nothing was written, so there is nothing to resume: a plain re-run is the way.
        assertThatThrownBy(resumed::resume)
            .isInstanceOfSatisfying(
                DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESUME_FAILED))
            .hasMessageContaining("no unfinished export");
        assertThat(real.list("")).isEmpty();
        client(real).newExport(request("e", point)).run();
      } else {
        Manifest manifest = resumed.resume();
        assertThat(manifest.objects()).hasSize(expected(point).size());
      }

      Map<String, String> actual = StoreContents.sha256s(real, "e/");
      assertThat(actual).as("objects after the resume").isEqualTo(expected(point));
      assertNothingLeft(real, storeKind, run);
    }
  }

  private static void assertNothingLeft(ObjectStore store, String storeKind, int run) {
    assertThat(store.pendingUploads("")).as("open uploads").isEmpty();
    assertThat(store.list(""))
        .extracting(ObjectInfo::key)
        .noneMatch(k -> k.contains("_checkpoint"));
    if (storeKind.equals("local")) {
      try (Stream<Path> files = Files.walk(dir.resolve("local-" + run))) {
        assertThat(files.filter(Files::isRegularFile).map(Path::toString))
            .as("parts and temporary files")
            .noneMatch(p -> p.contains(".dbsnap-"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static ObjectStore open(String kind, int run) {
    if (kind.equals("local")) {
      return LocalObjectStore.open(dir.resolve("local-" + run));
    }
    S3ProxyServer server = S3ProxyServer.shared();
    return ObjectStores.open(
        "s3://" + server.bucket() + "/crash-window-" + run,
        S3Settings.pathStyle(
            server.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY));
  }

  private static Dbsnap client(ObjectStore store) {
    return Dbsnap.builder().store(store).build();
  }

  private static Map<String, String> expected(KillPoint point) {
    return point == KillPoint.BEFORE_FIRST_PART ? expectedBig : expectedAll;
  }

  private static ExportRequest request(String id, KillPoint point) {
    return ExportRequest.builder(source)
        .tables(point == KillPoint.BEFORE_FIRST_PART ? List.of(BIG) : List.of())
        .format(Format.CSV)
        .partSize(PART)
        .concurrency(2)
        .exportId(id)
        .build();
  }

  /** What the store does once the process is dead: nothing. */
  static final class Killed extends Error {
    Killed() {
      super("killed", null, false, false);
    }
  }

  /**
   * A store that stands for a process killed at {@code point}: from the moment the point is
   * reached, no call reaches the real store any more, not even the clean-up a live process would
   * do.
   */
  static final class KillingStore extends ForwardingObjectStore {
    private final KillPoint point;
    private final AtomicInteger parts = new AtomicInteger();
    volatile boolean killed;

    KillingStore(ObjectStore real, KillPoint point) {
      super(real);
      this.point = point;
    }

    private void alive() {
      if (killed) {
        throw new Killed();
      }
    }

    private void kill() {
      killed = true;
      throw new Killed();
    }

    @Override
    public void put(String key, byte[] data) {
      alive();
      if (point == KillPoint.BEFORE_ANYTHING) {
        kill();
      }
      super.put(key, data);
      if (point == KillPoint.AFTER_MANIFEST_BEFORE_CHECKPOINT_DELETE
          && key.endsWith("/" + Manifest.FILE)) {
        kill();
      }
    }

    @Override
    public MultipartUpload startMultipart(String key, int partSize) {
      alive();
      return super.startMultipart(key, partSize);
    }

    @Override
    public MultipartUpload resumeMultipart(String key, String uploadId) {
      alive();
      return super.resumeMultipart(key, uploadId);
    }

    @Override
    protected MultipartUpload wrap(MultipartUpload upload) {
      return new ForwardingMultipartUpload(upload) {
        @Override
        public String uploadPart(int partNumber, byte[] data, int length) {
          alive();
          if (point == KillPoint.BEFORE_FIRST_PART) {
            kill();
          }
          String etag = delegate.uploadPart(partNumber, data, length);
          if (point == KillPoint.AFTER_PART_BEFORE_CHECKPOINT && parts.incrementAndGet() == 2) {
            kill();
          }
          alive();
          return etag;
        }

        @Override
        public void complete(List<CompletedPart> parts) {
          alive();
          delegate.complete(parts);
          if (point == KillPoint.AFTER_COMPLETE_BEFORE_CHECKPOINT) {
            kill();
          }
        }

        @Override
        public void abort() {
          alive();
          delegate.abort();
        }
      };
    }

    @Override
    public InputStream get(String key) {
      alive();
      return super.get(key);
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
      alive();
      return super.head(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
      alive();
      return super.list(prefix);
    }

    @Override
    public void delete(String key) {
      alive();
      super.delete(key);
    }

    @Override
    public List<PendingUpload> pendingUploads(String prefix) {
      alive();
      return super.pendingUploads(prefix);
    }
  }
}
