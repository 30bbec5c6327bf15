package dev.dbsnap.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Job status documents written for people: one job as labelled lines, several as a table. */
final class JobText {
  private JobText() {}

  static void status(PrintStream out, JsonNode doc) {
    JsonNode r = doc.path("request");
    JsonNode p = doc.path("progress");
    line(out, "id", doc.path("id").asText());
    line(out, "source", doc.path("source").asText());
    line(
        out,
        "status",
        doc.path("status").asText()
            + (doc.path("cancelRequested").asBoolean() ? " (cancel requested)" : ""));
    String what = r.path("format").asText() + ", " + r.path("compression").asText();
    if (!r.path("tables").isEmpty()) {
      what += ", tables " + join(r.path("tables"));
    }
    if (!r.path("excludeTables").isEmpty()) {
      what += ", without " + join(r.path("excludeTables"));
    }
    line(out, "export", what);
    line(out, "created", text(doc.path("createdAt")));
    line(out, "started", text(doc.path("startedAt")));
    line(out, "updated", text(doc.path("updatedAt")));
    line(out, "finished", text(doc.path("finishedAt")));
    line(out, "attempts", doc.path("attempts").asText());
    StringBuilder progress =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%d/%d tables",
                p.path("tablesDone").asInt(),
                p.path("tablesTotal").asInt()));
    if (p.path("currentTable").isTextual()) {
      progress.append(", now ").append(p.path("currentTable").asText());
    }
    progress.append(String.format(Locale.ROOT, ", %,d rows", p.path("rows").asLong()));
    if (p.path("rowEstimate").asLong(-1) > 0) {
      progress.append(String.format(Locale.ROOT, " of about %,d", p.path("rowEstimate").asLong()));
    }
    progress.append(
        String.format(
            Locale.ROOT,
            ", %s in %d parts, %,.1f rows/s",
            Common.humanBytes(p.path("bytes").asLong()),
            p.path("parts").asLong(),
            p.path("rowsPerSecond").asDouble()));
    line(out, "progress", progress.toString());
    if (doc.has("error")) {
      line(
          out,
          "error",
          doc.path("error").path("code").asText()
              + ": "
              + doc.path("error").path("message").asText());
    }
    String label = "objects";
    for (JsonNode o : doc.path("objects")) {
      line(
          out,
          label,
          String.format(
              Locale.ROOT,
              "%s  %s  sha256 %s",
              o.path("key").asText(),
              Common.humanBytes(o.path("bytes").asLong()),
              o.path("sha256").asText()));
      label = "";
    }
    if (doc.has("webhook")) {
      JsonNode w = doc.path("webhook");
      JsonNode attempts = w.path("attempts");
      String last = "";
      if (!attempts.isEmpty()) {
        JsonNode a = attempts.get(attempts.size() - 1);
        last =
            ", last: "
                + (a.path("status").isNull() || a.path("status").isMissingNode()
                    ? ""
                    : "HTTP " + a.path("status").asText())
                + (a.path("error").isTextual() ? " " + a.path("error").asText() : "")
                + " at "
                + text(a.path("at"));
      }
      line(
          out,
          "webhook",
          w.path("url").asText()
              + ": "
              + (w.path("delivered").asBoolean() ? "delivered" : "not delivered")
              + " after "
              + attempts.size()
              + " attempt"
              + (attempts.size() == 1 ? "" : "s")
              + last);
    }
  }

  /** The exports as a table: id, source, status, rows, bytes, created. */
  static void table(PrintStream out, List<JsonNode> exports) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ID", "SOURCE", "STATUS", "ROWS", "BYTES", "CREATED"});
    for (JsonNode e : exports) {
      JsonNode p = e.path("progress");
      rows.add(
          new String[] {
            e.path("id").asText(),
            e.path("source").asText(),
            e.path("status").asText(),
            String.format(Locale.ROOT, "%,d", p.path("rows").asLong()),
            Common.humanBytes(p.path("bytes").asLong()),
            text(e.path("createdAt"))
          });
    }
    int[] width = new int[6];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        boolean numeric = i == 3 || i == 4;
        String cell = numeric ? " ".repeat(width[i] - row[i].length()) + row[i] : row[i];
        sb.append(cell);
        if (i < row.length - 1) {
          sb.append(numeric ? "" : " ".repeat(width[i] - row[i].length())).append("  ");
        }
      }
      out.println(sb);
    }
  }

  private static void line(PrintStream out, String label, String value) {
    out.printf("%-9s %s%n", label, value);
  }

  private static String text(JsonNode n) {
    return n.isTextual() ? n.asText() : "-";
  }

  private static String join(JsonNode array) {
    List<String> items = new ArrayList<>();
    array.forEach(n -> items.add(n.asText()));
    return String.join(",", items);
  }
}
