package dev.dbsnap.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * An HTTP/1.1 proxy on a free loopback port in front of an {@link S3ProxyServer}, which passes S3
 * requests through unchanged (so their AWS signatures still verify) and injects the faults a test
 * asks for: error answers to part uploads, connection resets, a multipart completion that takes
 * effect but is answered 500, and delays.
 *
 * <p>Each client connection carries one request: the front forwards it with {@code Connection:
 * close}, and the client opens a new connection for the next one. Only path-style requests are
 * recognised.
 *
 * <p>Whether a request is faulted is drawn from a {@link Random} seeded with the front's seed, the
 * request's identity (operation, path, part number) and how many times that identity was seen
 * before, so a run makes the same choices whatever order concurrent uploads arrive in.
 *
 * <p>Thread-safe: faults can be changed and counters read from any thread while requests flow.
 * Every thread is a daemon; {@link #close()} stops them all.
 */
public final class FaultyS3Front implements AutoCloseable {
  /** The S3 operations the front recognises from a request line. */
  public enum Op {
    PUT_OBJECT,
    UPLOAD_PART,
    CREATE_MULTIPART_UPLOAD,
    COMPLETE_MULTIPART_UPLOAD,
    ABORT_MULTIPART_UPLOAD,
    LIST_PARTS,
    LIST_MULTIPART_UPLOADS,
    LIST_OBJECTS,
    GET_OBJECT,
    HEAD_OBJECT,
    HEAD_BUCKET,
    DELETE_OBJECT,
    /** Anything else, such as bucket operations. */
    OTHER
  }

  /** The faults the front injects, counted by {@link #faults(Fault)}. */
  public enum Fault {
    /** Answered with an error status and an S3 error body, without forwarding. */
    ERROR_STATUS,
    /** Reset (TCP RST) after the head was read, before anything was forwarded. */
    RESET_BEFORE_FORWARDING,
    /**
     * Reset partway through the request body (after a 100 Continue when the client waits for one),
     * without forwarding anything: s3proxy's file store would keep a part cut off mid-body as a
     * file without metadata, and fail every later listing of the bucket's uploads.
     */
    RESET_MID_BODY,
    /** A request without a body forwarded; reset once the upstream began to answer. */
    RESET_AFTER_FORWARDING,
    /** A multipart completion forwarded and carried out, then answered 500 to the client. */
    COMPLETE_THEN_FAIL,
    /** Held back for a while before being forwarded. */
    HANG
  }

  /** The seed of {@link #start(S3ProxyServer)}. */
  public static final long DEFAULT_SEED = 20240611L;

  private final ServerSocket listener;
  private final InetSocketAddress upstream;
  private final URI endpoint;
  private final long seed;
  private final ExecutorService threads;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Map<String, Integer> attempts = new ConcurrentHashMap<>();
  private final AtomicLongArray requests = new AtomicLongArray(Op.values().length);
  private final AtomicLongArray faults = new AtomicLongArray(Fault.values().length);
  private final AtomicInteger completionsToFail = new AtomicInteger();
  private final Map<Op, Duration> hangs = new ConcurrentHashMap<>();
  private volatile PartFailures partFailures = PartFailures.NONE;
  private volatile Resets resets = Resets.NONE;

  private record PartFailures(double fraction, int[] statuses) {
    static final PartFailures NONE = new PartFailures(0, new int[0]);
  }

  private record Resets(double fraction, Set<Op> ops) {
    static final Resets NONE = new Resets(0, Set.of());
  }

  /**
   * What the front does with one request.
   *
   * @param fault the fault to inject, or null to forward the request as it is
   * @param status the error status, for {@link Fault#ERROR_STATUS}
   * @param resetAfter body bytes to read before the reset, for {@link Fault#RESET_MID_BODY}
   * @param hang how long to hold the request first, zero for not at all
   */
  record Decision(Fault fault, int status, long resetAfter, Duration hang) {}

  private FaultyS3Front(InetSocketAddress upstream, long seed) throws IOException {
    this.upstream = upstream;
    this.seed = seed;
    this.listener = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    this.endpoint = URI.create("http://127.0.0.1:" + listener.getLocalPort());
    AtomicInteger names = new AtomicInteger();
    this.threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "faulty-s3-front-" + names.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts a front for {@code upstream} with {@link #DEFAULT_SEED}. */
  public static FaultyS3Front start(S3ProxyServer upstream) {
    return start(upstream, DEFAULT_SEED);
  }

  /**
   * Starts a front on a free port of 127.0.0.1 that forwards to {@code upstream}, injecting no
   * fault until told to.
   *
   * @param seed seeds every choice of which request to fault
   * @throws IllegalArgumentException when the upstream is not on a loopback address
   * @throws UncheckedIOException when no port can be opened
   */
  public static FaultyS3Front start(S3ProxyServer upstream, long seed) {
    URI target = upstream.endpoint();
    InetSocketAddress address = new InetSocketAddress(target.getHost(), target.getPort());
    if (address.isUnresolved() || !address.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException("upstream " + target + " is not on a loopback address");
    }
    try {
      FaultyS3Front front = new FaultyS3Front(address, seed);
      front.threads.execute(front::accept);
      return front;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a port for the S3 front", e);
    }
  }

  /** The front's URL, {@code http://127.0.0.1:port}, to use as the S3 endpoint. */
  public URI endpoint() {
    return endpoint;
  }

  /**
   * Answers {@code fraction} of later UploadPart requests with one of {@code statuses} (chosen at
   * random) and an S3 error body ({@code SlowDown} for 503, {@code InternalError} otherwise),
   * without forwarding them. Replaces any earlier setting; a fraction of 0 stops it.
   *
   * @throws IllegalArgumentException for a fraction outside 0..1, or a status outside 500..599 or
   *     none when the fraction is positive
   */
  public void failUploadParts(double fraction, int... statuses) {
    checkFraction(fraction);
    if (fraction > 0 && statuses.length == 0) {
      throw new IllegalArgumentException("failing " + fraction + " of parts needs a status");
    }
    for (int status : statuses) {
      if (status < 500 || status > 599) {
        throw new IllegalArgumentException("status " + status + " is not a server error");
      }
    }
    partFailures = new PartFailures(fraction, statuses.clone());
  }

  /**
   * Resets the client's connection (TCP RST) for {@code fraction} of later requests of the given
   * operations, half the time before forwarding anything, half the time later: partway through the
   * request body, or for a request without a body once the upstream has begun to answer (so the
   * request took effect but the client never learns it). Replaces any earlier setting; a fraction
   * of 0 stops it.
   *
   * @throws IllegalArgumentException for a fraction outside 0..1, or no operation when the fraction
   *     is positive
   */
  public void resetConnections(double fraction, Op... ops) {
    checkFraction(fraction);
    if (fraction > 0 && ops.length == 0) {
      throw new IllegalArgumentException("resetting " + fraction + " of requests needs an op");
    }
    resets =
        new Resets(
            fraction, ops.length == 0 ? Set.of() : Set.copyOf(EnumSet.copyOf(Arrays.asList(ops))));
  }

  /**
   * Lets the next {@code times} CompleteMultipartUpload requests reach the upstream and complete
   * there, reads the upstream's whole answer, then answers the client 500 InternalError; a retry of
   * the client then meets NoSuchUpload. Replaces any count left from an earlier call.
   *
   * @throws IllegalArgumentException for a negative count
   */
  public void completeThenFail(int times) {
    if (times < 0) {
      throw new IllegalArgumentException("cannot fail " + times + " completions");
    }
    completionsToFail.set(times);
  }

  /**
   * Holds every later request of {@code op} for {@code delay} before forwarding it (or faulting
   * it); {@link Duration#ZERO} stops it. {@link #close()} ends a wait early.
   *
   * @throws IllegalArgumentException for a negative delay
   */
  public void hang(Op op, Duration delay) {
    if (delay.isNegative()) {
      throw new IllegalArgumentException("cannot hang " + op + " for " + delay);
    }
    if (delay.isZero()) {
      hangs.remove(op);
    } else {
      hangs.put(op, delay);
    }
  }

  /** Stops injecting every fault; counters keep their values. */
  public void clearFaults() {
    partFailures = PartFailures.NONE;
    resets = Resets.NONE;
    completionsToFail.set(0);
    hangs.clear();
  }

  /** Requests of {@code op} received so far, faulted or not. */
  public long requests(Op op) {
    return requests.get(op.ordinal());
  }

  /** Times {@code fault} was injected so far. */
  public long faults(Fault fault) {
    return faults.get(fault.ordinal());
  }

  /** Stops accepting, closes every connection and ends every thread of the front. */
  @Override
  public void close() {
    closed.countDown();
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    open.forEach(FaultyS3Front::closeQuietly);
    threads.shutdownNow();
  }

  /** Counts of requests and faults, for assertion messages. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("FaultyS3Front[").append(endpoint).append(", requests {");
    String sep = "";
    for (Op op : Op.values()) {
      if (requests(op) > 0) {
        s.append(sep).append(op).append('=').append(requests(op));
        sep = ", ";
      }
    }
    s.append("}, faults {");
    sep = "";
    for (Fault fault : Fault.values()) {
      if (faults(fault) > 0) {
        s.append(sep).append(fault).append('=').append(faults(fault));
        sep = ", ";
      }
    }
    return s.append("}]").toString();
  }

  private static void checkFraction(double fraction) {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException("fraction " + fraction + " is outside 0..1");
    }
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        register(client);
        threads.execute(new FrontConnection(this, client));
      } catch (IOException | java.util.concurrent.RejectedExecutionException e) {
        // closed, or a connection lost while being accepted: the loop condition decides
      }
    }
  }

  /** Counts {@code request}, and draws and counts what to do with it. */
  Decision decide(S3Request request) {
    requests.incrementAndGet(request.op().ordinal());
    int attempt = attempts.merge(request.identity(), 1, Integer::sum);
    Random random = new Random(mix(seed, request.identity(), attempt));
    // Every draw is made whatever the settings, so that one setting does not shift another's.
    double resetDraw = random.nextDouble();
    boolean resetEarly = random.nextBoolean();
    double failDraw = random.nextDouble();
    int statusDraw = random.nextInt(Integer.MAX_VALUE);
    double offsetDraw = random.nextDouble();

    Duration hang = hangs.getOrDefault(request.op(), Duration.ZERO);
    if (!hang.isZero()) {
      count(Fault.HANG);
    }
    Op op = request.op();
    if (op == Op.COMPLETE_MULTIPART_UPLOAD
        && completionsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return new Decision(count(Fault.COMPLETE_THEN_FAIL), 0, -1, hang);
    }
    Resets r = resets;
    if (r.ops().contains(op) && resetDraw < r.fraction()) {
      if (resetEarly) {
        return new Decision(count(Fault.RESET_BEFORE_FORWARDING), 0, -1, hang);
      }
      if (!request.hasBody()) {
        return new Decision(count(Fault.RESET_AFTER_FORWARDING), 0, -1, hang);
      }
      // Inside the body, never after its last byte; a chunked body, perhaps short, after one byte.
      long length = request.contentLength() > 0 ? request.contentLength() : 2;
      long offset = length < 2 ? 0 : 1 + (long) (offsetDraw * (length - 1));
      return new Decision(count(Fault.RESET_MID_BODY), 0, offset, hang);
    }
    PartFailures f = partFailures;
    if (op == Op.UPLOAD_PART && failDraw < f.fraction()) {
      int status = f.statuses()[statusDraw % f.statuses().length];
      return new Decision(count(Fault.ERROR_STATUS), status, -1, hang);
    }
    return new Decision(null, 0, -1, hang);
  }

  private Fault count(Fault fault) {
    faults.incrementAndGet(fault.ordinal());
    return fault;
  }

  /**
   * A 64-bit FNV-1a of the identity and the attempt, with the seed, finished by MurmurHash3's
   * mixer: Random's first draws from seeds that differ in few bits would be alike.
   */
  private static long mix(long seed, String identity, int attempt) {
    long h = 0xcbf29ce484222325L ^ seed;
    for (int i = 0; i < identity.length(); i++) {
      h = (h ^ identity.charAt(i)) * 0x100000001b3L;
    }
    h = (h ^ attempt) * 0x100000001b3L;
    h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
    h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  /** Waits {@code delay}, or less when the front closes. */
  void pause(Duration delay) {
    try {
      closed.await(delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Opens a connection to the upstream, closed with the front. */
  Socket connectUpstream() throws IOException {
    Socket socket = new Socket();
    register(socket);
    socket.connect(upstream, 5_000);
    return socket;
  }

  ExecutorService threads() {
    return threads;
  }

  private void register(Socket socket) {
    open.add(socket);
    if (closed.getCount() == 0) {
      closeQuietly(socket);
    }
  }

  void release(Socket socket) {
    if (socket != null) {
      closeQuietly(socket);
      open.remove(socket);
    }
  }

  static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing to do about a socket that does not close
    }
  }

  /** Closes {@code socket} with a TCP RST instead of a FIN. */
  static void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
    } catch (IOException e) {
      // already closed: the peer has seen its end anyway
    }
    closeQuietly(socket);
  }
}
