package dev.dbsnap.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.source.Source;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.testing.PgFixture;
import dev.dbsnap.testing.PgTestServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** A snapshot holds one table: a partitioned table, or one of its partitions, is refused. */
class SnapshotPartitionTest {
  @TempDir Path dir;

  @Test
  void a_partitioned_table_or_a_partition_is_refused_naming_why() throws Exception {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(PgFixture.resource("pg-partitions.sql"));
    }
    Source source = Source.parse(PgTestServer.jdbcUrl(db), null, null);
    ObjectStore store = LocalObjectStore.open(dir.resolve("store"));
    SQLiteDataSource control = new SQLiteDataSource();
    control.setUrl("jdbc:sqlite:" + dir.resolve("control.db"));
    try (SnapshotCache cache = SnapshotCache.builder().store(store).controlDb(control).build()) {
      assertThatThrownBy(() -> cache.get("pg", source, "sales.orders", SnapshotOptions.csv()))
          .isInstanceOfSatisfying(
              DbsnapException.class,
              e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                assertThat(e.getMessage())
                    .contains("'sales.orders' is a partitioned table, whose rows are in 4");
              });
      assertThatThrownBy(() -> cache.get("pg", source, "sales.orders_2024", SnapshotOptions.csv()))
          .isInstanceOfSatisfying(
              DbsnapException.class,
              e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                assertThat(e.getMessage()).contains("is a partition of 'sales.orders'");
              });
      assertThat(cache.get("pg", source, "customer", SnapshotOptions.csv()).rows()).isEqualTo(50);
    }
  }
}
