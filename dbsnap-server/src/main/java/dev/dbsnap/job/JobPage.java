package dev.dbsnap.job;

import java.util.List;

/** One page of jobs, newest first, and the cursor of the next page (null on the last). */
public record JobPage(List<Job> jobs, String nextCursor) {
  public JobPage {
    jobs = List.copyOf(jobs);
  }
}
