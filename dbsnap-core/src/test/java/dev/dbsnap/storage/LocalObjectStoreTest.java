package dev.dbsnap.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalObjectStoreTest extends ObjectStoreContractTest {
  @TempDir Path root;

  @Override
  protected ObjectStore newStore() {
    return LocalObjectStore.open(root.resolve("store"));
  }

  @Test
  void a_key_cannot_escape_the_root_directory() {
    ObjectStore store = newStore();
    assertThatThrownBy(() -> store.put("../outside", new byte[1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("../outside");
    assertThat(Files.exists(root.resolve("outside"))).isFalse();
  }

  @Test
  void parts_in_progress_are_not_listed_as_objects() {
    ObjectStore store = newStore();
    MultipartUpload upload = store.startMultipart("a/b.bin", MIN_PART);
    upload.uploadPart(1, new byte[] {1, 2, 3}, 3);
    assertThat(store.list("")).isEmpty();
    upload.abort();
  }
}
