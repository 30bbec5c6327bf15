package dev.dbsnap.cli;

import dev.dbsnap.source.DatabaseSchema;
import dev.dbsnap.source.Dialect;
import dev.dbsnap.source.SchemaOptions;
import dev.dbsnap.source.Source;
import dev.dbsnap.source.TableReader;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.TableSelection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A SHA-256 of each table's rows in key order, with every value's type, to compare two databases.
 */
final class TableDigest {
  private TableDigest() {}

  record Digest(long rows, String sha256) {}

  static Map<String, Digest> of(Source source) throws SQLException {
    Dialect dialect = source.dialect();
    Map<String, Digest> result = new TreeMap<>();
    try (Connection c = source.connect()) {
      dialect.beginSnapshot(c);
      DatabaseSchema schema = dialect.introspect(c, TableSelection.ALL, SchemaOptions.TABLES_ONLY);
      for (TableSchema t : schema.tables()) {
        MessageDigest sha = sha256();
        long rows = 0;
        try (TableReader r = dialect.openReader(c, t, null)) {
          while (r.next()) {
            rows++;
            for (Object v : r.values()) {
              String s =
                  v == null
                      ? "N"
                      : v instanceof byte[] b
                          ? "B" + HexFormat.of().formatHex(b)
                          : v.getClass().getSimpleName().charAt(0) + v.toString();
              sha.update(s.getBytes(StandardCharsets.UTF_8));
              sha.update((byte) 0);
            }
          }
        }
        result.put(t.displayName(), new Digest(rows, HexFormat.of().formatHex(sha.digest())));
      }
    }
    return result;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
