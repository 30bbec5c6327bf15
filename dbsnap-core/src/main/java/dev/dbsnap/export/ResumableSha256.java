package dev.dbsnap.export;

/**
 * A SHA-256 computation whose state can be saved in a checkpoint and continued in another process
 * (DESIGN 4).
 *
 * <p>Design note: the JDK's SHA-256 uses the CPU's SHA instructions (about eight times Bouncy
 * Castle's pure-Java digest here, which is where a dump spent half its time), but offers no way to
 * save its state. {@link JdkSha256} reaches the state by reflection, which works only when the JVM
 * opens {@code java.base/sun.security.provider} to dbsnap ({@code --add-opens}, or {@code
 * Add-Opens} in the CLI jar's manifest). Whether it works is found out once, when this class is
 * loaded, by saving and restoring a state in both directions against Bouncy Castle and checking the
 * hash; otherwise, silently, {@link BouncyCastleSha256} is used. Both read and write the same
 * {@link Sha256State}, so a checkpoint written by either resumes in either.
 *
 * <p>Not thread-safe: one thread at a time, with a happens-before edge between threads (PartWriter
 * hands it over through its hashing executor).
 */
sealed interface ResumableSha256 permits JdkSha256, BouncyCastleSha256 {
  /** A new computation, on the JDK's digest when its state can be reached. */
  static ResumableSha256 create() {
    return restore(Sha256State.INITIAL);
  }

  /**
   * Continues the computation saved by {@link #exportState()} (or, from older checkpoints, by
   * Bouncy Castle's {@code getEncodedState()}, base64).
   *
   * @throws IllegalArgumentException when {@code state} is neither form
   */
  static ResumableSha256 restore(String state) {
    return restore(Sha256State.decode(state));
  }

  static ResumableSha256 restore(Sha256State state) {
    return JdkSha256.AVAILABLE ? JdkSha256.restore(state) : BouncyCastleSha256.restore(state);
  }

  /** Which implementation {@link #create()} gives: {@code "jdk"} or {@code "bouncycastle"}. */
  static String implementation() {
    return JdkSha256.AVAILABLE ? "jdk" : "bouncycastle";
  }

  void update(byte[] b, int off, int len);

  /** The state after the bytes so far. */
  Sha256State state();

  /** The state after the bytes so far, in its text form ({@link Sha256State#encode()}). */
  default String exportState() {
    return state().encode();
  }

  /** The SHA-256 of the bytes so far, in lower-case hex; the computation can go on. */
  String hexDigest();
}
