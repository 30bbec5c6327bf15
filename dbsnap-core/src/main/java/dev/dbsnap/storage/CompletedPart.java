package dev.dbsnap.storage;

/**
 * A part that was uploaded.
 *
 * @param number the part number, from 1
 * @param etag the ETag the store returned
 * @param size the part's length in bytes
 */
public record CompletedPart(int number, String etag, long size) {
  public CompletedPart {
    if (number < 1 || number > 10_000) {
      throw new IllegalArgumentException("part number " + number + " is outside 1..10000");
    }
  }
}
