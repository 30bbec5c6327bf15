package dev.dbsnap.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import dev.dbsnap.format.Format;
import org.junit.jupiter.api.Test;

class PartSizeTest {
  private static final ExportOptions CSV = ExportOptions.defaults(Format.CSV, Compression.NONE);

  @Test
  void part_sizes_from_5_MiB_to_2_GiB_are_accepted() {
    assertThat(ExportOptions.checkPartSize(5L << 20)).isEqualTo(5 << 20);
    assertThat(ExportOptions.checkPartSize(Integer.MAX_VALUE - 8))
        .isEqualTo(ExportOptions.MAX_PART_SIZE);
  }

  @Test
  void a_part_size_below_5_MiB_names_the_minimum_and_the_field() {
    assertThatThrownBy(() -> ExportOptions.checkPartSize(1_048_576))
        .isInstanceOfSatisfying(
            InvalidInputException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
              assertThat(e.field()).isEqualTo("partSize");
            })
        .hasMessage("part size 1048576 is below the 5 MiB minimum (5242880 bytes)");
  }

  @Test
  void a_part_size_above_2_GiB_names_the_maximum() {
    assertThatThrownBy(() -> ExportOptions.checkPartSize(1L << 31))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("part size 2147483648 is above the 2 GiB maximum (2147483639 bytes)");
  }

  @Test
  void with_part_size_checks_the_same_bounds_and_sets_the_frame_size() {
    assertThatThrownBy(() -> CSV.withPartSize((5L << 20) - 1))
        .hasMessageContaining("below the 5 MiB minimum");
    assertThatThrownBy(() -> CSV.withPartSize(Integer.MAX_VALUE - 7))
        .hasMessageContaining("above the 2 GiB maximum");
    ExportOptions six = CSV.withPartSize(6L << 20);
    assertThat(six.partSize()).isEqualTo(6 << 20);
    assertThat(six.frameSize()).isEqualTo(6 << 20);
  }
}
