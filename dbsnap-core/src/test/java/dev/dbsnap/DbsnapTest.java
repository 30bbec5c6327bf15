package dev.dbsnap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.export.Checkpoint;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.CrashingStore;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.SqliteSamples;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** The library's entry point, as an application uses it: export, resume, stream, cancel. */
class DbsnapTest {
  private static final int PART = 16 * 1024;

  @TempDir Path dir;
  private Source source;
  private Path db;

  @BeforeEach
  void sample() throws Exception {
    db = SqliteSamples.create(dir.resolve("sample.db"), 3000);
    source = Source.parse(db.toString(), null, null);
  }

  private Dbsnap client(ObjectStore store) {
    return Dbsnap.builder().store(store).build();
  }

  /** Tiny parts, so that the sample spans many parts. */
  private ExportRequest.Builder request(Format format, Compression compression) {
    return ExportRequest.builder(source)
        .options(ExportOptions.defaults(format, compression).withSmallParts(PART, PART / 2))
        .exportId("e1");
  }

  private static byte[] read(ObjectStore store, String key) throws IOException {
    try (var in = store.get(key)) {
      return in.readAllBytes();
    }
  }

  @Test
  void an_export_writes_its_objects_and_manifest_and_verifies() {
    ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
    Dbsnap dbsnap = client(store);

    Manifest manifest =
        dbsnap.newExport(request(Format.CSV, Compression.GZIP).prefix("nightly").build()).run();

    assertThat(manifest.exportId()).isEqualTo("e1");
    assertThat(manifest.objects()).isNotEmpty();
    assertThat(store.head("nightly/e1/manifest.json")).isPresent();
    assertThat(store.head("nightly/e1/" + Export.CHECKPOINT_FILE)).isEmpty();
    assertThat(dbsnap.verify("nightly/e1").ok()).isTrue();
  }

