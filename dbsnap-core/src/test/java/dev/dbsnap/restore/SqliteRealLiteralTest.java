package dev.dbsnap.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.dbsnap.export.Compression;
import dev.dbsnap.format.Format;
import dev.dbsnap.source.Source;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * REAL values keep every bit through an sql export read by the system's {@code sqlite3} (3.40 on
 * Debian 12, whose decimal parser misreads some shortest texts such as {@code 22.072241}) and by
 * sqlite-jdbc's own engine, and through csv and jsonl, which dbsnap restores itself. NaN is not in
 * the table: SQLite stores a NaN as NULL, so a source never holds one.
 */
class SqliteRealLiteralTest {
  private static final int COUNT = 100_000;
  @TempDir static Path dir;
  static Source source;
  static double[] values;

  @BeforeAll
  static void createDatabase() throws Exception {
    SplittableRandom random = new SplittableRandom(20261202);
    values = new double[2 * COUNT];
    for (int i = 0; i < COUNT; i++) {
      double d;
      do {
        long bits = random.nextLong();
        if (i % 10 == 0) {
          bits &= 0x800f_ffff_ffff_ffffL; // subnormal (or zero)
        }
        d = Double.longBitsToDouble(bits);
      } while (Double.isNaN(d));
      values[i] = d;
    }
    for (int i = COUNT; i < 2 * COUNT; i++) {
      int scale = 6 + random.nextInt(2);
      long limit = 180 * (long) Math.pow(10, scale);
      values[i] = BigDecimal.valueOf(random.nextLong(-limit, limit + 1), scale).doubleValue();
    }
    values[COUNT] = 22.072241; // sqlite3 3.40.1 reads this shortest text as 22.072240999999998
    Path db = dir.resolve("reals.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, v REAL, u)");
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO r (id, v, u) VALUES (?, ?, ?)")) {
        for (int i = 0; i < values.length; i++) {
          ps.setInt(1, i);
          ps.setDouble(2, values[i]);
          ps.setDouble(3, values[i]);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      c.commit();
    }
    source = Source.parse(db.toString(), null, null);
    assertThat(mismatches(db)).as("the source itself").isZero();
  }

  /**
   * Rows whose REAL columns do not hold the bits of {@link #values}, or whose class is not real.
   */
  private static int mismatches(Path db) throws Exception {
    int wrong = 0;
    int rows = 0;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, v, u, typeof(v), typeof(u) FROM r")) {
      while (rs.next()) {
        rows++;
        long expected = Double.doubleToRawLongBits(values[rs.getInt(1)]);
        if (Double.doubleToRawLongBits(rs.getDouble(2)) != expected
            || Double.doubleToRawLongBits(rs.getDouble(3)) != expected
            || !rs.getString(4).equals("real")
            || !rs.getString(5).equals("real")) {
          wrong++;
        }
      }
    }
    assertThat(rows).isEqualTo(values.length);
    return wrong;
  }

  @Test
  void an_sql_dump_read_by_the_system_sqlite3_keeps_every_bit(@TempDir Path out) throws Exception {
    assumeThat(SqliteRoundTripTest.onPath("sqlite3"))
        .as("sqlite3 is not installed; .ci/run installs it")
        .isTrue();
    Path exportDir = SqliteRoundTripTest.export(source, Format.SQL, Compression.NONE, out);
    Path restored = out.resolve("shell.db");
    SqliteRoundTripTest.sqlite3(exportDir.resolve("dump.sql"), restored);
    assertThat(mismatches(restored)).isZero();
  }

  @Test
  void every_format_restored_by_dbsnap_keeps_every_bit(@TempDir Path out) throws Exception {
    for (Format format : new Format[] {Format.SQL, Format.CSV, Format.JSONL}) {
      Path exportDir =
          SqliteRoundTripTest.export(
              source, format, Compression.NONE, out.resolve(format.extension()));
      Path restored = out.resolve(format.extension() + ".db");
      SqliteRoundTripTest.restore(exportDir, restored);
      assertThat(mismatches(restored)).as(format.name()).isZero();
    }
  }
}
