package dev.dbsnap.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dbsnap.source.Column;
import dev.dbsnap.source.ValueKind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PostgresLiteralsTest {
  private static final Column TEXT = new Column("c", "text", ValueKind.TEXT, true, null, false);
  private static final Column FLOAT =
      new Column("c", "double precision", ValueKind.FLOAT, true, null, false);
  private static final Column DECIMAL =
      new Column("c", "numeric", ValueKind.DECIMAL, true, null, false);

  private static String literal(Object value, Column column) {
    ByteBuf out = new ByteBuf(16);
    PostgresLiterals.INSTANCE.write(out, value, column);
    return new String(out.toByteArray(), StandardCharsets.UTF_8);
  }

  @Test
  void null_is_the_keyword() {
    assertThat(literal(null, TEXT)).isEqualTo("NULL");
  }

  @Test
  void integers_are_bare_digits() {
    assertThat(literal(Long.MIN_VALUE, TEXT)).isEqualTo("-9223372036854775808");
    assertThat(literal(7L, TEXT)).isEqualTo("7");
    assertThat(literal(new BigInteger("18446744073709551616"), TEXT))
        .isEqualTo("18446744073709551616");
  }

  @Test
  void decimals_keep_their_scale_and_never_use_exponents() {
    assertThat(literal(new BigDecimal("123.40"), DECIMAL)).isEqualTo("123.40");
    assertThat(literal(new BigDecimal("1E-21"), DECIMAL)).isEqualTo("0.000000000000000000001");
    assertThat(literal(new BigDecimal("1E+3"), DECIMAL)).isEqualTo("1000");
    assertThat(literal(Double.NaN, DECIMAL)).isEqualTo("'NaN'");
  }

  @Test
  void doubles_round_trip_and_special_values_are_quoted() {
    assertThat(literal(0.1, FLOAT)).isEqualTo("0.1");
    assertThat(literal(1e300, FLOAT)).isEqualTo("1.0E300");
    assertThat(literal(-0.0, FLOAT)).isEqualTo("'-0'");
    assertThat(literal(Double.NaN, FLOAT)).isEqualTo("'NaN'");
    assertThat(literal(Double.POSITIVE_INFINITY, FLOAT)).isEqualTo("'Infinity'");
    assertThat(literal(Double.NEGATIVE_INFINITY, FLOAT)).isEqualTo("'-Infinity'");
  }

  @Test
  void booleans_are_keywords() {
    assertThat(literal(true, TEXT)).isEqualTo("true");
    assertThat(literal(false, TEXT)).isEqualTo("false");
  }

  @Test
  void bytes_are_quoted_hex() {
    assertThat(literal(new byte[] {0, 10, (byte) 0xff}, TEXT)).isEqualTo("'\\x000aff'");
    assertThat(literal(new byte[0], TEXT)).isEqualTo("'\\x'");
  }

  @Test
  void strings_double_quotes_only_and_keep_everything_else_literal() {
    assertThat(literal("it's ''x''", TEXT)).isEqualTo("'it''s ''''x'''''");
    assertThat(literal("back\\slash\nline\ttab", TEXT)).isEqualTo("'back\\slash\nline\ttab'");
    assertThat(literal("😀 中文 é", TEXT)).isEqualTo("'😀 中文 é'");
    assertThat(literal("", TEXT)).isEqualTo("''");
    assertThat(literal("'", TEXT)).isEqualTo("''''");
  }

  @Test
  void other_and_json_values_are_quoted_text() {
    Column json = new Column("j", "jsonb", ValueKind.JSON, true, null, false);
    Column array = new Column("a", "text[]", ValueKind.OTHER, true, null, false);
    assertThat(literal("{\"a\": \"it's\"}", json)).isEqualTo("'{\"a\": \"it''s\"}'");
    assertThat(literal("{\"a\\\"b\",NULL}", array)).isEqualTo("'{\"a\\\"b\",NULL}'");
  }
}