  @Test
  void a_second_export_of_the_same_id_is_refused_unless_it_overwrites() {
    Dbsnap dbsnap = client(LocalObjectStore.open(dir.resolve("store")));
    dbsnap.newExport(request(Format.SQL, Compression.NONE).build()).run();

    assertThatThrownBy(() -> dbsnap.newExport(request(Format.SQL, Compression.NONE).build()).run())
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.DESTINATION_NOT_EMPTY))
        .hasMessageContaining("'e1' already exists");
    Manifest again =
        dbsnap.newExport(request(Format.SQL, Compression.NONE).overwrite(true).build()).run();
    assertThat(again.exportId()).isEqualTo("e1");
    assertThat(dbsnap.verify("e1").ok()).isTrue();
  }

  @Test
  void an_export_killed_after_three_parts_resumes_from_the_checkpoint_beside_it_to_identical_bytes()
      throws Exception {
    ObjectStore reference = LocalObjectStore.open(dir.resolve("reference"));
    client(reference).newExport(request(Format.SQL, Compression.ZSTD).build()).run();

    ObjectStore target = LocalObjectStore.open(dir.resolve("target"));
    CrashingStore crashing = new CrashingStore(target, 3);
    assertThatThrownBy(
            () -> client(crashing).newExport(request(Format.SQL, Compression.ZSTD).build()).run())
        .isInstanceOf(RuntimeException.class);
    assertThat(crashing.crashed()).isTrue();

    Dbsnap dbsnap = client(target);
    assertThat(dbsnap.unfinishedExports("")).containsExactly("e1");
    AtomicInteger checkpoints = new AtomicInteger();
    Manifest manifest =
        dbsnap
            .newExport(
                request(Format.SQL, Compression.ZSTD).build(),
                new ExportListener() {
                  @Override
                  public void checkpoint(Checkpoint checkpoint) {
                    checkpoints.incrementAndGet();
                  }
                })
            .resume();

    assertThat(manifest.resumed()).isTrue();
    assertThat(checkpoints).hasPositiveValue();
    assertThat(read(target, "e1/dump.sql.zst")).isEqualTo(read(reference, "e1/dump.sql.zst"));
    assertThat(dbsnap.unfinishedExports("")).isEmpty();
  }

  @Test
  void resuming_an_export_without_a_checkpoint_is_an_error_naming_it() {
    Dbsnap dbsnap = client(LocalObjectStore.open(dir.resolve("store")));

    assertThatThrownBy(
            () -> dbsnap.newExport(request(Format.CSV, Compression.NONE).build()).resume())
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESUME_FAILED))
        .hasMessageContaining("no unfinished export 'e1'");
  }

  @Test
  void one_object_streams_as_its_bytes_equal_to_the_stored_export() throws Exception {
    ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
    Dbsnap dbsnap = client(store);
    dbsnap.newExport(request(Format.SQL, Compression.GZIP).build()).run();

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    dbsnap.newExport(request(Format.SQL, Compression.GZIP).build()).writeTo(out);

    byte[] stored = read(store, "e1/dump.sql.gz");
    assertThat(stored.length).isGreaterThan(3 * PART);
    assertThat(out.toByteArray()).isEqualTo(stored);
  }

  @Test
  void several_objects_stream_as_one_zip_holding_each_stored_object() throws Exception {
    ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
    Dbsnap dbsnap = client(store);
    Manifest manifest = dbsnap.newExport(request(Format.JSONL, Compression.NONE).build()).run();

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Export streamed = dbsnap.newExport(request(Format.JSONL, Compression.NONE).build());
    List<String> names = streamed.objectNames();
    streamed.writeTo(out);

    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(out.toByteArray()))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        entries.put(e.getName(), zip.readAllBytes());
      }
    }
    List<String> stored = new ArrayList<>();
    for (Manifest.ObjectEntry o : manifest.objects()) {
      stored.add(o.key());
      assertThat(entries.get(o.key())).as(o.key()).isEqualTo(read(store, "e1/" + o.key()));
    }
    assertThat(names).hasSizeGreaterThan(1).containsExactlyElementsOf(stored);
    assertThat(entries.keySet()).containsExactlyElementsOf(stored);
  }

  @Test
  void a_stream_that_fails_cancels_the_export_before_it_reads_everything() {
    AtomicLong written = new AtomicLong();
    OutputStream closing =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            if (written.addAndGet(len) > 2L * PART) {
              throw new IOException("Broken pipe");
            }
          }
        };
    Dbsnap dbsnap = client(LocalObjectStore.open(dir.resolve("store")));

    assertThatThrownBy(
            () -> dbsnap.newExport(request(Format.CSV, Compression.NONE).build()).writeTo(closing))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CANCELLED));
    assertThat(written.get()).isLessThan(4L * PART);
  }

  @Test
  void a_listener_that_asks_to_cancel_stops_the_export_and_nothing_is_left() throws Exception {
    ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
    Dbsnap dbsnap = client(store);
    AtomicInteger checkpoints = new AtomicInteger();
    ExportListener cancelAfterTwoParts =
        new ExportListener() {
          @Override
          public void checkpoint(Checkpoint checkpoint) {
            checkpoints.incrementAndGet();
          }

          @Override
          public boolean cancelRequested() {
            return checkpoints.get() >= 2;
          }
        };

    assertThatThrownBy(
            () ->
                dbsnap
                    .newExport(request(Format.SQL, Compression.NONE).build(), cancelAfterTwoParts)
                    .run())
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CANCELLED));
    assertThat(store.list("")).isEmpty();
    assertThat(store.pendingUploads("")).isEmpty();
  }

  @Test
  void a_started_export_runs_on_the_executor_and_cancelling_its_future_cancels_it()
      throws Exception {
    ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
    Dbsnap dbsnap = client(store);

    Manifest manifest =
        dbsnap
            .newExport(request(Format.CSV, Compression.NONE).build())
            .start()
            .get(60, TimeUnit.SECONDS);
    assertThat(dbsnap.verify("e1").ok()).isTrue();
    assertThat(manifest.objects()).isNotEmpty();

    Export second = dbsnap.newExport(request(Format.CSV, Compression.NONE).exportId("e2").build());
    second.cancel();
    CompletableFuture<Manifest> future = second.start();
    assertThatThrownBy(() -> future.get(60, TimeUnit.SECONDS))
        .hasCauseInstanceOf(DbsnapException.class);
    assertThat(store.list("e2/")).isEmpty();
    assertThatThrownBy(() -> future.join()).isNotInstanceOf(CancellationException.class);
  }

  @Test
  void an_export_runs_once() {
    Export export =
        client(LocalObjectStore.open(dir.resolve("store")))
            .newExport(request(Format.CSV, Compression.NONE).build());
    export.run();

    assertThatThrownBy(export::run)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already run");
  }

  @Test
  void a_source_from_an_application_data_source_exports_like_its_url() throws Exception {
    SQLiteDataSource pool = new SQLiteDataSource();
    pool.setUrl("jdbc:sqlite:" + db);
    Source fromPool = Source.of(pool);
    Dbsnap dbsnap = client(LocalObjectStore.open(dir.resolve("store")));

    dbsnap.newExport(request(Format.SQL, Compression.NONE).build()).run();
    dbsnap
        .newExport(
            ExportRequest.builder(fromPool)
                .options(request(Format.SQL, Compression.NONE).build().options())
                .exportId("pooled")
                .build())
        .run();

    assertThat(fromPool.kind()).isEqualTo(source.kind());
    assertThat(Files.readAllBytes(dir.resolve("store/pooled/dump.sql")))
        .isEqualTo(Files.readAllBytes(dir.resolve("store/e1/dump.sql")));
  }

  @Test
  void a_restore_through_the_client_gives_back_every_row() {
    Dbsnap dbsnap = client(LocalObjectStore.open(dir.resolve("store")));
    Manifest manifest = dbsnap.newExport(request(Format.CSV, Compression.GZIP).build()).run();
    AtomicLong rows = new AtomicLong();

    dbsnap.restore(
        "e1", Source.parse("jdbc:sqlite:" + dir.resolve("restored.db"), null, null), rows::set);

    long exported = manifest.tables().stream().mapToLong(Manifest.TableEntry::rows).sum();
    assertThat(rows.get()).isEqualTo(exported);
  }
}
