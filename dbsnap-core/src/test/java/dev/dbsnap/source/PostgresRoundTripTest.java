package dev.dbsnap.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.dbsnap.format.ByteBuf;
import dev.dbsnap.format.SqlLiterals;
import dev.dbsnap.testing.PgClients;
import dev.dbsnap.testing.PgFixture;
import dev.dbsnap.testing.PgTestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exports the fixture as an SQL script built from the dialect's statements and the PostgreSQL
 * literals, restores it with psql and with JDBC, and compares the restored databases with the
 * source value for value.
 */
class PostgresRoundTripTest {
  private static final Dialect PG = PostgresDialect.INSTANCE;
  private static final int ROWS_PER_INSERT = 3;
  private static String script;

  @TempDir Path temp;

  @BeforeAll
  static void exportFixture() throws SQLException {
    try (Connection c = Snapshots.pg()) {
      script = exportScript(c, PG.introspect(c, TableSelection.ALL));
    }
  }

  /**
   * The script an SQL export amounts to: structure, data as INSERTs, then constraints and the rest.
   */
  static String exportScript(Connection c, DatabaseSchema schema) throws SQLException {
    SqlLiterals literals = SqlLiterals.of(DialectKind.POSTGRESQL);
    ByteBuf out = new ByteBuf(1 << 16);
    out.ascii("SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\nBEGIN;\n");
    for (String s : dev.dbsnap.format.Format.schemaHead(schema)) {
      out.utf8(s).ascii(";\n");
    }
    for (TableSchema t : schema.tables()) {
      List<Integer> inserted = new ArrayList<>();
      StringBuilder head = new StringBuilder("INSERT INTO ").append(PG.qualified(t)).append(" (");
      for (int i = 0; i < t.columns().size(); i++) {
        if (!t.columns().get(i).generated()) {
          head.append(inserted.isEmpty() ? "" : ", ").append(PG.quote(t.columns().get(i).name()));
          inserted.add(i);
        }
      }
      head.append(") VALUES\n");
      try (TableReader reader = PG.openReader(c, t, null)) {
        int inBatch = 0;
        while (reader.next()) {
          out.utf8(inBatch == 0 ? head : ",\n").write('(');
          Object[] values = reader.values();
          for (int k = 0; k < inserted.size(); k++) {
            if (k > 0) {
              out.ascii(", ");
            }
            int i = inserted.get(k);
            literals.write(out, values[i], t.columns().get(i));
          }
          out.write(')');
          if (++inBatch == ROWS_PER_INSERT) {
            out.ascii(";\n");
            inBatch = 0;
          }
        }
        if (inBatch > 0) {
          out.ascii(";\n");
        }
      }
    }
    for (String s : dev.dbsnap.format.Format.schemaTail(schema)) {
      out.utf8(s).ascii(";\n");
    }
    out.ascii("COMMIT;\n");
    return new String(out.toByteArray(), StandardCharsets.UTF_8);
  }

  @Test
  void a_script_restored_with_psql_matches_the_source() throws Exception {
    assumeTrue(PgClients.onPath("psql"), "psql is not on PATH");
    String db = PgTestServer.createDatabase();
    Path file = temp.resolve("export.sql");
    Files.writeString(file, script, StandardCharsets.UTF_8);
    PgClients.psql(db, file);
    assertMatchesSource(db);
    assertDataDumpsMatch(db);
  }

  @Test
  void a_script_restored_through_jdbc_matches_the_source() throws SQLException {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(script);
    }
    assertMatchesSource(db);
  }

  @Test
  void restored_sequences_and_identities_continue_where_the_source_stopped() throws SQLException {
    String db = PgTestServer.createDatabase();
    try (Connection c = PgTestServer.connect(db);
        Statement st = c.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(script);
      assertThat(single(st, "INSERT INTO public.parent (code) VALUES ('d') RETURNING id"))
          .isEqualTo("4");
      assertThat(single(st, "INSERT INTO app.events DEFAULT VALUES RETURNING id")).isEqualTo("30");
      assertThat(single(st, "INSERT INTO public.empty_serial DEFAULT VALUES RETURNING id"))
          .isEqualTo("1");
      assertThat(single(st, "INSERT INTO public.nokey (x) VALUES (9) RETURNING n"))
          .isEqualTo("125");
      assertThat(single(st, "SELECT pg_catalog.pg_get_serial_sequence('public.parent', 'id')"))
          .isEqualTo("public.parent_id_seq");
      // The identity column is ALWAYS again once the data is in.
      assertThatThrownBy(() -> st.execute("INSERT INTO app.events (id) VALUES (1)"))
          .isInstanceOf(SQLException.class);
    }
  }

  private static void assertMatchesSource(String restoredDb) throws SQLException {
    try (Connection source = Snapshots.pg();
        Connection restored = Snapshots.pg(restoredDb)) {
      DatabaseSchema expected = PG.introspect(source, TableSelection.ALL);
      DatabaseSchema actual = PG.introspect(restored, TableSelection.ALL);
      assertThat(actual.before()).isEqualTo(expected.before());
      assertThat(actual.after()).isEqualTo(expected.after());
      assertThat(actual.tables()).hasSameSizeAs(expected.tables());
      for (int i = 0; i < expected.tables().size(); i++) {
        TableSchema e = expected.tables().get(i);
        TableSchema a = actual.tables().get(i);
        String name = e.displayName();
        assertThat(a.displayName()).isEqualTo(name);
        assertThat(a.columns()).as(name).isEqualTo(e.columns());
        assertThat(a.primaryKey()).as(name).isEqualTo(e.primaryKey());
        assertThat(a.createSql()).as(name).isEqualTo(e.createSql());
        assertThat(a.constraints()).as(name).isEqualTo(e.constraints());
        assertThat(a.indexes()).as(name).isEqualTo(e.indexes());
        List<List<Object>> rows =
            PostgresDialectTest.comparable(PostgresDialectTest.readAll(source, e, null));
        assertThat(rows.isEmpty()).as(name + " is empty").isEqualTo(name.equals("empty_serial"));
        assertThat(PostgresDialectTest.comparable(PostgresDialectTest.readAll(restored, a, null)))
            .as(name)
            .isEqualTo(rows);
      }
      assertThat(sequences(restored)).isEqualTo(sequences(source)).isNotEmpty();
    }
  }

  private static List<String> sequences(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT schemaname, sequencename, data_type, start_value, increment_by, last_value, cycle"
                    + " FROM pg_catalog.pg_sequences ORDER BY 1, 2")) {
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= 7; i++) {
          row.append(rs.getString(i)).append(' ');
        }
        out.add(row.toString());
      }
    }
    return out;
  }

  /**
   * pg_dump's data of both databases, rows sorted within each table since heap order may differ.
   */
  private static void assertDataDumpsMatch(String restoredDb) throws Exception {
    assumeTrue(PgClients.onPath("pg_dump"), "pg_dump is not on PATH");
    assertThat(PgClients.dataDump(restoredDb)).isEqualTo(PgClients.dataDump(PgFixture.database()));
  }

  private static String single(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
