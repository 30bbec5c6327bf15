package dev.dbsnap.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The sample databases in {@code shared/datasets/}, a folder beside the repository (never copied
 * into it). Found by walking up from the working directory, so it works from the repository root
 * and from any module.
 */
public final class Datasets {
  private Datasets() {}

  /**
   * The file {@code relative} under {@code shared/datasets/}, or empty when the folder is absent.
   */
  public static Optional<Path> find(String relative) {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("datasets").resolve(relative);
      if (Files.isRegularFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
