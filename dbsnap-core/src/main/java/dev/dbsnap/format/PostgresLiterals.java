package dev.dbsnap.format;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.ValueKind;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * PostgreSQL literals for {@code INSERT ... (columns) VALUES}: an untyped quoted literal takes the
 * target column's type, so text forms restore exactly. Assumes standard_conforming_strings (on by
 * default since PostgreSQL 9.1): backslashes inside quotes are literal.
 */
final class PostgresLiterals implements SqlLiterals {
  static final SqlLiterals INSTANCE = new PostgresLiterals();

  private PostgresLiterals() {}

  @Override
  public void write(ByteBuf out, Object value, Column column) {
    if (value == null) {
      out.ascii("NULL");
    } else if (value instanceof String s) {
      quoted(out, s);
    } else if (value instanceof Long n) {
      out.decimal(n);
    } else if (value instanceof BigDecimal d) {
      out.ascii(d.toPlainString());
    } else if (value instanceof Double d) {
      writeDouble(out, d);
    } else if (value instanceof Boolean b) {
      out.ascii(b ? "true" : "false");
    } else if (value instanceof byte[] bytes) {
      out.write('\'').write('\\').write('x').hex(bytes).write('\'');
    } else if (value instanceof BigInteger n) {
      out.ascii(n.toString());
    } else if (value instanceof Float f) {
      writeDouble(out, f.doubleValue());
    } else if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      out.decimal(((Number) value).longValue());
    } else {
      throw new IllegalArgumentException(
          "no PostgreSQL literal for a "
              + value.getClass().getName()
              + " in column "
              + column.name());
    }
  }

  /**
   * The literal {@link #write} gives for a value of a column of {@code kind} (not BYTES) that the
   * server printed as {@code text} (null for NULL): integers and decimals as printed (a numeric NaN
   * or ±Infinity quoted), text quoted at byte level, floats parsed and printed as Java does.
   */
  static void writeText(ByteBuf out, byte[] text, ValueKind kind) {
    if (text == null) {
      out.ascii("NULL");
      return;
    }
    switch (kind) {
      case INTEGER -> out.write(text);
      case DECIMAL -> {
        // numeric prints plain digits; only NaN and ±Infinity end in a letter
        byte last = text[text.length - 1];
        if (last >= '0' && last <= '9') {
          out.write(text);
        } else {
          out.write('\'').write(text).write('\'');
        }
      }
      case FLOAT -> {
        byte first = text[0];
        if ((first >= '0' && first <= '9' || first == '-' && text.length > 1 && text[1] != 'I')
            && !(text.length == 2 && first == '-' && text[1] == '0')) {
          Numbers.writeDoubleText(text, out);
        } else {
          writeDouble(out, Numbers.parseDouble(text)); // NaN, ±Infinity and -0 are quoted
        }
      }
      case BOOLEAN -> out.ascii(text[0] == 't' ? "true" : "false");
      default -> quoted(out, text);
    }
  }

  private static void quoted(ByteBuf out, byte[] s) {
    out.write('\'').writeDoubling(s, 0, s.length, (byte) '\'').write('\'');
  }

  private static void writeDouble(ByteBuf out, double d) {
    if (Double.isNaN(d)) {
      out.ascii("'NaN'");
    } else if (Double.isInfinite(d)) {
      out.ascii(d > 0 ? "'Infinity'" : "'-Infinity'");
    } else if (d == 0 && Double.doubleToRawLongBits(d) != 0) {
      // Unquoted, -0.0 would pass through numeric, which has no negative zero.
      out.ascii("'-0'");
    } else {
      out.ascii(Numbers.doubleText(d));
    }
  }

  private static void quoted(ByteBuf out, String s) {
    out.write('\'');
    int from = 0;
    int quote;
    while ((quote = s.indexOf('\'', from)) >= 0) {
      out.utf8(s, from, quote + 1).write('\'');
      from = quote + 1;
    }
    out.utf8(s, from, s.length()).write('\'');
  }
}
