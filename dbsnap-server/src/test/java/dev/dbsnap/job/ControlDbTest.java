package dev.dbsnap.job;

import static dev.dbsnap.job.JobFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlDbTest {
  @TempDir Path dir;

  @Test
  void a_control_database_url_of_another_kind_is_an_invalid_argument() {
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      assertThatThrownBy(() -> start(config("jdbc:mysql://db/jobs", Map.of(), workers(0)), store))
          .isInstanceOfSatisfying(
              DbsnapException.class,
              e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                assertThat(e.getMessage()).contains("jdbc:sqlite:").contains("jdbc:postgresql:");
              });
    }
  }

  @Test
  void an_unreachable_control_database_is_server_unavailable_without_its_password() {
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"))) {
      String url =
          "jdbc:postgresql://127.0.0.1:1/jobs?user=dbsnap&password=hunter2&connectTimeout=2";
      assertThatThrownBy(() -> start(config(url, Map.of(), workers(0)), store))
          .isInstanceOfSatisfying(
              DbsnapException.class,
              e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.SERVER_UNAVAILABLE);
                assertThat(e.getMessage()).contains("127.0.0.1:1").doesNotContain("hunter2");
              });
    }
  }

  @Test
  void a_sqlite_control_database_is_created_with_its_directory_migrated_and_in_wal_mode()
      throws Exception {
    Path file = dir.resolve("state/sub/control.db");
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        JobService service = start(config("jdbc:sqlite:" + file, Map.of(), workers(0)), store)) {
      assertThat(service.controlDbReachable()).isTrue();
    }
    try (Connection c = connect("jdbc:sqlite:" + file);
        ResultSet rs = c.createStatement().executeQuery("PRAGMA journal_mode")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
    }
    try (Connection c = connect("jdbc:sqlite:" + file);
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('jobs', 'job_runs', 'webhook_attempts')")) {
      int tables = 0;
      while (rs.next()) {
        tables++;
      }
      assertThat(tables).isEqualTo(3);
    }
    // a second start finds the schema in place
    try (ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
        JobService again = start(config("jdbc:sqlite:" + file, Map.of(), workers(0)), store)) {
      assertThat(again.list(null, null, null, 10, null).jobs()).isEmpty();
    }
  }
}
