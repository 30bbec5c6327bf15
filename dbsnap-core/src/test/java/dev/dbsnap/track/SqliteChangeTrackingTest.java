package dev.dbsnap.track;

import dev.dbsnap.source.Source;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

class SqliteChangeTrackingTest extends ChangeTrackingContractTest {
  @TempDir Path dir;

  @Override
  Source createDatabase() throws Exception {
    Source s = Source.parse("jdbc:sqlite:" + dir.resolve("app.db"), null, null);
    try (Connection c = s.connectForWriting();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");
      st.execute("CREATE TABLE other (id INTEGER PRIMARY KEY)");
      st.execute("INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')");
    }
    return s;
  }

  @Override
  List<String> dbsnapObjects() throws SQLException {
    List<String> names = new ArrayList<>();
    try (Connection c = source.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT type || ' ' || name FROM sqlite_master WHERE name LIKE '%dbsnap%'"
                    + " OR sql LIKE '%dbsnap%' ORDER BY 1")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  @Override
  String items() {
    return "items";
  }

  @Override
  void beginRead(Connection c) throws SQLException {
    source.dialect().beginSnapshot(c);
  }
}
