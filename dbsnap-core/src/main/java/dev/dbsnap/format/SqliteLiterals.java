package dev.dbsnap.format;

import dev.dbsnap.source.Column;
import java.math.BigDecimal;

/**
 * SQLite literals by storage class, so a value restores with the class it had even where that
 * differs from the column's declared type: integers as digits, reals always with a decimal point or
 * exponent, text quoted, BLOBs as X'..'.
 */
final class SqliteLiterals implements SqlLiterals {
  static final SqlLiterals INSTANCE = new SqliteLiterals();

  private SqliteLiterals() {}

  @Override
  public void write(ByteBuf out, Object value, Column column) {
    if (value == null) {
      out.ascii("NULL");
    } else if (value instanceof Long l) {
      out.decimal(l);
    } else if (value instanceof String s) {
      text(out, s);
    } else if (value instanceof Double d) {
      real(out, d);
    } else if (value instanceof byte[] b) {
      out.ascii("X'").hex(b).write('\'');
    } else if (value instanceof Boolean b) {
      out.write(b ? '1' : '0');
    } else if (value instanceof BigDecimal d) {
      out.ascii(d.toPlainString());
    } else {
      out.ascii(value.toString());
    }
  }

  static void real(ByteBuf out, double d) {
    if (Double.isNaN(d)) {
      out.ascii("NULL"); // SQLite stores NaN as NULL; it cannot be read back as anything else
    } else if (Double.isInfinite(d)) {
      out.ascii(d > 0 ? "1e999" : "-1e999");
    } else {
      // Double.toString is the shortest text that reads back to the same double, and always has
      // a '.' or exponent, so SQLite parses it as REAL, not INTEGER.
      out.ascii(Double.toString(d));
    }
  }

  static void text(ByteBuf out, String s) {
    int special = nextSpecial(s, 0);
    if (special < 0) {
      quoted(out, s, 0, s.length());
      return;
    }
    // A quoted literal cannot hold NUL, and the sqlite3 shell drops a CR before a line end:
    // write those characters as char(n) joined to the quoted pieces, as the shell's .dump does.
    out.write('(');
    int from = 0;
    while (special >= 0) {
      quoted(out, s, from, special);
      out.ascii("||char(").decimal(s.charAt(special)).ascii(")||");
      from = special + 1;
      special = nextSpecial(s, from);
    }
    quoted(out, s, from, s.length());
    out.write(')');
  }

  private static int nextSpecial(String s, int from) {
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\0' || c == '\r') {
        return i;
      }
    }
    return -1;
  }

  private static void quoted(ByteBuf out, String s, int from, int to) {
    out.write('\'');
    int start = from;
    for (int i = from; i < to; i++) {
      if (s.charAt(i) == '\'') {
        out.utf8(s, start, i + 1).write('\'');
        start = i + 1;
      }
    }
    out.utf8(s, start, to).write('\'');
  }
}
