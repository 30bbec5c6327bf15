package dev.dbsnap.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.Dbsnap;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.Export;
import dev.dbsnap.ExportRequest;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.FaultyS3Front;
import dev.dbsnap.testing.FaultyS3Front.Fault;
import dev.dbsnap.testing.FaultyS3Front.Op;
import dev.dbsnap.testing.S3ProxyServer;
import dev.dbsnap.testing.SqliteSamples;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exports through a {@link FaultyS3Front}: whatever S3 does to the requests, an export either ends
 * with the objects of the same export made without faults, or fails with one DbsnapException and
 * leaves neither an object nor an open multipart upload behind.
 *
 * <p>The front's choices are seeded by key and part number, so each test faults the same requests
 * in every run.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultyStoreExportTest {
  private static final int PART = 5 * 1024 * 1024;
  private static final long SEED = 20240611L;
  private static final String EXPORT = "e1";

  @TempDir static Path dir;
  static Source source;
  static S3ProxyServer server;
  static Map<String, String> referenceContents;
  static List<Manifest.ObjectEntry> referenceObjects;

  private final List<AutoCloseable> closeAfterwards = new ArrayList<>();
  private String bucket;
  private ObjectStore clean;

  @BeforeAll
  static void exportOnceWithoutFaults() throws Exception {
    Path db = SqliteSamples.create(dir.resolve("src.db"), 2_000);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE zz_big (id INTEGER PRIMARY KEY, t TEXT NOT NULL)");
      // 32,000 rows of ~1 KB: about 32 MB of CSV, seven 5 MiB parts.
      st.execute(
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 32000)"
              + " INSERT INTO zz_big SELECT i, printf('%08d-', i) || hex(randomblob(500)) FROM n");
    }
    source = Source.parse(db.toString(), null, null);
    server = S3ProxyServer.shared();
    try (ObjectStore reference = open(server.endpoint(), server.newBucket())) {
      Manifest manifest = export(reference);
      referenceObjects = manifest.objects();
      referenceContents = StoreContents.sha256s(reference, EXPORT + "/");
    }
    assertThat(referenceContents.keySet()).contains("zz_big.csv");
    assertThat(referenceObjects.stream().mapToLong(Manifest.ObjectEntry::bytes).max().orElseThrow())
        .as("bytes of the largest object")
        .isGreaterThan(6L * PART);
  }

  /** A bucket of its own per test, so that no test sees what another left. */
  @BeforeEach
  void newBucket() {
    bucket = server.newBucket();
    clean = open(server.endpoint(), bucket);
    closeAfterwards.add(clean);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeAfterwards) {
      c.close();
    }
  }

  private static ObjectStore open(URI endpoint, String bucket) {
    return ObjectStores.open(
        "s3://" + bucket,
        S3Settings.pathStyle(
            endpoint.toString(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY));
  }

  /** A store in this test's bucket reached through {@code front}; both are closed afterwards. */
  private ObjectStore throughFront(FaultyS3Front front) {
    closeAfterwards.add(front);
    ObjectStore store = open(front.endpoint(), bucket);
    closeAfterwards.add(0, store);
    return store;
  }

  private static Manifest export(ObjectStore store) {
    return Dbsnap.builder().store(store).build().newExport(request(), ExportListener.NONE).run();
  }

  private static ExportRequest request() {
    return ExportRequest.builder(source).format(Format.CSV).partSize(PART).exportId(EXPORT).build();
  }

  @Test
  void an_export_through_failing_and_reset_uploads_has_the_reference_bytes_or_leaves_nothing() {
    // The SDK makes five attempts, so a request fails for good about once in 150 here (0.37^5):
    // this seed's export succeeds, as it did for each of 45 seeds tried.
    FaultyS3Front front = FaultyS3Front.start(server, SEED);
    front.failUploadParts(0.3, 500, 503);
    front.resetConnections(0.1, Op.UPLOAD_PART, Op.PUT_OBJECT);
    ObjectStore store = throughFront(front);

    DbsnapException failure = exportExpectingEitherOutcome(store, front);

    assertThat(front.faults(Fault.ERROR_STATUS)).as(front.toString()).isPositive();
    assertThat(front.faults(Fault.RESET_BEFORE_FORWARDING) + front.faults(Fault.RESET_MID_BODY))
        .as(front.toString())
        .isPositive();
  }

  @Test
  void an_export_whose_part_fails_every_attempt_fails_in_one_line_and_resumes_to_identical_bytes() {
    FaultyS3Front front = FaultyS3Front.start(server, SEED);
    front.failUploadParts(1.0, 500);
    ObjectStore store = throughFront(front);

    DbsnapException failure = exportExpectingEitherOutcome(store, front);

    assertThat(failure).isNotNull();
    assertThat(failure.getMessage())
        .contains("could not be uploaded")
        .contains("S3 error InternalError, HTTP 500");
  }

  @Test
  void a_completion_that_took_effect_but_was_answered_500_ends_identical() {
    FaultyS3Front front = FaultyS3Front.start(server, SEED);
    front.completeThenFail(1);
    ObjectStore store = throughFront(front);

    // the object itself settles it: the export goes on as if the completion had been answered
    assertThat(exportExpectingEitherOutcome(store, front)).isNull();

    assertThat(front.faults(Fault.COMPLETE_THEN_FAIL)).isEqualTo(1);
  }

  @Test
  void a_lost_answer_to_create_multipart_upload_leaves_no_orphan_upload() {
    // Seed 2 resets the first CreateMultipartUpload of zz_big.csv before forwarding it and the
    // second once s3proxy has created the upload, so the SDK's third attempt starts another one.
    FaultyS3Front front = FaultyS3Front.start(server, 2);
    front.resetConnections(0.5, Op.CREATE_MULTIPART_UPLOAD);
    ObjectStore store = throughFront(front);

    assertThat(exportExpectingEitherOutcome(store, front)).isNull();

    assertThat(front.faults(Fault.RESET_AFTER_FORWARDING)).as(front.toString()).isEqualTo(1);
  }

  /**
   * Runs the export through {@code store} and checks that it either made the reference objects, or
   * failed with a one-line message, leaving no object of the export and no open upload, or failed
   * transiently in one line keeping its checkpoint, from which a resume through a store without
   * faults makes the reference objects.
   *
   * @return the failure, or null when the export succeeded
   */
  private DbsnapException exportExpectingEitherOutcome(ObjectStore store, FaultyS3Front front) {
    Manifest manifest = null;
    DbsnapException failure = null;
    try {
      manifest = export(store);
    } catch (DbsnapException e) {
      failure = e;
    }
    String outcome =
        (failure == null ? "the export succeeded" : "the export failed: " + failure.getMessage())
            + "; "
            + front;

    if (failure != null && clean.head(EXPORT + "/" + Export.CHECKPOINT_FILE).isPresent()) {
      // A transient failure the store kept up through every retry: the export stays resumable,
      // and a resume once the store is well again makes the reference objects.
      assertThat(failure.isTransient()).as(outcome).isTrue();
      assertThat(failure.getMessage()).as(outcome).doesNotContain("\n", "\r");
      manifest = Dbsnap.builder().store(clean).build().newExport(request()).resume();
      outcome = outcome + "; resumed";
    }
    assertThat(clean.pendingUploads("")).as("open multipart uploads; " + outcome).isEmpty();
    if (manifest != null) {
      assertThat(manifest.objects()).as(outcome).isEqualTo(referenceObjects);
      assertThat(StoreContents.sha256s(clean, EXPORT + "/"))
          .as(outcome)
          .isEqualTo(referenceContents);
      try (InputStream in = clean.get(EXPORT + "/" + Manifest.FILE)) {
        assertThat(Manifest.read(in).objects()).as(outcome).isEqualTo(referenceObjects);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      assertThat(failure.getMessage()).as(outcome).doesNotContain("\n", "\r");
      assertThat(clean.list(EXPORT + "/")).as("objects left; " + outcome).isEmpty();
    }
    return failure;
  }
}
