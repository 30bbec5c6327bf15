package dev.dbsnap.format;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.TableSchema;
import java.math.BigDecimal;

/**
 * RFC 4180 CSV: a header row, CRLF between records, fields quoted when they hold a comma, quote, CR
 * or LF. NULL is an empty unquoted field and the empty string is {@code ""}, the rule PostgreSQL's
 * COPY CSV uses. BLOBs are base64; booleans true/false.
 */
final class CsvEncoder implements RowEncoder {
  @Override
  public void tableStart(TableSchema table, ByteBuf out) {
    int i = 0;
    for (Column c : table.columns()) {
      if (i++ > 0) {
        out.write(',');
      }
      text(out, c.name());
    }
    out.write('\r').write('\n');
  }

  @Override
  public void frameStart(TableSchema table, boolean firstRowOfTable) {}

  @Override
  public void row(Object[] values, ByteBuf out) {
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        out.write(',');
      }
      Object v = values[i];
      if (v == null) {
        continue;
      }
      if (v instanceof String s) {
        text(out, s);
      } else if (v instanceof Long l) {
        out.decimal(l);
      } else if (v instanceof Double d) {
        out.ascii(Numbers.doubleText(d));
      } else if (v instanceof BigDecimal d) {
        out.ascii(d.toPlainString());
      } else if (v instanceof Boolean b) {
        out.ascii(b ? "true" : "false");
      } else if (v instanceof byte[] b) {
        if (b.length == 0) {
          out.write('"').write('"'); // empty, not NULL
        } else {
          out.base64(b);
        }
      } else {
        text(out, v.toString());
      }
    }
    out.write('\r').write('\n');
  }

  static void text(ByteBuf out, String s) {
    int n = s.length();
    boolean quote = n == 0;
    for (int i = 0; i < n && !quote; i++) {
      char c = s.charAt(i);
      quote = c == ',' || c == '"' || c == '\n' || c == '\r';
    }
    if (!quote) {
      out.utf8(s);
      return;
    }
    out.write('"');
    int start = 0;
    for (int i = 0; i < n; i++) {
      if (s.charAt(i) == '"') {
        out.utf8(s, start, i + 1).write('"');
        start = i + 1;
      }
    }
    out.utf8(s, start, n).write('"');
  }
}
