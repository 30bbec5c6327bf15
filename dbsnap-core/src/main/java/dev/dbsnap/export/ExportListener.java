package dev.dbsnap.export;

/**
 * Hears about an export's checkpoints and progress, and may ask it to stop. Methods may be called
 * from several threads, never at once; they should return quickly (a slow listener slows the
 * export). An exception thrown by a listener fails the export.
 */
public interface ExportListener {
  /** A checkpoint after an uploaded part or a finished object; store it to resume after a crash. */
  default void checkpoint(Checkpoint checkpoint) {}

  /** Progress, a few times a second at most. */
  default void progress(Progress progress) {}

  /**
   * Polled between rows and while waiting for uploads; returning true cancels the export, which
   * then fails with CANCELLED. The default never cancels.
   */
  default boolean cancelRequested() {
    return false;
  }

  /** A transient failure that is retried from the last checkpoint after {@code retry.delay()}. */
  default void retrying(Retry retry) {}

  ExportListener NONE = new ExportListener() {};

  /**
   * A retry about to happen.
   *
   * @param attempt the attempt that failed, from 1
   * @param delay how long the export waits before the next
   * @param progressed whether the failed attempt uploaded something new
   * @param cause why it failed
   */
  record Retry(int attempt, java.time.Duration delay, boolean progressed, RuntimeException cause) {}

  /**
   * A snapshot of progress.
   *
   * @param table the table being read, or null
   * @param tablesDone tables finished
   * @param tablesTotal tables in the export
   * @param rows rows read so far
   * @param bytes bytes written to the store so far
   * @param rowEstimate the database's estimate of all rows, or -1
   */
  record Progress(
      String table, int tablesDone, int tablesTotal, long rows, long bytes, long rowEstimate) {}
}
