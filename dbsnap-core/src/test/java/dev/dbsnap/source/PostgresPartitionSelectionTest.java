package dev.dbsnap.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.testing.PgFixture;
import dev.dbsnap.testing.PgTestServer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A partitioned table is selected whole, through its root: naming it brings every partition, and a
 * partition named alone, to include or to exclude, is refused with the table to name instead.
 */
class PostgresPartitionSelectionTest {
  private static final Dialect PG = PostgresDialect.INSTANCE;
  private static Connection connection;

  @BeforeAll
  static void createDatabase() throws SQLException {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(PgFixture.resource("pg-partitions.sql"));
    }
    connection = Snapshots.pg(db);
  }

  @AfterAll
  static void close() throws SQLException {
    connection.close();
  }

  private static DatabaseSchema introspect(List<String> include, List<String> exclude)
      throws SQLException {
    return PG.introspect(connection, new TableSelection(List.of(), include, exclude));
  }

  @Test
  void selecting_a_partitioned_table_brings_all_its_partitions() throws SQLException {
    DatabaseSchema schema = introspect(List.of("region_stock"), List.of());
    assertThat(schema.partitioned())
        .extracting(TableSchema::displayName)
        .containsExactly("region_stock", "region_stock_eu");
    assertThat(schema.tables())
        .extracting(TableSchema::displayName)
        .containsExactly("region_stock_us", "region_stock_eu_0", "region_stock_eu_1");
    assertThat(schema.tables().get(0).createSql())
        .startsWith("CREATE TABLE \"public\".\"region_stock_us\" PARTITION OF")
        .endsWith("FOR VALUES IN ('us')");
  }

  @Test
  void a_foreign_key_to_a_table_left_out_is_left_out_with_it() throws SQLException {
    DatabaseSchema schema = introspect(List.of("sales.orders"), List.of());
    assertThat(schema.tables())
        .extracting(TableSchema::displayName)
        .containsExactly(
            "sales.orders_2023", "sales.orders_2024", "sales.orders_2025", "sales.orders_other");
    TableSchema orders = schema.partitioned().get(0);
    assertThat(orders.constraints()).noneMatch(c -> c.contains("FOREIGN KEY"));
    assertThat(orders.constraints())
        .contains(
            "ALTER TABLE \"sales\".\"orders\" ADD CONSTRAINT \"amount_not_negative\" CHECK ((amount >= (0)::numeric))");
    // the partition's own column options, and no copy of what it inherits
    assertThat(schema.tables().get(2).constraints())
        .containsExactly(
            "ALTER TABLE ONLY \"sales\".\"orders_2025\" ALTER COLUMN \"note\" SET NOT NULL",
            "ALTER TABLE ONLY \"sales\".\"orders_2025\" ALTER COLUMN \"note\" SET DEFAULT 'recent'::text");
  }

  @Test
  void the_whole_database_holds_every_partition_and_foreign_keys_to_partitioned_tables()
      throws SQLException {
    DatabaseSchema schema = PG.introspect(connection, TableSelection.ALL);
    assertThat(schema.partitioned())
        .extracting(TableSchema::displayName)
        .containsExactly("events", "region_stock", "region_stock_eu", "sales.orders");
    assertThat(schema.tables()).hasSize(1 + 4 + 3 + 1 + 4);
    TableSchema moves =
        schema.tables().stream()
            .filter(t -> t.displayName().equals("stock_moves"))
            .findFirst()
            .orElseThrow();
    // one foreign key, not one more per partition of the table it references
    assertThat(moves.constraints())
        .containsExactly(
            "ALTER TABLE ONLY \"public\".\"stock_moves\" ADD CONSTRAINT \"stock_moves_stock_fk\""
                + " FOREIGN KEY (region, sku) REFERENCES public.region_stock(region, sku)");
  }

  @Test
  void a_partition_alone_is_refused_naming_the_table_to_select() {
    assertThatThrownBy(() -> introspect(List.of("sales.orders_2024"), List.of()))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "table 'sales.orders_2024' is a partition of 'sales.orders' and cannot be"
                          + " exported alone; select 'sales.orders', which is exported with all"
                          + " its partitions");
            });
    // a partition of a partition names the root
    assertThatThrownBy(() -> introspect(List.of("region_stock_eu_1"), List.of()))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> assertThat(e.getMessage()).contains("select 'region_stock'"));
  }

  @Test
  void excluding_a_partition_alone_is_refused() {
    assertThatThrownBy(() -> introspect(List.of(), List.of("events_2")))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
              assertThat(e.getMessage())
                  .contains("'events_2' is a partition of 'events'", "exclude 'events'");
            });
  }

  @Test
  void excluding_a_partitioned_table_leaves_out_all_its_partitions() throws SQLException {
    DatabaseSchema schema = introspect(List.of(), List.of("events", "sales.orders"));
    assertThat(schema.partitioned())
        .extracting(TableSchema::displayName)
        .containsExactly("region_stock", "region_stock_eu");
    assertThat(schema.tables())
        .extracting(TableSchema::displayName)
        .noneMatch(n -> n.startsWith("events") || n.startsWith("sales."));
  }
}
