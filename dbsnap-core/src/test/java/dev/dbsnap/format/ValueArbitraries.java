package dev.dbsnap.format;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * jqwik generators for the values a {@link dev.dbsnap.source.TableReader} hands out, biased towards
 * what breaks encoders and parsers: quotes, separators, line ends, non-ASCII text and the edges of
 * the number types. Shared by the property tests of the encoders and of the CSV reader.
 */
public final class ValueArbitraries {
  /** Pieces of text that mean something to CSV, SQL or JSON, or that readers treat specially. */
  private static final List<String> SPECIAL =
      List.of(
          ",", "\"", "\"\"", "'", "''", "\\", "\\x", "\r", "\n", "\r\n", "\n\r", "\t", " ", ";",
          "--", "/*", "*/", "$$", "\u2028", "\uFEFF", "NULL", "null", "X'00'", "\u007f");

  private ValueArbitraries() {}

  /**
   * Text as a database holds it: any sequence of Unicode scalar values (so surrogates only in valid
   * pairs, as Java strings read from a UTF-8 database have them), with NUL when {@code withNul}.
   */
  public static Arbitrary<String> text(boolean withNul) {
    Arbitrary<String> special = Arbitraries.of(SPECIAL);
    Arbitrary<String> ascii = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(4);
    Arbitrary<String> control = Arbitraries.chars().range('\u0001', '\u001f').map(String::valueOf);
    Arbitrary<String> bmp =
        Arbitraries.chars()
            .range('\u0080', '\uffff')
            .filter(c -> !Character.isSurrogate(c))
            .map(String::valueOf);
    Arbitrary<String> astral =
        Arbitraries.integers().between(0x10000, 0x10ffff).map(Character::toString);
    Arbitrary<String> piece =
        withNul
            ? Arbitraries.oneOf(special, ascii, control, bmp, astral, Arbitraries.just("\0"))
            : Arbitraries.oneOf(special, ascii, control, bmp, astral);
    return piece.list().ofMaxSize(8).map(pieces -> String.join("", pieces));
  }

  /** Any long, with the edges jqwik adds (0, ±1, MIN_VALUE, MAX_VALUE). */
  public static Arbitrary<Long> longs() {
    return Arbitraries.longs();
  }

  /**
   * Doubles across the whole range by bit pattern, plus subnormals, negative zero, NaN and the
   * infinities.
   */
  public static Arbitrary<Double> doubles() {
    Arbitrary<Double> anyBits = Arbitraries.longs().map(Double::longBitsToDouble);
    Arbitrary<Double> subnormal =
        Arbitraries.longs()
            .between(1, (1L << 52) - 1)
            .map(bits -> Double.longBitsToDouble(bits))
            .flatMap(d -> Arbitraries.of(d, -d));
    Arbitrary<Double> special =
        Arbitraries.of(
            0.0,
            -0.0,
            Double.NaN,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            Double.MIN_VALUE,
            -Double.MIN_VALUE,
            Double.MIN_NORMAL,
            Double.MAX_VALUE,
            -Double.MAX_VALUE,
            0.1,
            1e23,
            9007199254740993.0,
            1.0 / 3);
    Arbitrary<Double> ordinary = Arbitraries.doubles().between(-1e6, 1e6).ofScale(6);
    return Arbitraries.oneOf(anyBits, subnormal, special, ordinary);
  }

  /** Finite doubles only: what a column that cannot hold NaN or infinities gives. */
  public static Arbitrary<Double> finiteDoubles() {
    return doubles().filter(Double::isFinite);
  }

  /**
   * Decimals as a reader hands them out (never a negative scale): up to 60 digits, scale 0 to 30.
   */
  public static Arbitrary<BigDecimal> decimals() {
    Arbitrary<BigInteger> unscaled =
        Arbitraries.strings()
            .numeric()
            .ofMinLength(1)
            .ofMaxLength(60)
            .map(BigInteger::new)
            .flatMap(n -> Arbitraries.of(n, n.negate()));
    return unscaled.flatMap(
        n -> Arbitraries.integers().between(0, 30).map(scale -> new BigDecimal(n, scale)));
  }

  /** Byte strings, empty included, and one holding every byte value. */
  public static Arbitrary<byte[]> bytes() {
    byte[] all = new byte[256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }
    return Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMaxSize(64), Arbitraries.just(all));
  }
}
