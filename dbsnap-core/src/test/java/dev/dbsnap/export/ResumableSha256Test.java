package dev.dbsnap.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ResumableSha256Test {
  private static final byte[] DATA = new byte[(1 << 20) + 4096];

  static {
    new Random(42).nextBytes(DATA);
  }

  private static final Function<Sha256State, ResumableSha256> JDK = JdkSha256::restore;
  private static final Function<Sha256State, ResumableSha256> BC = BouncyCastleSha256::restore;

  static List<Arguments> pairsAndOffsets() {
    List<Arguments> args = new ArrayList<>();
    int[] offsets = {0, 1, 3, 4, 55, 56, 63, 64, 65, 127, 128, 1000, (1 << 20) + 7};
    String[][] pairs = {{"jdk", "jdk"}, {"jdk", "bc"}, {"bc", "jdk"}, {"bc", "bc"}};
    for (String[] pair : pairs) {
      for (int offset : offsets) {
        args.add(Arguments.of(pair[0], pair[1], offset));
      }
    }
    return args;
  }

  private static Function<Sha256State, ResumableSha256> impl(String name) {
    return name.equals("jdk") ? JDK : BC;
  }

  @Test
  void the_tests_run_on_the_jdk_digest_because_surefire_opens_its_package() {
    assertThat(JdkSha256.AVAILABLE)
        .as("the build passes --add-opens java.base/sun.security.provider=ALL-UNNAMED")
        .isTrue();
    assertThat(ResumableSha256.implementation()).isEqualTo("jdk");
    assertThat(ResumableSha256.create()).isInstanceOf(JdkSha256.class);
  }

  @ParameterizedTest(name = "{0} -> {1} after {2} bytes")
  @MethodSource("pairsAndOffsets")
  void a_state_saved_mid_object_continues_to_the_one_pass_hash(String from, String to, int offset) {
    ResumableSha256 first = impl(from).apply(Sha256State.INITIAL);
    first.update(DATA, 0, offset);
    String saved = first.exportState();
    assertThat(saved).startsWith("v2:");

    ResumableSha256 second = impl(to).apply(Sha256State.decode(saved));
    assertThat(second.exportState()).isEqualTo(saved);
    second.update(DATA, offset, DATA.length - offset);
    assertThat(second.hexDigest()).isEqualTo(Sha256Resume.sha256sum(DATA));
  }

  @Test
  void the_digest_of_a_copy_leaves_the_computation_going() {
    for (var impl : List.of(JDK, BC)) {
      ResumableSha256 d = impl.apply(Sha256State.INITIAL);
      d.update(DATA, 0, 100);
      assertThat(d.hexDigest()).isEqualTo(Sha256Resume.sha256sum(DATA, 100));
      d.update(DATA, 100, 900);
      assertThat(d.hexDigest()).isEqualTo(Sha256Resume.sha256sum(DATA, 1000));
    }
  }

  @Test
  void both_implementations_save_the_same_state() {
    for (int offset : new int[] {0, 1, 63, 64, 65, 200_003}) {
      ResumableSha256 jdk = JDK.apply(Sha256State.INITIAL);
      ResumableSha256 bc = BC.apply(Sha256State.INITIAL);
      jdk.update(DATA, 0, offset);
      bc.update(DATA, 0, offset);
      assertThat(jdk.exportState()).as("after %d bytes", offset).isEqualTo(bc.exportState());
    }
  }

  @Test
  void a_checkpoint_of_the_old_form_bouncy_castles_encoded_state_resumes() {
    for (int offset : new int[] {0, 1, 5, 63, 64, 65, 70_001}) {
      SHA256Digest old = new SHA256Digest();
      old.update(DATA, 0, offset);
      byte[] encoded = old.getEncodedState();
      String checkpointed = Base64.getEncoder().encodeToString(encoded);

      assertThat(Sha256State.decode(checkpointed).toBouncyCastle())
          .as("the layout converts both ways unchanged, after %d bytes", offset)
          .isEqualTo(encoded);
      for (var impl : List.of(JDK, BC)) {
        ResumableSha256 resumed = impl.apply(Sha256State.decode(checkpointed));
        resumed.update(DATA, offset, DATA.length - offset);
        assertThat(resumed.hexDigest()).isEqualTo(Sha256Resume.sha256sum(DATA));
      }
      ResumableSha256 viaFactory = ResumableSha256.restore(checkpointed);
      viaFactory.update(DATA, offset, DATA.length - offset);
      assertThat(viaFactory.hexDigest()).isEqualTo(Sha256Resume.sha256sum(DATA));
    }
  }

  @Test
  void a_malformed_state_is_refused_with_its_size() {
    String wrongPartial =
        "v2:" + Base64.getEncoder().encodeToString(new byte[40 + 3]); // 0 bytes, 3 buffered
    assertThatThrownBy(() -> Sha256State.decode(wrongPartial))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 bytes holds a partial block of 3");
    assertThatThrownBy(() -> Sha256State.decode("v2:AAAA"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too short");
    assertThatThrownBy(() -> Sha256State.decode(Base64.getEncoder().encodeToString(new byte[9])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too short");
  }

  @Test
  void a_new_jvm_resumes_a_state_saved_by_this_one(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data.bin");
    Files.write(data, DATA);
    for (int offset : new int[] {63, (1 << 20) + 7}) {
      ResumableSha256 d = ResumableSha256.create();
      d.update(DATA, 0, offset);
      Path state = dir.resolve("state-" + offset);
      Files.writeString(state, d.exportState());

      Sha256Resume.Output out =
          Sha256Resume.run(
              true, "digest", state.toString(), data.toString(), String.valueOf(offset));
      assertThat(out.implementation()).isEqualTo("jdk");
      assertThat(out.sha256()).containsExactly(Sha256Resume.sha256sum(data));
    }
  }

  @Test
  void a_jvm_without_the_opened_package_falls_back_silently_to_bouncy_castle(@TempDir Path dir)
      throws Exception {
    Path data = dir.resolve("data.bin");
    Files.write(data, DATA);
    ResumableSha256 d = ResumableSha256.create(); // the JDK's, in this JVM
    d.update(DATA, 0, 65);
    Path state = dir.resolve("state");
    Files.writeString(state, d.exportState());

    Sha256Resume.Output out =
        Sha256Resume.run(false, "digest", state.toString(), data.toString(), "65");
    assertThat(out.implementation()).isEqualTo("bouncycastle");
    assertThat(out.sha256()).containsExactly(Sha256Resume.sha256sum(data));
    assertThat(out.stderr()).as("nothing is logged or printed").isEmpty();
  }
}
