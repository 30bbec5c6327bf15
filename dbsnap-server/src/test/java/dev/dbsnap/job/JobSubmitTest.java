package dev.dbsnap.job;

import static dev.dbsnap.job.JobFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import dev.dbsnap.server.DemoDatabase;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgFixture;
import dev.dbsnap.testing.PgTestServer;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Submitting, listing and cancelling with no workers: jobs stay queued. */
class JobSubmitTest {
  @TempDir Path dir;
  private ObjectStore store;
  private JobService service;

  @BeforeEach
  void start() throws Exception {
    DemoDatabase.create(dir.resolve("demo.db"), 100);
    DemoDatabase.create(dir.resolve("other.db"), 100);
    store = LocalObjectStore.open(dir.resolve("store"));
    service =
        JobFixture.start(
            config(
                "jdbc:sqlite:" + dir.resolve("control.db"),
                Map.of(
                    "demo",
                    dir.resolve("demo.db").toString(),
                    "other",
                    dir.resolve("other.db").toString()),
                workers(0)),
            store);
  }

  @AfterEach
  void stop() {
    service.close();
    store.close();
  }

  @Test
  void the_same_idempotency_key_and_request_give_the_same_job() {
    Job first = service.submit("key-1", request("demo", List.of("orders")));
    Job again = service.submit("key-1", request("demo", List.of("orders")));
    Job otherSource = service.submit("key-1", request("other", List.of("orders")));

    assertThat(again.id()).isEqualTo(first.id());
    assertThat(otherSource.id()).isNotEqualTo(first.id());
    assertThat(first.request().partSize()).isEqualTo(8 * 1024 * 1024);
  }

  @Test
  void the_same_idempotency_key_with_another_request_is_refused() {
    service.submit("key-2", request("demo", List.of("orders")));

    assertThatThrownBy(() -> service.submit("key-2", request("demo", List.of("customers"))))
        .isInstanceOfSatisfying(
            InvalidInputException.class,
            e -> {
              assertThat(e.field()).isEqualTo("Idempotency-Key");
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            });
  }

