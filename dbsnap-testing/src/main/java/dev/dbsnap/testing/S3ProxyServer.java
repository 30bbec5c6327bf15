package dev.dbsnap.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * An S3-compatible server inside the test JVM: s3proxy on a free loopback port, storing buckets in
 * a temporary directory and checking AWS signatures. One instance is shared by the whole JVM,
 * started on first use and stopped when the JVM exits.
 *
 * <p>s3proxy, like AWS S3, refuses to complete a multipart upload whose parts other than the last
 * are smaller than 5 MiB.
 */
public final class S3ProxyServer {
  public static final String ACCESS_KEY = "access";
  public static final String SECRET_KEY = "secret";
  public static final String REGION = "us-east-1";

  private static S3ProxyServer shared;

  private final Path directory;
  private final BlobStoreContext context;
  private final S3Proxy proxy;
  private final URI endpoint;
  private final String bucket;
  private final AtomicInteger buckets = new AtomicInteger();

  private S3ProxyServer() throws Exception {
    directory = Files.createTempDirectory("dbsnap-s3proxy");
    Properties properties = new Properties();
    properties.setProperty("jclouds.filesystem.basedir", directory.toString());
    // The local blob store ignores these, but jclouds insists on having them.
    context =
        ContextBuilder.newBuilder("filesystem-nio2")
            .credentials(ACCESS_KEY, SECRET_KEY)
            .overrides(properties)
            .build(BlobStoreContext.class);
    proxy =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    bucket = newBucket();
  }

  /** The JVM's server, started on first use. */
  public static synchronized S3ProxyServer shared() {
    if (shared == null) {
      try {
        shared = new S3ProxyServer();
      } catch (Exception e) {
        throw new IllegalStateException("cannot start s3proxy", e);
      }
      S3ProxyServer server = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "s3proxy-stop"));
    }
    return shared;
  }

  /** The server's URL, {@code http://127.0.0.1:port}. */
  public URI endpoint() {
    return endpoint;
  }

  /** A bucket created at start, shared by everyone using this server. */
  public String bucket() {
    return bucket;
  }

  /** Creates an empty bucket with a name no one else uses and returns the name. */
  public String newBucket() {
    String name = "dbsnap-test-" + ProcessHandle.current().pid() + "-" + buckets.incrementAndGet();
    blobStore().createContainerInLocation(null, name);
    return name;
  }

  /** The server's storage, to inspect or arrange state behind the S3 API. */
  public BlobStore blobStore() {
    return context.getBlobStore();
  }

  private void stop() {
    try {
      proxy.stop();
    } catch (Exception e) {
      // The JVM is exiting; a server that does not stop cleanly harms no one.
    }
    context.close();
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
