package dev.dbsnap.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.ExportListener;
import dev.dbsnap.export.ExportOptions;
import dev.dbsnap.export.Exporter;
import dev.dbsnap.format.Format;
import dev.dbsnap.server.DemoDatabase;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The response adapter a dump streams through: objects in order, and a failed write cancels the
 * export.
 */
class HttpResponseStoreTest {
  private static final int PART = 64 * 1024;

  @TempDir Path dir;

  private Source demo(int rows) throws Exception {
    Path db = dir.resolve("demo.db");
    DemoDatabase.create(db, rows);
    return Source.parse(db.toString(), null, null);
  }

  private static ExportOptions options(Format format) {
    return ExportOptions.defaults(format, Compression.NONE)
        .withSmallParts(PART, PART)
        .withConcurrency(1);
  }

  @Test
  void parts_of_one_object_reach_the_response_in_order_and_equal_a_stored_export()
      throws Exception {
    Source source = demo(5000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ResponseStore response = new ResponseStore(out, "d/", null);
    new Exporter(
            source,
            response,
            "",
            "d",
            options(Format.SQL),
            ExportListener.NONE,
            Clock.systemUTC(),
            response::disconnected)
        .run(null);
    response.finish();

    try (ObjectStore local = LocalObjectStore.open(dir.resolve("store"))) {
      new Exporter(
              source,
              local,
              "",
              "d",
              options(Format.SQL),
              ExportListener.NONE,
              Clock.systemUTC(),
              () -> false)
          .run(null);
      byte[] stored = Files.readAllBytes(dir.resolve("store/d/dump.sql"));
      assertThat(stored.length).isGreaterThan(3 * PART);
      assertThat(out.toByteArray()).isEqualTo(stored);
    }
  }

  @Test
  void a_client_that_goes_away_cancels_the_export_before_it_reads_everything() throws Exception {
    Source source = demo(20_000);
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
    ResponseStore response = new ResponseStore(closing, "d/", null);
    Exporter exporter =
        new Exporter(
            source,
            response,
            "",
            "d",
            options(Format.CSV),
            ExportListener.NONE,
            Clock.systemUTC(),
            response::disconnected);
    assertThatThrownBy(() -> exporter.run(null))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CANCELLED));
    assertThat(response.disconnected()).isTrue();
    assertThat(written.get()).isLessThan(4L * PART);
  }
}
