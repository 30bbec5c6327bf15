package dev.dbsnap.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.Dbsnap;
import dev.dbsnap.ExportRequest;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk use of a local store while the real engine exports into it. Completing an upload once copied
 * every part into a new file, needing twice the object's size; a 39 MiB object did not fit into 60
 * MiB of free space.
 */
class LocalObjectStoreDiskUseTest {
  private static final int MIB = 1024 * 1024;
  private static final int PART = 4 * MIB;

  @TempDir Path dir;

  @Test
  void exporting_a_multipart_object_never_needs_more_than_the_object_and_one_part()
      throws Exception {
    Source source = Source.parse(blobDatabase(dir.resolve("blobs.db"), 640, 48 * 1024), null, null);
    Path root = dir.resolve("store");
    MeasuringStore store = new MeasuringStore(LocalObjectStore.open(root), root);
    ExportRequest request =
        ExportRequest.builder(source)
            .options(
                ExportOptions.defaults(Format.CSV, Compression.NONE)
                    .withSmallParts(PART, MIB)
                    .withConcurrency(4))
            .exportId("e1")
            .build();

    Thread sampler = new Thread(store::sampleUntilStopped, "disk-use-sampler");
    sampler.start();
    Manifest manifest;
    try {
      manifest = Dbsnap.builder().store(store).build().newExport(request).run();
    } finally {
      store.stop();
      sampler.join();
    }

    Manifest.ObjectEntry object = manifest.objects().get(0);
    assertThat(manifest.objects()).hasSize(1);
    assertThat(object.bytes()).as("tens of MiB in several parts").isGreaterThan(30L * MIB);
    assertThat(store.parts.get()).isGreaterThanOrEqualTo(8);
    assertThat(store.samples.get()).as("background samples").isGreaterThan(10);
    System.out.printf(
        "object %d bytes in %d parts of %d; peak disk use %d bytes (%.3f of the object) over %d"
            + " samples%n",
        object.bytes(),
        store.parts.get(),
        PART,
        store.peak.get(),
        (double) store.peak.get() / object.bytes(),
        store.samples.get());
    assertThat(store.peak.get())
        .as("peak bytes under the store's root")
        .isGreaterThanOrEqualTo(object.bytes())
        .isLessThanOrEqualTo(object.bytes() + PART);

    String key = "e1/" + object.key();
    assertThat(store.head(key))
        .hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(object.bytes()));
    assertThat(sha256(store, key)).isEqualTo(object.sha256());
    assertThat(store.pendingUploads("")).isEmpty();
    assertThat(usedBytes(root))
        .isEqualTo(object.bytes() + Files.size(root.resolve("e1/manifest.json")));
  }

  /** One table of incompressible blobs: base64 in CSV makes the object 4/3 of their size. */
  private static String blobDatabase(Path file, int rows, int blobSize) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
      }
      Random random = new Random(7);
      byte[] blob = new byte[blobSize];
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO blobs VALUES (?, ?)")) {
        for (int i = 0; i < rows; i++) {
          random.nextBytes(blob);
          ps.setInt(1, i);
          ps.setBytes(2, blob);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      c.commit();
    }
    return file.toString();
  }

  /**
   * The sum of the sizes of all regular files under {@code root} (sparse ones at full length). A
   * file renamed while the walk runs may be seen at both names: it is counted once, by its inode.
   */
  static long usedBytes(Path root) {
    AtomicLong total = new AtomicLong();
    java.util.Set<Object> seen = new java.util.HashSet<>();
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
              Object identity = attributes.fileKey() != null ? attributes.fileKey() : file;
              if (attributes.isRegularFile() && seen.add(identity)) {
                total.addAndGet(attributes.size());
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
              if (e instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE; // renamed or deleted while we looked
              }
              throw e;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return total.get();
  }

  private static String sha256(ObjectStore store, String key) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream in = store.get(key)) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * Measures disk use under the root after every part upload, around every completion, and from a
   * background thread every few milliseconds.
   */
  private static final class MeasuringStore extends ForwardingObjectStore {
    final AtomicLong peak = new AtomicLong();
    final AtomicInteger parts = new AtomicInteger();
    final AtomicInteger samples = new AtomicInteger();
    private final Path root;
    private final AtomicBoolean stopped = new AtomicBoolean();

    MeasuringStore(ObjectStore delegate, Path root) {
      super(delegate);
      this.root = root;
    }

    void measure() {
      peak.accumulateAndGet(usedBytes(root), Math::max);
    }

    void sampleUntilStopped() {
      while (!stopped.get()) {
        if (Files.isDirectory(root)) {
          measure();
          samples.incrementAndGet();
        }
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }

    void stop() {
      stopped.set(true);
    }

    @Override
    protected MultipartUpload wrap(MultipartUpload upload) {
      return new ForwardingMultipartUpload(upload) {
        @Override
        public String uploadPart(int partNumber, byte[] data, int length) {
          String etag = delegate.uploadPart(partNumber, data, length);
          parts.incrementAndGet();
          measure();
          return etag;
        }

        @Override
        public void complete(List<CompletedPart> completed) {
          measure();
          delegate.complete(completed);
          measure();
        }
      };
    }
  }
}
