package dev.dbsnap.export;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.security.MessageDigest;
import java.security.MessageDigestSpi;
import java.security.Security;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The JDK's SHA-256 (the SUN provider's {@code sun.security.provider.SHA2$SHA256}, which uses the
 * CPU's SHA instructions), with its state read and written by reflection: {@code int[] state} in
 * {@code SHA2}; {@code byte[] buffer}, {@code int bufOfs} and {@code long bytesProcessed} (every
 * byte given, buffered ones included) in {@code DigestBase}. Usable only when {@link #AVAILABLE}.
 */
final class JdkSha256 implements ResumableSha256 {
  private static final Access ACCESS = Access.open();

  /**
   * Whether the JDK's digest state can be reached and means what this class thinks: checked once by
   * saving and restoring a state mid-block, both ways against Bouncy Castle.
   */
  static final boolean AVAILABLE = ACCESS != null && selfCheck();

  private final MessageDigestSpi spi;

  private JdkSha256(MessageDigestSpi spi) {
    this.spi = spi;
  }

  static JdkSha256 restore(Sha256State state) {
    if (ACCESS == null) {
      throw new IllegalStateException("the JDK's SHA-256 state cannot be reached");
    }
    try {
      MessageDigestSpi spi = ACCESS.newSpi();
      int[] words = (int[]) ACCESS.state.get(spi);
      System.arraycopy(state.h(), 0, words, 0, 8);
      byte[] partial = state.partial();
      System.arraycopy(partial, 0, (byte[]) ACCESS.buffer.get(spi), 0, partial.length);
      ACCESS.bufOfs.setInt(spi, partial.length);
      ACCESS.bytesProcessed.setLong(spi, state.bytes());
      return new JdkSha256(spi);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot set the JDK's SHA-256 state", e);
    }
  }

  @Override
  public void update(byte[] b, int off, int len) {
    try {
      ACCESS.update.invokeExact((Object) spi, b, off, len);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Sha256State state() {
    try {
      int[] words = (int[]) ACCESS.state.get(spi);
      byte[] buffer = (byte[]) ACCESS.buffer.get(spi);
      int buffered = ACCESS.bufOfs.getInt(spi);
      long bytes = ACCESS.bytesProcessed.getLong(spi);
      return new Sha256State(words, bytes, Arrays.copyOf(buffer, buffered));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the JDK's SHA-256 state", e);
    }
  }

  @Override
  public String hexDigest() {
    try {
      Object copy = spi.clone();
      return HexFormat.of().formatHex((byte[]) ACCESS.digest.invokeExact(copy));
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** The reflective handles, or none when the JVM does not open the provider's package. */
  private record Access(
      Class<?> type,
      MethodHandle update,
      MethodHandle digest,
      Field state,
      Field buffer,
      Field bufOfs,
      Field bytesProcessed) {
    static Access open() {
      try {
        Object spi =
            Security.getProvider("SUN").getService("MessageDigest", "SHA-256").newInstance(null);
        Class<?> type = spi.getClass();
        Method update = method(type, "engineUpdate", byte[].class, int.class, int.class);
        Method digest = method(type, "engineDigest");
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        return new Access(
            type,
            lookup
                .unreflect(update)
                .asType(
                    MethodType.methodType(
                        void.class, Object.class, byte[].class, int.class, int.class)),
            lookup.unreflect(digest).asType(MethodType.methodType(byte[].class, Object.class)),
            field(type, "state"),
            field(type, "buffer"),
            field(type, "bufOfs"),
            field(type, "bytesProcessed"));
      } catch (Exception | LinkageError e) {
        // not opened (InaccessibleObjectException), another provider, or other internals
        return null;
      }
    }

    MessageDigestSpi newSpi() throws ReflectiveOperationException {
      var constructor = type.getDeclaredConstructor();
      constructor.setAccessible(true);
      return (MessageDigestSpi) constructor.newInstance();
    }

    private static Method method(Class<?> type, String name, Class<?>... parameters)
        throws NoSuchMethodException {
      for (Class<?> c = type; c != null; c = c.getSuperclass()) {
        try {
          Method m = c.getDeclaredMethod(name, parameters);
          m.setAccessible(true);
          return m;
        } catch (NoSuchMethodException e) {
          // declared higher up
        }
      }
      throw new NoSuchMethodException(type.getName() + "." + name);
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
      for (Class<?> c = type; c != null; c = c.getSuperclass()) {
        try {
          Field f = c.getDeclaredField(name);
          f.setAccessible(true);
          return f;
        } catch (NoSuchFieldException e) {
          // declared higher up
        }
      }
      throw new NoSuchFieldException(type.getName() + "." + name);
    }
  }

  private static boolean selfCheck() {
    try {
      byte[] data = new byte[200];
      for (int i = 0; i < data.length; i++) {
        data[i] = (byte) (i * 31 + 7);
      }
      String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
      // a state saved by the JDK after a partial block, continued by Bouncy Castle
      JdkSha256 jdk = restore(Sha256State.INITIAL);
      jdk.update(data, 0, 77);
      BouncyCastleSha256 bc = BouncyCastleSha256.restore(Sha256State.decode(jdk.exportState()));
      bc.update(data, 77, data.length - 77);
      // and one saved by Bouncy Castle, continued by the JDK
      BouncyCastleSha256 bc2 = BouncyCastleSha256.restore(Sha256State.INITIAL);
      bc2.update(data, 0, 131);
      JdkSha256 jdk2 = restore(bc2.state());
      jdk2.update(data, 131, data.length - 131);
      // and the first one, whose state was read and which was copied, goes on undisturbed
      jdk.hexDigest();
      jdk.update(data, 77, data.length - 77);
      return expected.equals(bc.hexDigest())
          && expected.equals(jdk2.hexDigest())
          && expected.equals(jdk.hexDigest());
    } catch (Exception | LinkageError e) {
      return false;
    }
  }
}
