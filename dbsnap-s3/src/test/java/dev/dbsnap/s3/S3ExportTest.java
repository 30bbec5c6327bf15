package dev.dbsnap.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Checkpoint;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.CrashingStore;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.ForwardingMultipartUpload;
import dev.dbsnap.storage.ForwardingObjectStore;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.MultipartUpload;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import dev.dbsnap.testing.S3ProxyServer;
import dev.dbsnap.testing.SqliteSamples;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Exports to S3 (s3proxy in the test JVM) with real 5 MiB parts: the same bytes as a local export,
 * and nothing left behind in the bucket after a failure or a cancel; a crash resumes to identical
 * objects.
 */
class S3ExportTest {
  private static final int PART = 5 * 1024 * 1024;

  /**
   * The table that needs several parts; named to come last so that smaller objects finish first.
   */
  private static final String BIG = "zz_big";

  private static final String BIG_KEY = BIG + ".csv";
  private static final AtomicInteger RUNS = new AtomicInteger();

  @TempDir static Path dir;
  static Source source;
  static S3ProxyServer server;
  static S3Client s3;

  @BeforeAll
  static void setUp() throws Exception {
    Path db = SqliteSamples.create(dir.resolve("src.db"), 2_000);
    SqliteSamples.addEdgeTable(db);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE " + BIG + " (id INTEGER PRIMARY KEY, t TEXT NOT NULL)");
      // 20,000 rows of ~1 KB: about 20 MB of CSV, four 5 MiB parts.
      st.execute(
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
              + " INSERT INTO "
              + BIG
              + " SELECT i, printf('%08d-', i) || hex(randomblob(500)) FROM n");
    }
    source = Source.parse(db.toString(), null, null);
    server = S3ProxyServer.shared();
    s3 =
        S3Client.builder()
            .endpointOverride(server.endpoint())
            .region(Region.of(S3ProxyServer.REGION))
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
            .forcePathStyle(true)
            .build();
  }

  @AfterAll
  static void closeClient() {
    if (s3 != null) {
      s3.close();
    }
  }

  static ExportOptions options() {
    return ExportOptions.defaults(Format.CSV, Compression.NONE).withPartSize(PART);
  }

  /** A prefix of the shared bucket that no other test uses. */
  private static String newPrefix(String name) {
    return "s3export-" + RUNS.incrementAndGet() + "/" + name;
  }

  private static ObjectStore s3Store(String prefix) {
    return ObjectStores.open(
        "s3://" + server.bucket() + "/" + prefix,
        S3Settings.pathStyle(
            server.endpoint().toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY));
  }

  private static Manifest export(
      ObjectStore store, String id, ExportListener listener, BooleanSupplier cancelled) {
    return new Exporter(source, store, "", id, options(), listener, Clock.systemUTC(), cancelled)
        .run(null);
  }

  /** Counts the parts each checkpoint reports for the object in progress, keeping the largest. */
  private static final class PartCounter implements ExportListener {
    final AtomicInteger maxParts = new AtomicInteger();
    final AtomicReference<String> lastCheckpoint = new AtomicReference<>();

    @Override
    public void checkpoint(Checkpoint c) {
      lastCheckpoint.set(c.toJson());
      if (c.current() != null) {
        maxParts.accumulateAndGet(c.current().parts().size(), Math::max);
      }
    }
  }

  @Test
  void an_export_to_s3_in_several_parts_has_the_bytes_of_a_local_export() {
    String prefix = newPrefix("some/prefix");
    try (ObjectStore store = s3Store(prefix);
        ObjectStore local = LocalObjectStore.open(dir.resolve("local-" + RUNS.get()))) {
      PartCounter parts = new PartCounter();
      Manifest manifest = export(store, "e1", parts, () -> false);
      export(local, "e1", ExportListener.NONE, () -> false);

      assertThat(parts.maxParts.get()).as("parts of the largest object").isGreaterThanOrEqualTo(3);
      Map<String, String> s3Contents = StoreContents.sha256s(store, "");
      assertThat(s3Contents)
          .containsKey("e1/" + BIG_KEY)
          .isEqualTo(StoreContents.sha256s(local, ""));
      assertThat(store.head("e1/" + BIG_KEY).orElseThrow().size()).isGreaterThan(3L * PART);

      assertThat(manifest.objects()).hasSize(s3Contents.size());
      for (Manifest.ObjectEntry o : manifest.objects()) {
        assertThat(s3Contents.get("e1/" + o.key()))
            .as("sha256 of " + o.key())
            .isEqualTo(o.sha256());
        assertThat(store.head("e1/" + o.key()).orElseThrow().size())
            .as("size of " + o.key())
            .isEqualTo(o.bytes());
      }
      assertThat(store.head("e1/" + Manifest.FILE)).isPresent();
      assertThat(store.head("e1/" + Exporter.CHECKPOINT_FILE)).isEmpty();
      assertThat(store.pendingUploads("")).isEmpty();
      assertThat(sdkPendingUploads(prefix)).isEmpty();
    }
  }

  @Test
  void a_failed_part_upload_leaves_no_upload_and_no_object_behind() {
    String prefix = newPrefix("failing");
    try (ObjectStore real = s3Store(prefix)) {
      AtomicInteger calls = new AtomicInteger();
      ObjectStore failing =
          new WrappedStore(real) {
            @Override
            String uploadPart(MultipartUpload upload, int number, byte[] data, int length) {
              if (calls.incrementAndGet() == 2) {
                throw new DbsnapException(
                    ErrorCode.UPLOAD_FAILED, "simulated failure of part " + number);
              }
              return upload.uploadPart(number, data, length);
            }
          };

      assertThatThrownBy(() -> export(failing, "f1", ExportListener.NONE, () -> false))
          .isInstanceOfSatisfying(
              DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPLOAD_FAILED))
          .hasMessageContaining("simulated failure");

      assertThat(calls.get()).isGreaterThanOrEqualTo(2);
      assertNothingLeft(real, prefix);
    }
  }

  @Test
  void a_cancel_after_some_parts_leaves_no_upload_and_no_object_behind() {
    String prefix = newPrefix("cancelled");
    try (ObjectStore store = s3Store(prefix)) {
      PartCounter parts = new PartCounter();
      AtomicBoolean askedAfterParts = new AtomicBoolean();
      BooleanSupplier cancelled =
          () -> {
            if (parts.maxParts.get() >= 2) {
              askedAfterParts.set(true);
              return true;
            }
            return false;
          };

      assertThatThrownBy(() -> export(store, "c1", parts, cancelled))
          .isInstanceOfSatisfying(
              DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CANCELLED));

      assertThat(askedAfterParts).as("cancelled after two uploaded parts").isTrue();
      assertNothingLeft(store, prefix);
    }
  }

  @Test
  void a_crash_after_two_parts_resumes_to_the_objects_of_an_uninterrupted_export() {
    String prefix = newPrefix("crash");
    try (ObjectStore reference = s3Store(prefix + "/reference");
        ObjectStore target = s3Store(prefix + "/target")) {
      export(reference, "r1", ExportListener.NONE, () -> false);

      CrashingStore crashing = new CrashingStore(target, 2);
      PartCounter parts = new PartCounter();
      assertThatThrownBy(() -> export(crashing, "r1", parts, () -> false))
          .isInstanceOf(RuntimeException.class);
      assertThat(crashing.crashed()).isTrue();
      assertThat(parts.lastCheckpoint.get())
          .as("a checkpoint was reported before the crash")
          .isNotNull();
      Checkpoint checkpoint = Checkpoint.fromJson(parts.lastCheckpoint.get());
      assertThat(checkpoint.current()).as("the crash came inside the multipart object").isNotNull();
      assertThat(checkpoint.current().key()).isEqualTo("r1/" + BIG_KEY);
      assertThat(target.pendingUploads(""))
          .as("a crash leaves its upload for the resume")
          .extracting(PendingUpload::uploadId)
          .contains(checkpoint.current().uploadId());

      Manifest resumed =
          new Exporter(
                  source,
                  target,
                  "",
                  "r1",
                  options(),
                  ExportListener.NONE,
                  Clock.systemUTC(),
                  () -> false)
              .run(checkpoint);

      assertThat(resumed.resumed()).isTrue();
      assertThat(StoreContents.sha256s(target, ""))
          .isEqualTo(StoreContents.sha256s(reference, ""))
          .containsKey("r1/" + BIG_KEY);
      assertThat(target.pendingUploads("")).isEmpty();
      assertThat(sdkPendingUploads(prefix + "/target")).isEmpty();
    }
  }

  private void assertNothingLeft(ObjectStore store, String prefix) {
    assertThat(store.pendingUploads("")).as("pending uploads through the store").isEmpty();
    assertThat(sdkPendingUploads(prefix)).as("pending uploads through the AWS SDK").isEmpty();
    assertThat(store.list("")).as("objects under the export's prefix").isEmpty();
    assertThat(s3.listObjectsV2(b -> b.bucket(server.bucket()).prefix(prefix + "/")).contents())
        .as("objects under the prefix through the AWS SDK")
        .isEmpty();
  }

  /** Keys of the multipart uploads under {@code prefix/} that the bucket still holds. */
  private static List<String> sdkPendingUploads(String prefix) {
    List<String> keys = new ArrayList<>();
    s3.listMultipartUploadsPaginator(b -> b.bucket(server.bucket()).prefix(prefix + "/"))
        .uploads()
        .forEach(u -> keys.add(u.key() + " " + u.uploadId()));
    return keys;
  }

  /** A store that passes everything to another, with a hook on each part upload. */
  private abstract static class WrappedStore extends ForwardingObjectStore {
    WrappedStore(ObjectStore real) {
      super(real);
    }

    abstract String uploadPart(MultipartUpload upload, int number, byte[] data, int length);

    @Override
    protected MultipartUpload wrap(MultipartUpload upload) {
      return new ForwardingMultipartUpload(upload) {
        @Override
        public String uploadPart(int partNumber, byte[] data, int length) {
          return WrappedStore.this.uploadPart(upload, partNumber, data, length);
        }
      };
    }
  }
}
