package dev.dbsnap.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.testing.PgTestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL reader streams {@code COPY (query) TO STDOUT}: a reader closed before its last row
 * stops the server and leaves the read transaction, with its snapshot, usable; a resume key that
 * needs quoting reaches the query intact.
 */
class PostgresCopyReadTest {
  private static final PostgresDialect PG = (PostgresDialect) PostgresDialect.INSTANCE;
  private static final int ROWS = 200_000; // far more than the socket buffers hold
  private static String database;
  private static Connection writer;

  @BeforeAll
  static void createTables() throws SQLException {
    database = PgTestServer.createDatabase();
    writer = PgTestServer.connect(database);
    try (Statement st = writer.createStatement()) {
      st.execute(
          "CREATE TABLE public.big AS SELECT g AS id, repeat('x', 40) || g AS note"
              + " FROM generate_series(1, "
              + ROWS
              + ") g");
      st.execute("ALTER TABLE public.big ADD PRIMARY KEY (id)");
      st.execute("CREATE TABLE public.words (w text PRIMARY KEY, n int)");
      st.execute(
          "INSERT INTO public.words VALUES ('a', 1), (E'it''s \\\\ a\\ttab', 2), ('z', 3),"
              + " (E'\\\\N', 4)");
    }
  }

  @AfterAll
  static void close() throws SQLException {
    writer.close();
  }

  private static TableSchema table(Connection c, String name) throws SQLException {
    return PG.introspect(c, TableSelection.ALL).tables().stream()
        .filter(t -> t.name().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void a_reader_closed_early_leaves_the_transaction_and_its_snapshot_usable() throws Exception {
    try (Connection c = PgTestServer.connect(database)) {
      PG.beginSnapshot(c);
      TableSchema big = table(c, "big");
      try (TableReader r = PG.openReader(c, big, null)) {
        assertThat(r.next()).isTrue();
        assertThat(r.key()).containsExactly("1");
      } // closed with most rows still on their way
      try (Statement st = writer.createStatement()) {
        st.execute("INSERT INTO public.big VALUES (" + (ROWS + 1) + ", 'after')");
      }
      long rows = 0;
      String last = null;
      try (TableReader r = PG.openReader(c, big, null)) {
        while (r.next()) {
          rows++;
          last = (String) r.key().get(0);
        }
      }
      // the same snapshot: the row committed after the export began is not there
      assertThat(rows).isEqualTo(ROWS);
      assertThat(last).isEqualTo(String.valueOf(ROWS));
      // and the transaction takes other statements, too
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM public.big")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(ROWS);
      }
    } finally {
      try (Statement st = writer.createStatement()) {
        st.execute("DELETE FROM public.big WHERE id > " + ROWS);
      }
    }
  }

  @Test
  void a_resume_key_with_quotes_backslashes_and_tabs_reaches_the_query_intact()
      throws SQLException {
    try (Connection c = PgTestServer.connect(database)) {
      PG.beginSnapshot(c);
      TableSchema words = table(c, "words");
      List<String> all = new ArrayList<>();
      try (TableReader r = PG.openReader(c, words, null)) {
        while (r.next()) {
          all.add((String) r.key().get(0));
        }
      }
      assertThat(all).contains("it's \\ a\ttab", "\\N").hasSize(4);
      for (int i = 0; i < all.size(); i++) {
        List<String> rest = new ArrayList<>();
        try (TableReader r = PG.openReader(c, words, List.of(all.get(i)))) {
          while (r.next()) {
            rest.add((String) r.key().get(0));
            assertThat(r.values()[0]).isEqualTo(r.key().get(0));
          }
        }
        assertThat(rest).as("after %s", all.get(i)).isEqualTo(all.subList(i + 1, all.size()));
      }
    }
  }
}
