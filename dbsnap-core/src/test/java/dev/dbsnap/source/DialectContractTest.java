package dev.dbsnap.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What every {@link Dialect} promises, run against a real database of its kind. A subclass creates
 * the same tables in its dialect's SQL; this class fills them through plain JDBC and reads them
 * through the dialect:
 *
 * <ul>
 *   <li>{@code items (id integer PRIMARY KEY, name text, big integer, score float, data blob)}
 *   <li>{@code pairs (a integer, b text, v text, PRIMARY KEY (b, a))}: a key in another order than
 *       the columns
 *   <li>{@code loose (x text, y integer)}: no primary key
 *   <li>{@code tally (id integer PRIMARY KEY)}: written to while a snapshot reads
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DialectContractTest {
  private static final byte[] ALL_BYTES = allBytes();

  /** items rows in insertion order, which is not key order. */
  private static final List<Object[]> ITEMS =
      List.of(
          new Object[] {5L, "plain", 1L, 0.5, new byte[] {1, 2, 3}},
          new Object[] {-3L, "", Long.MIN_VALUE, -0.25, new byte[0]},
          new Object[] {9_000_000_000_000L, null, Long.MAX_VALUE, null, null},
          new Object[] {1L, "😀 中文 é\u0301 \u2028", 9_007_199_254_740_993L, 1e300, ALL_BYTES},
          new Object[] {0L, "quote ' \" and \\ backslash", 0L, -1e-300, new byte[] {0}},
          new Object[] {2L, "line\r\nend\ttab", -1L, 0.1, new byte[] {(byte) 0xff}});

  private static final List<Object[]> PAIRS =
      List.of(
          new Object[] {2L, "b", "b2"},
          new Object[] {1L, "b", "b1"},
          new Object[] {10L, "a", null},
          new Object[] {-1L, "c", "c-1"},
          new Object[] {3L, "a", "a3"});

  private final Dialect dialect = dialect();

  /** The dialect under test. */
  abstract Dialect dialect();

  /** Creates an empty database for this test class; called once, before everything else. */
  abstract void createDatabase() throws Exception;

  /** A connection that may write and commits each statement. */
  abstract Connection connectForWriting() throws SQLException;

  /** A new connection as an export opens it, before {@link Dialect#beginSnapshot}. */
  abstract Connection connectForReading() throws SQLException;

  /** Statements that create items, pairs, loose and tally in this dialect's SQL. */
  abstract List<String> createTables();

  /** The declared types of items' columns, as introspection reports them. */
  abstract List<String> itemTypes();

  /** How this dialect orders a table without a primary key. */
  abstract KeyKind keylessKind();

  /** Drops the database, if the subclass made one that outlives the test. */
  void dropDatabase() throws Exception {}

  @BeforeAll
  void createAndFillTables() throws Exception {
    createDatabase();
    try (Connection c = connectForWriting()) {
      try (Statement st = c.createStatement()) {
        for (String sql : createTables()) {
          st.execute(sql);
        }
      }
      insert(c, "INSERT INTO items (id, name, big, score, data) VALUES (?, ?, ?, ?, ?)", ITEMS);
      insert(c, "INSERT INTO pairs (a, b, v) VALUES (?, ?, ?)", PAIRS);
      insert(
          c,
          "INSERT INTO loose (x, y) VALUES (?, ?)",
          List.of(
              new Object[] {"same", 1L},
              new Object[] {"same", 1L},
              new Object[] {null, null},
              new Object[] {"other", 2L}));
      insert(c, "INSERT INTO tally (id) VALUES (?)", List.<Object[]>of(new Object[] {1L}));
    }
  }

  @AfterAll
  void drop() throws Exception {
    dropDatabase();
  }

  private static void insert(Connection c, String sql, List<Object[]> rows) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (Object[] row : rows) {
        for (int i = 0; i < row.length; i++) {
          Object v = row[i];
          if (v == null) {
            ps.setNull(i + 1, java.sql.Types.NULL);
          } else if (v instanceof Long n) {
            ps.setLong(i + 1, n);
          } else if (v instanceof Double d) {
            ps.setDouble(i + 1, d);
          } else if (v instanceof byte[] b) {
            ps.setBytes(i + 1, b);
          } else {
            ps.setString(i + 1, (String) v);
          }
        }
        ps.executeUpdate();
      }
    }
  }

  private Connection snapshot() throws SQLException {
    Connection c = connectForReading();
    dialect.beginSnapshot(c);
    return c;
  }

  private DatabaseSchema introspect(Connection c, TableSelection selection) throws SQLException {
    return dialect.introspect(c, selection);
  }

  private static TableSchema table(DatabaseSchema schema, String name) {
    return schema.tables().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }

  /** Every row from {@code afterKey} on, each row copied (a reader may reuse its array). */
  private List<List<Object>> read(Connection c, TableSchema table, List<Object> afterKey)
      throws SQLException {
    List<List<Object>> rows = new ArrayList<>();
    try (TableReader reader = dialect.openReader(c, table, afterKey)) {
      while (reader.next()) {
        rows.add(comparable(reader.values()));
      }
    }
    return rows;
  }

  private static List<List<Object>> rows(List<Object[]> rows) {
    return rows.stream().map(DialectContractTest::comparable).toList();
  }

  /** A row as a list that equals another with the same values: byte arrays become hex text. */
  private static List<Object> comparable(Object[] row) {
    List<Object> values = new ArrayList<>(row.length);
    for (Object v : row) {
      values.add(v instanceof byte[] b ? "blob " + HexFormat.of().formatHex(b) : v);
    }
    return values;
  }

  @Test
  void introspection_finds_the_tables_with_columns_types_and_primary_key_in_key_order()
      throws SQLException {
    try (Connection c = snapshot()) {
      DatabaseSchema schema = introspect(c, TableSelection.ALL);

      assertThat(schema.dialect()).isEqualTo(dialect.kind());
      assertThat(schema.tables())
          .extracting(TableSchema::name)
          .containsExactly("items", "loose", "pairs", "tally");
      TableSchema items = table(schema, "items");
      assertThat(items.columns())
          .extracting(Column::name)
          .containsExactly("id", "name", "big", "score", "data");
      assertThat(items.columns()).extracting(Column::type).isEqualTo(itemTypes());
      assertThat(items.columns())
          .extracting(Column::kind)
          .containsExactly(
              ValueKind.INTEGER,
              ValueKind.TEXT,
              ValueKind.INTEGER,
              ValueKind.FLOAT,
              ValueKind.BYTES);
      assertThat(items.primaryKey()).containsExactly("id");
      assertThat(items.keyKind()).isEqualTo(KeyKind.PRIMARY_KEY);
      assertThat(table(schema, "pairs").primaryKey()).containsExactly("b", "a");
      assertThat(table(schema, "loose").primaryKey()).isEmpty();
      assertThat(table(schema, "loose").keyKind()).isEqualTo(keylessKind());
    }
  }

  @Test
  void a_selection_includes_only_the_tables_it_names() throws SQLException {
    try (Connection c = snapshot()) {
      DatabaseSchema schema =
          introspect(c, new TableSelection(List.of(), List.of("pairs", "items"), List.of()));
      assertThat(schema.tables()).extracting(TableSchema::name).containsExactly("items", "pairs");

      DatabaseSchema excluded =
          introspect(c, new TableSelection(List.of(), List.of(), List.of("loose", "tally")));
      assertThat(excluded.tables()).extracting(TableSchema::name).containsExactly("items", "pairs");
    }
  }

  @Test
  void an_unknown_table_in_the_selection_is_an_unknown_table_error() throws SQLException {
    try (Connection c = snapshot()) {
      TableSelection selection = new TableSelection(List.of(), List.of("items", "nope"), List.of());

      assertThatThrownBy(() -> introspect(c, selection))
          .isInstanceOfSatisfying(
              DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TABLE))
          .hasMessageContaining("nope");
    }
  }

  @Test
  void
      a_reader_returns_every_row_in_key_order_with_nulls_empty_strings_big_integers_unicode_and_blobs()
          throws SQLException {
    try (Connection c = snapshot()) {
      TableSchema items = table(introspect(c, TableSelection.ALL), "items");

      List<List<Object>> expected = new ArrayList<>(rows(ITEMS));
      expected.sort((x, y) -> Long.compare((Long) x.get(0), (Long) y.get(0)));
      assertThat(read(c, items, null)).isEqualTo(expected);
    }
  }

  @Test
  void a_composite_key_orders_rows_by_its_columns_in_key_order() throws SQLException {
    try (Connection c = snapshot()) {
      TableSchema pairs = table(introspect(c, TableSelection.ALL), "pairs");

      assertThat(read(c, pairs, null))
          .extracting(row -> row.get(1) + "/" + row.get(0))
          .containsExactly("a/3", "a/10", "b/1", "b/2", "c/-1");
    }
  }

  @Test
  void reading_after_any_row_s_key_returns_exactly_the_rows_after_it() throws SQLException {
    try (Connection c = snapshot()) {
      DatabaseSchema schema = introspect(c, TableSelection.ALL);
      for (String name : List.of("items", "pairs")) {
        TableSchema table = table(schema, name);
        List<List<Object>> all = read(c, table, null);
        List<List<Object>> keys = new ArrayList<>();
        try (TableReader reader = dialect.openReader(c, table, null)) {
          while (reader.next()) {
            keys.add(reader.key());
          }
        }
        assertThat(keys).hasSameSizeAs(all);
        for (int i = 0; i < keys.size(); i++) {
          assertThat(read(c, table, keys.get(i)))
              .as("%s after key %s", name, keys.get(i))
              .isEqualTo(all.subList(i + 1, all.size()));
        }
      }
    }
  }

  @Test
  void a_table_without_a_primary_key_is_read_whole() throws SQLException {
    try (Connection c = snapshot()) {
      TableSchema loose = table(introspect(c, TableSelection.ALL), "loose");

      List<List<Object>> rows = read(c, loose, null);

      assertThat(rows)
          .containsExactlyInAnyOrder(
              Arrays.asList("same", 1L),
              Arrays.asList("same", 1L),
              Arrays.asList(null, null),
              Arrays.asList("other", 2L));
      try (TableReader reader = dialect.openReader(c, loose, null)) {
        assertThat(reader.next()).isTrue();
        // a key to restart from exactly when the table's rows have an order, else none
        assertThat(reader.key() != null).isEqualTo(loose.keyKind().resumable());
      }
    }
  }

  @Test
  void a_snapshot_does_not_see_a_row_committed_after_it_began() throws Exception {
    try (Connection c = snapshot();
        Connection writer = connectForWriting()) {
      DatabaseSchema schema = introspect(c, TableSelection.ALL);
      TableSchema tally = table(schema, "tally");
      assertThat(read(c, tally, null)).containsExactly(List.of(1L));

      try (Statement st = writer.createStatement()) {
        st.executeUpdate("INSERT INTO tally (id) VALUES (2)");
      }

      assertThat(read(c, tally, null)).containsExactly(List.of(1L));
      try (Connection later = snapshot()) {
        assertThat(read(later, tally, null)).containsExactly(List.of(1L), List.of(2L));
      }
    } finally {
      try (Connection writer = connectForWriting();
          Statement st = writer.createStatement()) {
        st.executeUpdate("DELETE FROM tally WHERE id = 2");
      }
    }
  }

  private static byte[] allBytes() {
    byte[] all = new byte[256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }
    return all;
  }
}
