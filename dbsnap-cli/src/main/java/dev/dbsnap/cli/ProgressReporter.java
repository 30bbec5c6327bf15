package dev.dbsnap.cli;

import dev.dbsnap.export.ExportListener;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Shows progress: a bar redrawn in place on a terminal (rows, bytes, rate, current table), plain
 * log lines every ten seconds otherwise. Thread-safe.
 */
final class ProgressReporter {
  private final PrintStream out;
  private final boolean terminal;
  private final boolean quiet;
  private long startNanos = System.nanoTime();
  private long baseBytes;
  private long lastDraw;
  private boolean drawn;

  ProgressReporter(PrintStream out, boolean quiet) {
    this.out = out;
    this.terminal = System.console() != null;
    this.quiet = quiet;
  }

  synchronized void update(ExportListener.Progress p) {
    update(p, false);
  }

  /**
   * Shows {@code p}; unless {@code force}, only when the last line or redraw is old enough. A
   * watcher of a remote job forces a line when the table changes, so that a log shows each table.
   */
  synchronized void update(ExportListener.Progress p, boolean force) {
    if (quiet) {
      return;
    }
    long now = System.nanoTime();
    long interval = terminal ? 200_000_000L : 10_000_000_000L;
    if (!force && now - lastDraw < interval) {
      return;
    }
    lastDraw = now;
    double seconds = Math.max(0.001, (now - startNanos) / 1e9);
    String rate = Common.humanBytes((long) (Math.max(0, p.bytes() - baseBytes) / seconds)) + "/s";
    String rows = String.format(Locale.ROOT, "%,d rows", p.rows());
    if (terminal) {
      String bar = "";
      if (p.rowEstimate() > 0) {
        int pct = (int) Math.min(100, p.rows() * 100 / p.rowEstimate());
        int filled = pct / 5;
        bar = "[" + "=".repeat(filled) + " ".repeat(20 - filled) + "] " + pct + "%  ";
      } else {
        bar = "[" + (p.tablesDone()) + "/" + p.tablesTotal() + " tables]  ";
      }
      String line =
          bar + p.table() + "  " + rows + "  " + Common.humanBytes(p.bytes()) + "  " + rate;
      out.print("\r" + line + "\u001b[K");
      drawn = true;
    } else {
      out.println(
          "dbsnap: "
              + p.table()
              + ": "
              + rows
              + " read, "
              + Common.humanBytes(p.bytes())
              + " written, "
              + rate
              + " ("
              + p.tablesDone()
              + "/"
              + p.tablesTotal()
              + " tables done)");
    }
    out.flush();
  }

  synchronized void finish() {
    if (drawn) {
      out.print("\r\u001b[K");
      out.flush();
    }
  }

  void rowsRestored(long rows) {
    update(new ExportListener.Progress("restore", 0, 0, rows, 0, -1));
  }

  /**
   * Measures the rate from now and {@code bytes} on: for a job that was already running when
   * watching began, whose earlier bytes would otherwise count as written in no time.
   */
  synchronized void measureRateFrom(long bytes) {
    startNanos = System.nanoTime();
    baseBytes = bytes;
  }

  synchronized double elapsedSeconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
