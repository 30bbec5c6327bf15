package dev.dbsnap.restore;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads RFC 4180 records, keeping what generic CSV libraries lose: an unquoted empty field is NULL
 * (null here) and a quoted empty field is the empty string. Streaming; not thread-safe.
 */
final class CsvRecordReader {
  private final Reader in;
  private final char[] buf = new char[64 * 1024];
  private int pos;
  private int len;

  CsvRecordReader(Reader in) {
    this.in = in;
  }

  private int read() throws IOException {
    if (pos == len) {
      len = in.read(buf, 0, buf.length);
      pos = 0;
      if (len <= 0) {
        len = 0;
        return -1;
      }
    }
    return buf[pos++];
  }

  /** The next record's fields, or null at the end of input. */
  List<String> next() throws IOException {
    int c = read();
    if (c == -1) {
      return null;
    }
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    while (true) {
      if (c == '"') {
        field.setLength(0);
        while (true) {
          c = read();
          if (c == -1) {
            throw new IOException("unterminated quoted field");
          }
          if (c == '"') {
            c = read();
            if (c != '"') {
              break;
            }
          }
          field.append((char) c);
        }
        fields.add(field.toString());
      } else {
        field.setLength(0);
        while (c != ',' && c != '\r' && c != '\n' && c != -1) {
          field.append((char) c);
          c = read();
        }
        fields.add(field.length() == 0 ? null : field.toString());
      }
      if (c == ',') {
        c = read();
        continue;
      }
      if (c == '\r') {
        c = read();
        if (c != '\n' && c != -1) {
          pos--; // a lone CR ends the record too
        }
      }
      return fields;
    }
  }
}
