package dev.dbsnap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {
  @Test
  void part_size_6MB_is_6_MiB() {
    assertThat(ByteSize.parse("6MB")).isEqualTo(6_291_456L);
  }

  @ParameterizedTest
  @CsvSource({
    "8388608, 8388608",
    "0, 0",
    "512B, 512",
    "512 b, 512",
    "64KiB, 65536",
    "64kib, 65536",
    "64K, 65536",
    "64k, 65536",
    "64kB, 65536",
    "64KB, 65536",
    "64Ki, 65536",
    "8MiB, 8388608",
    "8 MiB, 8388608",
    "8M, 8388608",
    "8MB, 8388608",
    "8mb, 8388608",
    "64MB, 67108864",
    "1GiB, 1073741824",
    "1G, 1073741824",
    "1GB, 1073741824",
    "' 2gb ', 2147483648"
  })
  void every_unit_is_binary_in_any_case(String text, long bytes) {
    assertThat(ByteSize.parse(text)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "lots", "8 M B", "-1", "+8MiB", "8.5MiB", "8TiB", "MiB", "8iB"})
  void a_text_that_is_not_a_size_is_an_invalid_argument_quoting_it(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessage("'" + text + "' is not a size: write e.g. 8388608, 8MiB or 8MB");
  }

  @ParameterizedTest
  @ValueSource(strings = {"9223372036854775808", "8589934592GiB", "99999999999999999999GiB"})
  void a_size_beyond_a_long_is_an_invalid_argument_not_a_wrapped_number(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text))
        .isInstanceOfSatisfying(
            DbsnapException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessage("'" + text + "' is too large a size");
  }

  @Test
  void a_long_text_is_quoted_abbreviated() {
    String text = "x".repeat(500);
    assertThatThrownBy(() -> ByteSize.parse(text))
        .hasMessageStartingWith("'" + "x".repeat(100) + "...'")
        .message()
        .hasSizeLessThan(200);
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "1000, 1000",
    "1024, 1KiB",
    "1536, 1536",
    "1572864, 1536KiB",
    "8388608, 8MiB"
  })
  void format_writes_the_largest_exact_unit(long bytes, String text) {
    assertThat(ByteSize.format(bytes)).isEqualTo(text);
  }

  @Property
  void format_reads_back_as_the_same_count(@ForAll @LongRange(min = 0) long bytes) {
    assertThat(ByteSize.parse(ByteSize.format(bytes))).isEqualTo(bytes);
  }
}