  @Test
  void concurrent_submissions_with_one_key_make_one_job() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Job>> futures = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        futures.add(
            pool.submit(
                () -> service.submit("race", request("demo", Format.JSONL, Compression.ZSTD))));
      }
      Set<String> ids = new HashSet<>();
      for (Future<Job> f : futures) {
        ids.add(f.get().id());
      }
      assertThat(ids).hasSize(1);
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void an_unknown_table_is_refused_naming_its_position() {
    assertThatThrownBy(() -> service.submit(null, request("demo", List.of("nope"))))
        .isInstanceOfSatisfying(
            InvalidInputException.class,
            e -> {
              assertThat(e.field()).isEqualTo("tables[0]");
              assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE);
              assertThat(e.getMessage()).contains("'nope'");
            });
    ExportRequest exclude =
        new ExportRequest(
            "demo",
            Format.CSV,
            Compression.NONE,
            List.of(),
            List.of("orders", "orders; DROP TABLE customers"),
            0,
            null);
    assertThatThrownBy(() -> service.submit(null, exclude))
        .isInstanceOfSatisfying(
            InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("excludeTables[1]"));
  }

  @Test
  void a_partitioned_table_is_named_by_its_root() throws Exception {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(PgFixture.resource("pg-partitions.sql"));
    }
    service.close();
    service =
        JobFixture.start(
            config(
                "jdbc:sqlite:" + dir.resolve("control-pg.db"),
                Map.of("pg", PgTestServer.jdbcUrl(db)),
                workers(0)),
            store);
    Job job = service.submit(null, request("pg", List.of("sales.orders", "region_stock")));
    assertThat(job.request().tables()).containsExactly("sales.orders", "region_stock");
    assertThatThrownBy(() -> service.submit(null, request("pg", List.of("sales.nope"))))
        .isInstanceOfSatisfying(
            InvalidInputException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE));
  }

  @Test
  void an_unknown_source_is_not_found() {
    assertThatThrownBy(() -> service.submit(null, request("missing", List.of())))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
              assertThat(e.getMessage()).isEqualTo("unknown source 'missing'");
            });
  }

  @Test
  void a_part_size_out_of_range_is_refused() {
    for (long size : new long[] {1, 5L * 1024 * 1024 - 1, 3L * 1024 * 1024 * 1024}) {
      ExportRequest r =
          new ExportRequest("demo", Format.CSV, Compression.NONE, List.of(), List.of(), size, null);
      assertThatThrownBy(() -> service.submit(null, r))
          .isInstanceOfSatisfying(
              InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("partSize"));
    }
    ExportRequest min =
        new ExportRequest(
            "demo", Format.CSV, Compression.NONE, List.of(), List.of(), 5L * 1024 * 1024, null);
    assertThat(service.submit(null, min).request().partSize()).isEqualTo(5L * 1024 * 1024);
  }

  @Test
  void a_callback_without_a_webhook_secret_is_refused() {
    ExportRequest r =
        new ExportRequest(
            "demo",
            Format.CSV,
            Compression.NONE,
            List.of(),
            List.of(),
            0,
            URI.create("https://example.com/hook"));
    assertThatThrownBy(() -> service.submit(null, r))
        .isInstanceOfSatisfying(
            InvalidInputException.class,
            e -> {
              assertThat(e.field()).isEqualTo("callbackUrl");
              assertThat(e.getMessage()).contains("secret");
            });
  }

  @Test
  void list_pages_newest_first_with_a_cursor_and_filters() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(service.submit(null, request(i % 2 == 0 ? "demo" : "other", List.of())).id());
    }
    List<String> newestFirst = new ArrayList<>(ids);
    java.util.Collections.reverse(newestFirst);

    JobPage first = service.list(null, null, null, 2, null);
    JobPage second = service.list(null, null, null, 2, first.nextCursor());
    JobPage third = service.list(null, null, null, 2, second.nextCursor());
    List<String> seen = new ArrayList<>();
    for (JobPage p : List.of(first, second, third)) {
      p.jobs().forEach(j -> seen.add(j.id()));
    }
    assertThat(seen).containsExactlyElementsOf(newestFirst);
    assertThat(third.nextCursor()).isNull();

    assertThat(service.list(Set.of("other"), null, null, 200, null).jobs())
        .extracting(Job::source)
        .containsOnly("other")
        .hasSize(2);
    assertThat(service.list(null, "demo", JobState.QUEUED, 200, null).jobs()).hasSize(3);
    assertThat(service.list(null, null, JobState.RUNNING, 200, null).jobs()).isEmpty();
    assertThat(service.list(Set.of(), null, null, 200, null).jobs()).isEmpty();
  }

  @Test
  void a_malformed_cursor_or_limit_names_its_field() {
    for (String cursor : new String[] {"garbage!", "Zm9v", "MTIzOmV4cF8x"}) {
      assertThatThrownBy(() -> service.list(null, null, null, 10, cursor))
          .isInstanceOfSatisfying(
              InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("cursor"));
    }
    for (int limit : new int[] {0, 201}) {
      assertThatThrownBy(() -> service.list(null, null, null, limit, null))
          .isInstanceOfSatisfying(
              InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("limit"));
    }
  }

  @Test
  void a_queued_job_is_cancelled_at_once_and_a_finished_one_conflicts() {
    Job job = service.submit(null, request("demo", List.of()));

    Job cancelled = service.cancel(job.id());

    assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
    assertThat(cancelled.finishedAt()).isNotNull();
    assertThatThrownBy(() -> service.cancel(job.id()))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
              assertThat(e.getMessage()).contains("cancelled");
            });
    assertThatThrownBy(() -> service.cancel("exp_00000000000000000000000000"))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    assertThat(service.find("exp_nope")).isEmpty();
  }
}
