package dev.dbsnap;

import java.util.List;

/**
 * What {@link Dbsnap#collectGarbage} removed, and what it left on purpose.
 *
 * @param removed one line per upload aborted or leftover file deleted
 * @param kept one line per unfinished export (its checkpoint and upload stay for a resume) and per
 *     upload younger than the cutoff
 */
public record Garbage(List<String> removed, List<String> kept) {
  public Garbage {
    removed = List.copyOf(removed);
    kept = List.copyOf(kept);
  }
}
