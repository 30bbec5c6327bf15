package dev.dbsnap.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.source.Source;
import dev.dbsnap.storage.LocalObjectStore;
import dev.dbsnap.testing.SqliteSamples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export crashed in the middle of an object resumes to a manifest whose SHA-256 is that of the
 * object's bytes: in this JVM (the JDK's digest), in a new JVM without the opened package (Bouncy
 * Castle's), and from a checkpoint of the old form.
 */
class DigestResumeExportTest {
  @TempDir static Path dir;
  static Path db;
  static Path crashed;
  static String checkpointJson;

  @BeforeAll
  static void crashAnExportMidObject() throws Exception {
    db = SqliteSamples.create(dir.resolve("src.db"), 20_000);
    crashed = dir.resolve("crashed");
    CrashingStore store = new CrashingStore(LocalObjectStore.open(crashed), 3);
    AtomicReference<String> saved = new AtomicReference<>();
    ExportListener keep =
        new ExportListener() {
          @Override
          public void checkpoint(Checkpoint checkpoint) {
            saved.set(checkpoint.toJson());
          }
        };
    assertThatThrownBy(
            () ->
                new Exporter(
                        Source.parse(db.toString(), null, null),
                        store,
                        "exports",
                        "x1",
                        Sha256Resume.options().withConcurrency(1),
                        keep,
                        Clock.systemUTC(),
                        () -> false)
                    .run(null))
        .isInstanceOf(RuntimeException.class);
    checkpointJson = saved.get();
    Checkpoint.Current current = Checkpoint.fromJson(checkpointJson).current();
    assertThat(current).as("the crash came in the middle of an object").isNotNull();
    assertThat(current.bytes()).isPositive();
    assertThat(current.digestState()).startsWith("v2:");
  }

  @Test
  void resumed_in_this_jvm_the_manifest_has_the_objects_sha256sum(@TempDir Path out)
      throws Exception {
    Path root = copyOfCrashed(out);
    Manifest m = resume(root, checkpointJson);
    assertThat(m.resumed()).isTrue();
    for (Manifest.ObjectEntry o : m.objects()) {
      assertThat(o.sha256()).as(o.key()).isEqualTo(Sha256Resume.sha256sum(object(root, o.key())));
    }
  }

  @Test
  void resumed_in_a_jvm_without_the_opened_package_it_falls_back_and_matches(@TempDir Path out)
      throws Exception {
    Path root = copyOfCrashed(out);
    Path checkpoint = out.resolve("checkpoint.json");
    Files.writeString(checkpoint, checkpointJson);
    Sha256Resume.Output result =
        Sha256Resume.run(false, "resume", db.toString(), root.toString(), checkpoint.toString());
    assertThat(result.implementation()).isEqualTo("bouncycastle");
    assertThat(result.sha256()).isNotEmpty();
    for (String line : result.sha256()) {
      String[] keyAndHash = line.split(" ");
      assertThat(keyAndHash[1])
          .as(keyAndHash[0])
          .isEqualTo(Sha256Resume.sha256sum(object(root, keyAndHash[0])));
    }
  }

  @Test
  void a_checkpoint_holding_bouncy_castles_encoded_state_still_resumes(@TempDir Path out)
      throws Exception {
    Path root = copyOfCrashed(out);
    String state = Checkpoint.fromJson(checkpointJson).current().digestState();
    String old = Base64.getEncoder().encodeToString(Sha256State.decode(state).toBouncyCastle());
    Manifest m = resume(root, checkpointJson.replace(state, old));
    for (Manifest.ObjectEntry o : m.objects()) {
      assertThat(o.sha256()).as(o.key()).isEqualTo(Sha256Resume.sha256sum(object(root, o.key())));
    }
  }

  private static Manifest resume(Path root, String checkpoint) {
    return new Exporter(
            Source.parse(db.toString(), null, null),
            LocalObjectStore.open(root),
            "exports",
            "x1",
            Sha256Resume.options(),
            ExportListener.NONE,
            Clock.systemUTC(),
            () -> false)
        .run(Checkpoint.fromJson(checkpoint));
  }

  private static Path object(Path root, String key) {
    Path file = root.resolve("exports").resolve("x1").resolve(key);
    assertThat(file).isRegularFile();
    return file;
  }

  /** The crashed store as it was, so that each test resumes the same crash. */
  private static Path copyOfCrashed(Path out) throws Exception {
    Path root = out.resolve("store");
    List<Path> paths;
    try (Stream<Path> s = Files.walk(crashed)) {
      paths = new ArrayList<>(s.sorted(Comparator.naturalOrder()).toList());
    }
    for (Path p : paths) {
      Path to = root.resolve(crashed.relativize(p).toString());
      if (Files.isDirectory(p)) {
        Files.createDirectories(to);
      } else {
        Files.copy(p, to);
      }
    }
    return root;
  }
}
