package dev.dbsnap.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.testing.PgTestServer;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PostgresDialectTest {
  private static final Dialect PG = PostgresDialect.INSTANCE;
  private static Connection connection;
  private static DatabaseSchema schema;

  @BeforeAll
  static void introspectFixture() throws SQLException {
    connection = Snapshots.pg();
    schema = PG.introspect(connection, TableSelection.ALL);
  }

  @AfterAll
  static void closeConnection() throws SQLException {
    connection.close();
  }

  private static TableSchema table(String displayName) {
    return java.util.stream.Stream.concat(schema.tables().stream(), schema.partitioned().stream())
        .filter(t -> t.displayName().equals(displayName))
        .findFirst()
        .orElseThrow();
  }

  private static Column column(TableSchema table, String name) {
    return table.columns().get(table.columnIndex(name));
  }

  @Test
  void quotes_identifiers_always_and_doubles_embedded_quotes() {
    assertThat(PG.quote("plain")).isEqualTo("\"plain\"");
    assertThat(PG.quote("a\"b")).isEqualTo("\"a\"\"b\"");
    assertThat(PG.qualified(table("app.pairs"))).isEqualTo("\"app\".\"pairs\"");
  }

  @Test
  void snapshot_is_read_only_repeatable_read_with_deterministic_settings() throws SQLException {
    try (Connection c = Snapshots.pg();
        Statement st = c.createStatement()) {
      assertThat(show(st, "transaction_isolation")).isEqualTo("repeatable read");
      assertThat(show(st, "transaction_read_only")).isEqualTo("on");
      assertThat(show(st, "TimeZone")).isEqualTo("UTC");
      assertThat(show(st, "DateStyle")).isEqualTo("ISO, YMD");
      assertThat(show(st, "IntervalStyle")).isEqualTo("postgres");
      assertThat(show(st, "extra_float_digits")).isEqualTo("3");
      assertThat(show(st, "bytea_output")).isEqualTo("hex");
      assertThat(show(st, "search_path")).isEqualTo("");
      assertThatThrownBy(() -> st.execute("CREATE TABLE public.nope (x int)"))
          .isInstanceOf(SQLException.class);
    }
  }

  @Test
  void snapshot_does_not_see_rows_committed_after_it_began() throws SQLException {
    String db = PgTestServer.createDatabase();
    try (Connection writer = PgTestServer.connect(db);
        Statement w = writer.createStatement()) {
      w.execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
      try (Connection reader = Snapshots.pg(db)) {
        DatabaseSchema s = PG.introspect(reader, TableSelection.ALL);
        w.execute("INSERT INTO t VALUES (2)");
        assertThat(readAll(reader, s.tables().get(0), null)).containsExactly(List.of(1L));
      }
    }
  }

  @Test
  void introspection_lists_user_tables_by_schema_and_name_leaves_for_partitioned_and_no_dbsnap() {
    assertThat(schema.dialect()).isEqualTo(DialectKind.POSTGRESQL);
    assertThat(schema.serverVersion()).startsWith("15.");
    assertThat(schema.tables())
        .extracting(TableSchema::displayName)
        .containsExactly(
            "app.events",
            "app.pairs",
            "child",
            "edge",
            "empty_serial",
            "measure_eu",
            "measure_us",
            "nokey",
            "parent");
    assertThat(schema.partitioned())
        .extracting(TableSchema::displayName)
        .containsExactly("measure");
    assertThat(table("edge").schema()).isEqualTo("public");
  }

  @Test
  void columns_carry_type_kind_nullability_default_and_generated() {
    TableSchema edge = table("edge");
    assertThat(edge.columns())
        .extracting(Column::name)
        .startsWith("id", "big", "num")
        .endsWith("ident", "doubled");
    assertThat(column(edge, "id"))
        .isEqualTo(new Column("id", "bigint", ValueKind.INTEGER, false, null, false));
    assertThat(column(edge, "num_scaled"))
        .isEqualTo(new Column("num_scaled", "numeric(12,2)", ValueKind.DECIMAL, true, null, false));
    assertThat(column(edge, "rl").kind()).isEqualTo(ValueKind.FLOAT);
    assertThat(column(edge, "dbl").type()).isEqualTo("double precision");
    assertThat(column(edge, "flag").kind()).isEqualTo(ValueKind.BOOLEAN);
    assertThat(column(edge, "vc"))
        .extracting(Column::type, Column::kind)
        .containsExactly("character varying(20)", ValueKind.TEXT);
    assertThat(column(edge, "ch"))
        .extracting(Column::type, Column::kind)
        .containsExactly("character(5)", ValueKind.TEXT);
    assertThat(column(edge, "bin").kind()).isEqualTo(ValueKind.BYTES);
    assertThat(column(edge, "j").kind()).isEqualTo(ValueKind.JSON);
    assertThat(column(edge, "jb").kind()).isEqualTo(ValueKind.JSON);
    assertThat(column(edge, "tstz"))
        .extracting(Column::type, Column::kind)
        .containsExactly("timestamp with time zone", ValueKind.OTHER);
    assertThat(column(edge, "u").kind()).isEqualTo(ValueKind.OTHER);
    assertThat(column(edge, "ints"))
        .extracting(Column::type, Column::kind)
        .containsExactly("integer[]", ValueKind.OTHER);
    assertThat(column(edge, "mood"))
        .extracting(Column::type, Column::kind)
        .containsExactly("app.mood", ValueKind.OTHER);
    assertThat(column(edge, "moods").type()).isEqualTo("app.mood[]");
    assertThat(column(edge, "pos"))
        .extracting(Column::type, Column::kind)
        .containsExactly("public.positive_int", ValueKind.INTEGER);
    assertThat(column(edge, "iv").kind()).isEqualTo(ValueKind.OTHER);
    assertThat(column(edge, "serial_col"))
        .isEqualTo(
            new Column(
                "serial_col",
                "integer",
                ValueKind.INTEGER,
                false,
                "nextval('public.edge_serial_col_seq'::regclass)",
                false));
    assertThat(column(edge, "ident"))
        .isEqualTo(new Column("ident", "integer", ValueKind.INTEGER, false, null, false));
    assertThat(column(edge, "doubled"))
        .isEqualTo(new Column("doubled", "bigint", ValueKind.INTEGER, true, null, true));
    assertThat(column(table("app.events"), "kind").defaultExpr()).isEqualTo("'ok'::app.mood");
  }

  @Test
  void keys_come_from_the_primary_key_in_key_order() {
    assertThat(table("app.pairs").primaryKey()).containsExactly("a", "b");
    assertThat(table("app.pairs").keyKind()).isEqualTo(KeyKind.PRIMARY_KEY);
    assertThat(table("measure").primaryKey()).containsExactly("id", "region");
    assertThat(table("measure_eu").primaryKey()).containsExactly("id", "region");
    assertThat(table("nokey").primaryKey()).isEmpty();
    assertThat(table("nokey").keyKind()).isEqualTo(KeyKind.NONE);
  }

  @Test
  void create_sql_declares_columns_defaults_identity_generated_and_the_primary_key() {
    assertThat(table("parent").createSql())
        .isEqualTo(
            """
        CREATE TABLE "public"."parent" (
          "id" integer DEFAULT nextval('public.parent_id_seq'::regclass) NOT NULL,
          "code" text NOT NULL,
          "qty" integer,
          CONSTRAINT "parent_pkey" PRIMARY KEY (id)
        )""");
    assertThat(table("app.events").createSql())
        .isEqualTo(
            """
        CREATE TABLE "app"."events" (
          "id" bigint GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME "app"."events_id_seq" INCREMENT BY 10 \
        MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 10 CACHE 1) NOT NULL,
          "at" timestamp with time zone DEFAULT now() NOT NULL,
          "kind" app.mood DEFAULT 'ok'::app.mood NOT NULL,
          CONSTRAINT "events_pkey" PRIMARY KEY (id)
        )""");
    assertThat(table("edge").createSql())
        .contains("\n  \"doubled\" bigint GENERATED ALWAYS AS ((id * 2)) STORED,\n")
        .contains("\n  \"pos\" public.positive_int,\n");
    assertThat(table("app.pairs").createSql()).contains("\"val\" text COLLATE pg_catalog.\"C\"");
  }

  @Test
  void constraints_put_foreign_keys_last_and_indexes_leave_out_constraint_indexes() {
    assertThat(table("parent").constraints())
        .containsExactly(
            "ALTER TABLE ONLY \"public\".\"parent\" ADD CONSTRAINT \"parent_code_key\" UNIQUE (code)",
            "ALTER TABLE ONLY \"public\".\"parent\" ADD CONSTRAINT \"qty_not_negative\" CHECK ((qty >= 0))");
    assertThat(table("child").constraints())
        .containsExactly(
            "ALTER TABLE ONLY \"public\".\"child\" ADD CONSTRAINT \"note_not_empty\" CHECK ((note <> ''::text))",
            "ALTER TABLE ONLY \"public\".\"child\" ADD CONSTRAINT \"child_parent_fk\" FOREIGN KEY (parent_id)"
                + " REFERENCES public.parent(id) ON DELETE CASCADE");
    assertThat(table("parent").indexes())
        .containsExactly(
            "CREATE INDEX parent_qty_idx ON public.parent USING btree (qty DESC) WHERE (qty > 0)");
    assertThat(table("measure").indexes())
        .containsExactly("CREATE INDEX measure_v_idx ON ONLY public.measure USING btree (v)");
  }

  @Test
  void row_estimates_come_from_statistics_and_sum_partitions() {
    assertThat(table("edge").rowEstimate()).isEqualTo(12);
    assertThat(table("measure").rowEstimate()).isEqualTo(4);
    assertThat(table("measure_eu").rowEstimate()).isEqualTo(2);
  }

  @Test
  void before_creates_schemas_types_domains_and_non_identity_sequences() {
    assertThat(schema.before())
        .containsExactly(
            "CREATE SCHEMA IF NOT EXISTS \"app\"",
            "CREATE TYPE \"app\".\"mood\" AS ENUM ('sad', 'ok', 'happy', 'it''s')",
            "CREATE DOMAIN \"public\".\"positive_int\" AS integer DEFAULT 1 NOT NULL CONSTRAINT \"positive\" CHECK ((VALUE > 0))",
            "CREATE SEQUENCE \"app\".\"counter_seq\" AS bigint INCREMENT BY 5 MINVALUE 1 MAXVALUE 9223372036854775807"
                + " START WITH 100 CACHE 1",
            "CREATE SEQUENCE \"public\".\"edge_serial_col_seq\" AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647"
                + " START WITH 1 CACHE 1",
            "CREATE SEQUENCE \"public\".\"empty_serial_id_seq\" AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647"
                + " START WITH 1 CACHE 1",
            "CREATE SEQUENCE \"public\".\"parent_id_seq\" AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647"
                + " START WITH 1 CACHE 1");
  }

  @Test
  void after_restores_sequences_ownership_identity_mode_and_views_whose_tables_are_exported() {
    assertThat(schema.after())
        .filteredOn(s -> !s.contains(" OWNER TO "))
        .containsExactly(
            "SELECT pg_catalog.setval('\"app\".\"counter_seq\"', 120, true)",
            "SELECT pg_catalog.setval('\"app\".\"events_id_seq\"', 20, true)",
            "SELECT pg_catalog.setval('\"public\".\"edge_ident_seq\"', 12, true)",
            "SELECT pg_catalog.setval('\"public\".\"edge_serial_col_seq\"', 12, true)",
            "ALTER SEQUENCE \"public\".\"edge_serial_col_seq\" OWNED BY \"public\".\"edge\".\"serial_col\"",
            "SELECT pg_catalog.setval('\"public\".\"empty_serial_id_seq\"', 1, false)",
            "ALTER SEQUENCE \"public\".\"empty_serial_id_seq\" OWNED BY \"public\".\"empty_serial\".\"id\"",
            "SELECT pg_catalog.setval('\"public\".\"parent_id_seq\"', 3, true)",
            "ALTER SEQUENCE \"public\".\"parent_id_seq\" OWNED BY \"public\".\"parent\".\"id\"",
            "ALTER TABLE ONLY \"app\".\"events\" ALTER COLUMN \"id\" SET GENERATED ALWAYS",
            """
        CREATE VIEW "app"."happy" AS
        SELECT edge.id,
            edge.mood
           FROM public.edge
          WHERE (edge.mood = 'happy'::app.mood)""",
            """
        CREATE VIEW "app"."happy_ids" AS
        SELECT happy.id
           FROM app.happy""",
            """
        CREATE VIEW "public"."parent_summary" AS
        SELECT p.code,
            count(c.id) AS children
           FROM (public.parent p
             LEFT JOIN public.child c ON ((c.parent_id = p.id)))
          GROUP BY p.code""");
    assertThat(schema.after())
        .contains(
            "ALTER SCHEMA app OWNER TO \"postgres\"",
            "ALTER TABLE \"public\".\"edge\" OWNER TO \"postgres\"",
            "ALTER VIEW app.happy OWNER TO \"postgres\"");
  }

  @Test
  void selecting_some_tables_keeps_only_what_they_need() throws SQLException {
    DatabaseSchema s =
        PG.introspect(
            connection, new TableSelection(List.of(), List.of("child", "app.pairs"), List.of()));
    assertThat(s.tables())
        .extracting(TableSchema::displayName)
        .containsExactly("app.pairs", "child");
    // The foreign key points at parent, which is not exported.
    assertThat(s.tables().get(1).constraints())
        .containsExactly(
            "ALTER TABLE ONLY \"public\".\"child\" ADD CONSTRAINT \"note_not_empty\" CHECK ((note <> ''::text))");
    assertThat(s.before()).containsExactly("CREATE SCHEMA IF NOT EXISTS \"app\"");
    assertThat(s.after())
        .containsExactly(
            "ALTER TABLE \"app\".\"pairs\" OWNER TO \"postgres\"",
            "ALTER TABLE \"public\".\"child\" OWNER TO \"postgres\"");
  }

  @Test
  void schema_selection_and_exclusion_narrow_the_tables() throws SQLException {
    DatabaseSchema app =
        PG.introspect(connection, new TableSelection(List.of("app"), List.of(), List.of("pairs")));
    assertThat(app.tables()).extracting(TableSchema::displayName).containsExactly("app.events");
    assertThat(app.before())
        .containsExactly(
            "CREATE SCHEMA IF NOT EXISTS \"app\"",
            "CREATE TYPE \"app\".\"mood\" AS ENUM ('sad', 'ok', 'happy', 'it''s')",
            "CREATE SEQUENCE \"app\".\"counter_seq\" AS bigint INCREMENT BY 5 MINVALUE 1 MAXVALUE 9223372036854775807"
                + " START WITH 100 CACHE 1");
    // app.happy reads public.edge, which this selection does not export: it is listed as left out.
    assertThat(app.skipped())
        .extracting(DatabaseSchema.Skipped::name)
        .containsExactly("app.happy", "app.happy_ids");
    assertThat(app.after())
        .filteredOn(s -> !s.contains(" OWNER TO "))
        .containsExactly(
            "SELECT pg_catalog.setval('\"app\".\"events_id_seq\"', 20, true)",
            "ALTER TABLE ONLY \"app\".\"events\" ALTER COLUMN \"id\" SET GENERATED ALWAYS",
            "SELECT pg_catalog.setval('\"app\".\"counter_seq\"', 120, true)");
  }

  @Test
  void an_unknown_included_table_is_reported_by_name() {
    assertThatThrownBy(
            () ->
                PG.introspect(
                    connection, new TableSelection(List.of(), List.of("edge", "nope"), List.of())))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE);
              assertThat(e.getMessage()).contains("'nope'").contains("app.pairs").contains("edge");
            });
    assertThatThrownBy(
            () ->
                PG.introspect(
                    connection, new TableSelection(List.of("app"), List.of("edge"), List.of())))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE));
    assertThatThrownBy(
            () ->
                PG.introspect(
                    connection, new TableSelection(List.of(), List.of("dbsnap_state"), List.of())))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.getMessage()).contains("dbsnap_state"));
  }

  @Test
  void reader_returns_rows_in_key_order_as_dbsnap_values() throws SQLException {
    TableSchema edge = table("edge");
    List<List<Object>> rows = readAll(connection, edge, null);
    assertThat(rows)
        .extracting(r -> r.get(0))
        .containsExactly(-5L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 1000L);
    List<Object> two = rows.get(2);
    assertThat(two.get(edge.columnIndex("big"))).isEqualTo(Long.MAX_VALUE);
    assertThat(two.get(edge.columnIndex("num")))
        .isEqualTo(new BigDecimal("12345678901234567890.123456789"));
    assertThat(two.get(edge.columnIndex("num_scaled"))).isEqualTo(new BigDecimal("0.10"));
    assertThat(two.get(edge.columnIndex("dbl"))).isEqualTo(0.1);
    assertThat(two.get(edge.columnIndex("rl"))).isEqualTo(0.1);
    assertThat(two.get(edge.columnIndex("flag"))).isEqualTo(true);
    assertThat((String) two.get(edge.columnIndex("txt")))
        .startsWith("it's a \"test\" \\ back\\slash \\x41\n\ttab\r\n")
        .contains("😀 ü 中文 \u0001\u007f\u2028");
    assertThat(two.get(edge.columnIndex("ch"))).isEqualTo("ab   ");
    byte[] bytes = (byte[]) two.get(edge.columnIndex("bin"));
    assertThat(bytes).hasSize(256);
    for (int i = 0; i < 256; i++) {
      assertThat(bytes[i]).isEqualTo((byte) i);
    }
    assertThat(two.get(edge.columnIndex("d"))).isEqualTo("2024-02-29");
    assertThat(two.get(edge.columnIndex("t"))).isEqualTo("23:59:59.999999");
    assertThat(two.get(edge.columnIndex("tstz"))).isEqualTo("2024-06-01 10:00:00+00");
    assertThat(two.get(edge.columnIndex("j")))
        .isEqualTo("{\"b\": 1,  \"a\": [1, 2], \"s\": \"q'\\\"\\\\\"}");
    assertThat(two.get(edge.columnIndex("jb"))).isEqualTo("{\"a\": [1, 2.50], \"b\": 1}");
    assertThat(two.get(edge.columnIndex("ints"))).isEqualTo("{1,NULL,3}");
    assertThat(two.get(edge.columnIndex("texts")))
        .isEqualTo("{\"a\\\"b\",\"NULL\",NULL,\"c,d\",it's,\"{x}\",\" sp \"}");
    assertThat(two.get(edge.columnIndex("moods"))).isEqualTo("{happy,NULL,it's}");
    assertThat(two.get(edge.columnIndex("pos"))).isEqualTo(5L);
    assertThat(two.get(edge.columnIndex("iv"))).isEqualTo("1 year 2 mons 3 days 04:05:06.789");
    assertThat(two.get(edge.columnIndex("doubled"))).isEqualTo(4L);

    List<Object> three = rows.get(3);
    assertThat(three.get(edge.columnIndex("big"))).isEqualTo(Long.MIN_VALUE);
    assertThat(three.get(edge.columnIndex("num"))).isEqualTo(Double.NaN);
    assertThat(three.get(edge.columnIndex("dbl"))).isEqualTo(1e300);
    assertThat(three.get(edge.columnIndex("rl"))).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(three.get(edge.columnIndex("d"))).isEqualTo("0044-03-15 BC");
    assertThat(three.get(edge.columnIndex("tstz"))).isEqualTo("-infinity");
    assertThat(three.get(edge.columnIndex("flag"))).isEqualTo(false);
    assertThat(three.get(edge.columnIndex("txt"))).isEqualTo("");
    assertThat(rows.get(4).get(edge.columnIndex("big"))).isEqualTo(9007199254740993L);
    assertThat(rows.get(4).get(edge.columnIndex("num"))).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(rows.get(4).get(edge.columnIndex("dbl"))).isEqualTo(-0.0);
    assertThat(rows.get(5).get(edge.columnIndex("dbl"))).isEqualTo(Double.NaN);
    assertThat(rows.get(8).get(edge.columnIndex("dbl"))).isEqualTo(Double.MIN_VALUE);
    assertThat(rows.get(10).get(edge.columnIndex("num"))).isEqualTo(new BigDecimal("123.400"));
  }

  @Test
  void a_null_value_is_null_whatever_the_kind() throws SQLException {
    TableSchema edge = table("edge");
    List<Object> one = readAll(connection, edge, null).get(1);
    for (String name :
        List.of(
            "big", "num", "dbl", "rl", "flag", "txt", "bin", "d", "j", "jb", "ints", "mood",
            "iv")) {
      assertThat(one.get(edge.columnIndex(name))).as(name).isNull();
    }
  }

  @Test
  void reader_starts_right_after_any_key_it_handed_out() throws SQLException {
    for (String name :
        List.of("edge", "app.pairs", "child", "measure_eu", "app.events", "parent")) {
      TableSchema table = table(name);
      List<List<Object>> all = new ArrayList<>();
      List<List<Object>> keys = new ArrayList<>();
      try (TableReader reader = PG.openReader(connection, table, null)) {
        while (reader.next()) {
          all.add(java.util.Arrays.asList(reader.values().clone()));
          keys.add(reader.key());
        }
      }
      assertThat(all).as(name).isNotEmpty();
      for (int i = 0; i < keys.size(); i++) {
        assertThat(comparable(readAll(connection, table, keys.get(i))))
            .as(name + " after " + keys.get(i))
            .isEqualTo(comparable(all.subList(i + 1, all.size())));
      }
    }
  }

  @Test
  void keys_are_the_key_columns_text_so_they_can_be_cast_back() throws SQLException {
    assertThat(readAll(connection, table("app.pairs"), List.of("1", "z")))
        .containsExactly(
            List.of(1L, "é", "v"),
            List.of(2L, "a'q", "w"),
            List.of(2L, "b", "x"),
            List.of(2L, "中", "s"),
            List.of(3L, "", "t"));
    assertThat(readAll(connection, table("app.pairs"), List.of(2L, "b")))
        .containsExactly(List.of(2L, "中", "s"), List.of(3L, "", "t"));
    assertThat(readAll(connection, table("child"), List.of("7fffffff-0000-0000-0000-000000000000")))
        .extracting(r -> r.get(2))
        .containsExactly("last");
    try (TableReader reader = PG.openReader(connection, table("app.pairs"), null)) {
      reader.next();
      assertThat(reader.key()).containsExactly("1", "A");
    }
  }

  @Test
  void a_table_without_key_reads_whole_and_cannot_resume() throws SQLException {
    TableSchema nokey = table("nokey");
    try (TableReader reader = PG.openReader(connection, nokey, null)) {
      int rows = 0;
      while (reader.next()) {
        assertThat(reader.key()).isNull();
        rows++;
      }
      assertThat(rows).isEqualTo(4);
    }
    assertThatThrownBy(() -> PG.openReader(connection, nokey, List.of("1")))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESUME_FAILED));
  }

  @Test
  void a_partitioned_table_is_read_through_its_leaves() throws SQLException {
    assertThat(readAll(connection, table("measure_eu"), null))
        .containsExactly(
            List.of(1L, "eu", new BigDecimal("2.250")), java.util.Arrays.asList(2L, "eu", null));
    assertThat(readAll(connection, table("measure_us"), null))
        .containsExactly(
            List.of(1L, "us", new BigDecimal("1.500")),
            List.of(3L, "us", new BigDecimal("-0.001")));
  }

  static List<List<Object>> readAll(Connection c, TableSchema table, List<Object> afterKey)
      throws SQLException {
    List<List<Object>> rows = new ArrayList<>();
    try (TableReader reader = PostgresDialect.INSTANCE.openReader(c, table, afterKey)) {
      while (reader.next()) {
        rows.add(java.util.Arrays.asList(reader.values().clone()));
      }
    }
    return rows;
  }

  /** Rows with byte arrays as hex, so that equals compares contents. */
  static List<List<Object>> comparable(List<List<Object>> rows) {
    List<List<Object>> out = new ArrayList<>(rows.size());
    for (List<Object> row : rows) {
      List<Object> copy = new ArrayList<>(row.size());
      for (Object v : row) {
        copy.add(v instanceof byte[] b ? "bytes:" + java.util.HexFormat.of().formatHex(b) : v);
      }
      out.add(copy);
    }
    return out;
  }

  private static String show(Statement st, String setting) throws SQLException {
    try (ResultSet rs = st.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
