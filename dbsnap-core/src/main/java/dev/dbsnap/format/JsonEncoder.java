package dev.dbsnap.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.source.Column;
import dev.dbsnap.source.TableSchema;
import dev.dbsnap.source.ValueKind;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;

/**
 * JSON Lines (one object per row) or one JSON array per table. Numbers a double cannot hold exactly
 * (integers beyond 2^53, decimals of more than 15 digits) and NaN/Infinity are strings; BLOBs are
 * base64 strings; jsonb values are embedded as JSON, json values (whose exact text matters) as
 * strings. SQL NULL in a json or jsonb column is written by leaving the column's key out of the
 * row, so that a JSON {@code null} value is {@code null}. A value of a tagged column ({@link
 * ColumnTags}) is a one-key object naming its storage class: {@code {"integer":42}}, {@code
 * {"real":1.5}}, {@code {"text":"abc"}}, {@code {"blob":"<base64>"}}; NULL stays null.
 */
final class JsonEncoder implements RowEncoder {
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
          // the shortest digits on every JDK, as Numbers.doubleText
          .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
          .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
          .build();
  private final boolean array;
  private final Sink sink = new Sink();
  private final JsonGenerator generator;
  private String[] names;
  private boolean[] embedJson;
  private boolean[] omitNull;
  private boolean[] tagged;
  private final ColumnTags tags;
  private boolean needComma;

  JsonEncoder(boolean array, ColumnTags tags) {
    this.array = array;
    this.tags = tags;
    try {
      generator = FACTORY.createGenerator(sink);
      generator.setRootValueSeparator(null);
    } catch (IOException e) {
      // the sink is memory: only a bug in the encoder makes the generator fail
      throw new DbsnapException(ErrorCode.INTERNAL, "cannot start a JSON generator", e);
    }
  }

  /** Lets the generator write straight into whichever buffer the current call passed. */
  private static final class Sink extends OutputStream {
    ByteBuf target;

    @Override
    public void write(int b) {
      target.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      target.write(b, off, len);
    }
  }

  @Override
  public void tableStart(TableSchema table, ByteBuf out) {
    List<Column> columns = table.columns();
    names = new String[columns.size()];
    embedJson = new boolean[columns.size()];
    omitNull = new boolean[columns.size()];
    tagged = new boolean[columns.size()];
    java.util.Set<String> taggedNames = tags.of(table);
    for (int i = 0; i < names.length; i++) {
      names[i] = columns.get(i).name();
      omitNull[i] = omitsSqlNull(columns.get(i));
      embedJson[i] = omitNull[i] && columns.get(i).type().equals("jsonb");
      tagged[i] = taggedNames.contains(names[i]);
    }
    if (array) {
      out.write('[');
    }
  }

  @Override
  public void frameStart(TableSchema table, boolean firstRowOfTable) {
    if (names == null) {
      tableStart(table, new ByteBuf(16)); // resumed mid-table: only the column metadata is needed
    }
    needComma = !firstRowOfTable;
  }

  @Override
  public void row(Object[] values, ByteBuf out) {
    if (array) {
      out.write(needComma ? ',' : '\n');
      if (needComma) {
        out.write('\n');
      }
      needComma = true;
    }
    sink.target = out;
    try {
      JsonGenerator g = generator;
      g.writeStartObject();
      for (int i = 0; i < values.length; i++) {
        Object v = values[i];
        if (v == null && omitNull[i]) {
          continue;
        }
        g.writeFieldName(names[i]);
        if (tagged[i] && v != null) {
          g.writeStartObject();
          g.writeFieldName(ColumnTags.tag(v));
          value(g, v, false);
          g.writeEndObject();
        } else {
          value(g, v, embedJson[i]);
        }
      }
      g.writeEndObject();
      g.flush();
    } catch (IOException e) {
      // the sink is memory: only a bug in the encoder makes the generator fail
      throw new DbsnapException(
          ErrorCode.INTERNAL, "encoding a row as JSON failed: " + e.getMessage(), e);
    }
    if (!array) {
      out.write('\n');
    }
  }

  /**
   * Whether SQL NULL in {@code column} is written by leaving its key out (json and jsonb, whose
   * JSON {@code null} is a value).
   */
  static boolean omitsSqlNull(Column column) {
    return column.kind() == ValueKind.JSON;
  }

  private static void value(JsonGenerator g, Object v, boolean embedJson) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String s) {
      if (embedJson) {
        g.writeRawValue(s);
      } else {
        g.writeString(s);
      }
    } else if (v instanceof Long l) {
      if (Numbers.safeInteger(l)) {
        g.writeNumber(l);
      } else {
        g.writeString(Long.toString(l));
      }
    } else if (v instanceof Double d) {
      if (Double.isFinite(d)) {
        g.writeNumber(d);
      } else {
        g.writeString(Numbers.doubleText(d));
      }
    } else if (v instanceof BigDecimal d) {
      if (Numbers.safeDecimal(d)) {
        g.writeNumber(d);
      } else {
        g.writeString(d.toPlainString());
      }
    } else if (v instanceof BigInteger b) {
      if (Numbers.safeInteger(b)) {
        g.writeNumber(b);
      } else {
        g.writeString(b.toString());
      }
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof byte[] b) {
      g.writeBinary(b);
    } else {
      g.writeString(v.toString());
    }
  }

  @Override
  public void tableEnd(ByteBuf out) {
    if (array) {
      out.write('\n').write(']').write('\n');
    }
    names = null;
  }
}
