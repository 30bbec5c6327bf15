package dev.dbsnap.job;

/**
 * Settings tests change and a server never does.
 *
 * @param partSize part and frame size of every export in bytes, ignoring the request's (and the 5
 *     MiB minimum, which only S3 completion enforces), or 0 to use the request's
 */
record Tuning(int partSize) {
  static final Tuning DEFAULT = new Tuning(0);
}
