package dev.dbsnap.job;

import java.util.Locale;

/**
 * Where a job stands: {@code queued -> running -> succeeded | failed | cancelled}, later {@code
 * expired}.
 */
public enum JobState {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED,
  EXPIRED;

  /** True once the job will not run again. */
  public boolean terminal() {
    return this != QUEUED && this != RUNNING;
  }

  /** The name in the API and the control database: lower-case. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a wire name; IllegalArgumentException quoting it when unknown. */
  public static JobState fromWire(String s) {
    for (JobState state : values()) {
      if (state.wire().equals(s)) {
        return state;
      }
    }
    throw new IllegalArgumentException("unknown job state '" + s + "'");
  }
}
