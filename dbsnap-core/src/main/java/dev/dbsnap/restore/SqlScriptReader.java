package dev.dbsnap.restore;

import java.io.IOException;
import java.io.Reader;

/**
 * Splits an SQL script into statements at semicolons outside quotes, identifiers, comments and
 * dollar-quoted bodies. Streaming: holds one statement at a time. Not thread-safe.
 */
final class SqlScriptReader {
  private final Reader in;
  private int pushback = -2;

  SqlScriptReader(Reader in) {
    this.in = in;
  }

  private int read() throws IOException {
    if (pushback != -2) {
      int c = pushback;
      pushback = -2;
      return c;
    }
    return in.read();
  }

  /** The next statement without its semicolon, or null at the end. Comments are kept inside. */
  String next() throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = read()) != -1) {
      if (c == ';') {
        if (insideTriggerBody(sb)) {
          sb.append(';');
          continue;
        }
        String s = sb.toString().strip();
        if (!s.isEmpty() && !onlyComments(s)) {
          return s;
        }
        sb.setLength(0);
        continue;
      }
      sb.append((char) c);
      if (c == '\'' || c == '"' || c == '`') {
        copyQuoted(sb, c);
      } else if (c == '-') {
        int d = read();
        if (d == '-') {
          sb.append('-');
          while ((d = read()) != -1 && d != '\n') {
            sb.append((char) d);
          }
          if (d == '\n') {
            sb.append('\n');
          }
        } else {
          pushback = d;
        }
      } else if (c == '/') {
        int d = read();
        if (d == '*') {
          sb.append('*');
          int prev = 0;
          while ((d = read()) != -1) {
            sb.append((char) d);
            if (prev == '*' && d == '/') {
              break;
            }
            prev = d;
          }
        } else {
          pushback = d;
        }
      } else if (c == '$') {
        copyDollarQuoted(sb);
      }
    }
    String s = sb.toString().strip();
    return s.isEmpty() || onlyComments(s) ? null : s;
  }

  private void copyQuoted(StringBuilder sb, int quote) throws IOException {
    int c;
    while ((c = read()) != -1) {
      sb.append((char) c);
      if (c == quote) {
        int d = read();
        if (d == quote) {
          sb.append((char) d); // doubled quote inside
        } else {
          pushback = d;
          return;
        }
      }
    }
  }

  /** After a '$': a tag like $body$ or $$ opens a body that runs to the same tag. */
  private void copyDollarQuoted(StringBuilder sb) throws IOException {
    StringBuilder tag = new StringBuilder("$");
    int c;
    while ((c = read()) != -1) {
      if (c == '$') {
        tag.append('$');
        sb.append('$');
        break;
      }
      if (!Character.isLetterOrDigit(c) && c != '_'
          || (tag.length() == 1 && Character.isDigit(c))) {
        pushback = c; // a parameter like $1 or a lone dollar
        return;
      }
      tag.append((char) c);
      sb.append((char) c);
    }
    if (c == -1) {
      return;
    }
    String end = tag.toString();
    int start = sb.length();
    while ((c = read()) != -1) {
      sb.append((char) c);
      if (c == '$'
          && sb.length() - start >= end.length()
          && sb.substring(sb.length() - end.length()).equals(end)) {
        return;
      }
    }
  }

  private static final java.util.regex.Pattern TRIGGER =
      java.util.regex.Pattern.compile(
          "(?is)^(\\s*--[^\n]*\n)*\\s*CREATE\\s+(TEMP\\s+|TEMPORARY\\s+)?TRIGGER\\b.*");
  private static final java.util.regex.Pattern ENDS_WITH_END =
      java.util.regex.Pattern.compile("(?is).*\\bEND\\s*$");

  /** An SQLite trigger's body holds statements ending in ';' up to its END. */
  private static boolean insideTriggerBody(StringBuilder sb) {
    return TRIGGER.matcher(sb).matches() && !ENDS_WITH_END.matcher(sb).matches();
  }

  private static boolean onlyComments(String s) {
    for (String line : s.split("\n")) {
      String t = line.strip();
      if (!t.isEmpty() && !t.startsWith("--")) {
        return false;
      }
    }
    return true;
  }
}
