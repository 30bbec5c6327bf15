package dev.dbsnap.restore;

import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.Dialect;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableReader;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.TableSelection;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every row of every table, as comparable values, read with dbsnap's own readers. */
public final class TableContents {
  private TableContents() {}

  /**
   * Table name to rows in key order; each value is rendered as "Class:value" so storage classes
   * count.
   */
  public static Map<String, List<List<String>>> of(Source source, TableSelection selection)
      throws SQLException {
    Dialect dialect = source.dialect();
    Map<String, List<List<String>>> tables = new LinkedHashMap<>();
    try (Connection c = source.connect()) {
      dialect.beginSnapshot(c);
      DatabaseSchema schema = dialect.introspect(c, selection);
      for (TableSchema t : schema.tables()) {
        List<List<String>> rows = new ArrayList<>();
        try (TableReader r = dialect.openReader(c, t, null)) {
          while (r.next()) {
            List<String> row = new ArrayList<>();
            for (Object v : r.values()) {
              row.add(render(v));
            }
            rows.add(row);
          }
        }
        if (t.keyKind() == dev.dbsnap.source.KeyKind.NONE) {
          rows.sort((a, b) -> a.toString().compareTo(b.toString()));
        }
        tables.put(t.displayName(), rows);
      }
    }
    return tables;
  }

  static String render(Object v) {
    if (v == null) {
      return "NULL";
    }
    if (v instanceof byte[] b) {
      return "bytes:" + HexFormat.of().formatHex(b);
    }
    if (v instanceof Double d) {
      return "Double:" + Long.toHexString(Double.doubleToRawLongBits(d)); // tells -0.0 from 0.0
    }
    return v.getClass().getSimpleName() + ":" + v;
  }
}
