package dev.dbsnap.job;

import dev.dbsnap.export.Manifest;
import java.time.Instant;
import java.util.List;

/**
 * A job as the control database holds it, for status documents.
 *
 * @param id the job id ({@code exp_} + 26 time-ordered base32 characters)
 * @param source the source's name
 * @param state where it stands
 * @param request what was asked for
 * @param createdAt when it was submitted
 * @param startedAt when a worker first started it, or null
 * @param updatedAt the last change (state, progress, checkpoint)
 * @param finishedAt when it reached a terminal state, or null
 * @param progress the last progress a worker reported (zeros before it starts)
 * @param manifest the manifest once succeeded, else null
 * @param error why it failed, or null
 * @param attempts how many times a worker has claimed it
 * @param cancelRequested whether a cancel was asked for and not yet carried out
 * @param webhook the delivery of its callback, or null when it has none
 */
public record Job(
    String id,
    String source,
    JobState state,
    ExportRequest request,
    Instant createdAt,
    Instant startedAt,
    Instant updatedAt,
    Instant finishedAt,
    Progress progress,
    Manifest manifest,
    Error error,
    int attempts,
    boolean cancelRequested,
    Webhook webhook) {

  /**
   * @param currentTable the table being read, or null
   * @param rowEstimate the database's estimate of all rows, or -1
   * @param rowsPerSecond rows per second over the current run
   */
  public record Progress(
      int tablesDone,
      int tablesTotal,
      String currentTable,
      long rows,
      long bytes,
      int parts,
      long rowEstimate,
      double rowsPerSecond) {
    public static final Progress NONE = new Progress(0, 0, null, 0, 0, 0, -1, 0);
  }

  /**
   * @param code the error code, lower-case ({@code source_unavailable}); @param message one
   *     sentence a person can act on
   */
  public record Error(String code, String message) {}

  /**
   * @param url the callback URL
   * @param eventId the stable event id ({@code msg_...}) sent in every attempt, or null before the
   *     terminal state
   * @param delivered whether a 2xx answer was received
   * @param attempts every attempt, oldest first
   */
  public record Webhook(String url, String eventId, boolean delivered, List<Attempt> attempts) {
    public Webhook {
      attempts = List.copyOf(attempts);
    }
  }

  /**
   * @param status the HTTP status received, or 0 when none (refused, timed out); @param error what
   *     went wrong, or null
   */
  public record Attempt(int attempt, Instant at, int status, String error) {}
}
