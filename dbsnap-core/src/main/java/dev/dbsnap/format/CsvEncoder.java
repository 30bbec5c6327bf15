package dev.dbsnap.format;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.TableReader;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.ValueKind;
import java.math.BigDecimal;

/**
 * RFC 4180 CSV: a header row, CRLF between records, fields quoted when they hold a comma, quote, CR
 * or LF. NULL is an empty unquoted field and the empty string is {@code ""}, the rule PostgreSQL's
 * COPY CSV uses. BLOBs are base64; booleans true/false. A value of a tagged column ({@link
 * ColumnTags}) starts with its storage class: {@code integer:42}, {@code real:1.5}, {@code
 * text:abc}, {@code blob:<base64>}; NULL stays the empty unquoted field.
 */
final class CsvEncoder implements RowEncoder {
  private final ColumnTags tags;

  CsvEncoder(ColumnTags tags) {
    this.tags = tags;
  }

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

  /** The kinds of the current table's columns, for rows read as text. */
  private ValueKind[] kinds = new ValueKind[0];

  /** Which of the current table's columns are tagged; null when none is. */
  private boolean[] tagged;

  @Override
  public void frameStart(TableSchema table, boolean firstRowOfTable) {
    if (kinds.length != table.columns().size()) {
      kinds = new ValueKind[table.columns().size()];
    }
    for (int i = 0; i < kinds.length; i++) {
      kinds[i] = table.columns().get(i).kind();
    }
    java.util.Set<String> names = tags.of(table);
    tagged = null;
    if (!names.isEmpty()) {
      tagged = new boolean[kinds.length];
      for (int i = 0; i < kinds.length; i++) {
        tagged[i] = names.contains(table.columns().get(i).name());
      }
    }
  }

  /**
   * The same bytes as {@link #row(Object[], ByteBuf)}, from the server's text where it is already
   * what that writes: integers and decimals (plain digits; NaN and ±Infinity by name), and text
   * quoted at byte level, which UTF-8 allows because a comma, quote, CR or LF byte is always that
   * character. Floats are still parsed and printed, since Java's form ({@code 1.0E300}, {@code
   * 100.0}) is not PostgreSQL's ({@code 1e+300}, {@code 100}).
   */
  @Override
  public void row(TableReader reader, ByteBuf out) {
    if (tagged != null) {
      row(reader.values(), out);
      return;
    }
    if (!reader.hasText()) {
      // value by value; text the reader holds as UTF-8 (SQLite) is quoted without a String
      for (int i = 0; i < kinds.length; i++) {
        if (i > 0) {
          out.write(',');
        }
        byte[] u = reader.utf8(i);
        if (u != null) {
          text(out, u);
        } else {
          Object v = reader.value(i);
          if (v != null) {
            value(out, v);
          }
        }
      }
      out.write('\r').write('\n');
      return;
    }
    ValueKind[] k = kinds;
    for (int i = 0; i < k.length; i++) {
      if (i > 0) {
        out.write(',');
      }
      if (k[i] == ValueKind.BYTES) {
        byte[] b = (byte[]) reader.value(i);
        if (b != null) {
          if (b.length == 0) {
            out.write('"').write('"');
          } else {
            out.base64(b);
          }
        }
        continue;
      }
      byte[] t = reader.text(i);
      if (t == null) {
        continue;
      }
      switch (k[i]) {
        case INTEGER, DECIMAL -> out.write(t);
        case FLOAT -> Numbers.writeDoubleText(t, out);
        case BOOLEAN -> out.ascii(t[0] == 't' ? "true" : "false");
        default -> text(out, t);
      }
    }
    out.write('\r').write('\n');
  }

  /** {@link #text(ByteBuf, String)} for the UTF-8 bytes of a string. */
  static void text(ByteBuf out, byte[] s) {
    int n = s.length;
    int i = 0;
    if (n > 0) {
      while (i < n) {
        byte c = s[i];
        if (c == ',' || c == '"' || c == '\n' || c == '\r') {
          break;
        }
        i++;
      }
      if (i == n) {
        out.write(s, 0, n);
        return;
      }
    }
    out.write('"').write(s, 0, i).writeDoubling(s, i, n - i, (byte) '"').write('"');
  }

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
      if (tagged != null && tagged[i]) {
        tagged(out, v);
      } else {
        value(out, v);
      }
    }
    out.write('\r').write('\n');
  }

  /** An untagged value that is not NULL. */
  private static void value(ByteBuf out, Object v) {
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

  /** A value of a tagged column: its storage class, a colon, and the value's plain form. */
  private static void tagged(ByteBuf out, Object v) {
    String tag = ColumnTags.tag(v);
    if (v instanceof String s) {
      text(out, tag + ":" + s);
      return;
    }
    out.ascii(tag).write(':');
    if (v instanceof byte[] b) {
      out.base64(b);
    } else if (v instanceof Double d) {
      out.ascii(Numbers.doubleText(d));
    } else {
      out.decimal(((Number) v).longValue());
    }
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
