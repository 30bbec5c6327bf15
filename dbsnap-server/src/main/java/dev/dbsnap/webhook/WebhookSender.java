package dev.dbsnap.webhook;

import dev.dbsnap.InvalidInputException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes one signed delivery attempt of a webhook event: a POST of the JSON body with the Standard
 * Webhooks headers, never following redirects. Retrying is the caller's business. Safe to share
 * between threads; {@link #close()} it when done.
 */
final class WebhookSender implements AutoCloseable {
  /** Sent as the User-Agent of every attempt. */
  public static final String USER_AGENT = "dbsnap-webhooks/1";

  private static final int MAX_RESPONSE_BYTES = 4096;
  private static final int MAX_ERROR_CHARS = 200;

  private final WebhookSigner signer;
  private final CallbackGuard guard;
  private final Duration timeout;
  private final Clock clock;
  private final ExecutorService executor;
  private final HttpClient client;
  private volatile boolean closed;

  /**
   * A sender whose attempts each take at most about {@code timeout} (to connect, and again for the
   * whole exchange).
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  WebhookSender(WebhookSigner signer, CallbackGuard guard, Duration timeout, Clock clock) {
    this.signer = Objects.requireNonNull(signer, "signer");
    this.guard = Objects.requireNonNull(guard, "guard");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("webhook timeout " + timeout + " is not positive");
    }
    this.timeout = timeout;
    AtomicInteger threads = new AtomicInteger();
    this.executor =
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "dbsnap-webhooks-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(timeout)
            .executor(executor)
            .build();
  }

  /**
   * Makes one attempt to deliver {@code body} as event {@code eventId} to {@code url}, after
   * checking the URL's host again against the guard. Never throws for a refused host, an I/O error
   * or a timeout: those come back as a result with status 0. An interrupt ends the attempt and
   * stays set.
   *
   * @throws IllegalArgumentException if {@code eventId} is blank or not a valid header value
   */
  DeliveryResult send(URI url, String eventId, byte[] body) {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(body, "body");
    if (closed) {
      return new DeliveryResult(0, "sender is closed");
    }
    try {
      guard.resolveAllowed(url);
    } catch (InvalidInputException e) {
      return new DeliveryResult(0, "refused: " + e.getMessage());
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(url)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("User-Agent", USER_AGENT)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    signer.headers(eventId, clock.instant().getEpochSecond(), body).forEach(request::header);
    CompletableFuture<HttpResponse<Void>> exchange;
    try {
      exchange = client.sendAsync(request.build(), info -> new CappedDiscard(MAX_RESPONSE_BYTES));
    } catch (IllegalArgumentException | RejectedExecutionException e) {
      // A close() racing this attempt, or a URL the client will not take although the guard did.
      return new DeliveryResult(0, shorten("cannot send: " + e.getMessage()));
    }
    try {
      // The request timeout ends at the response headers; this one also bounds a slow body.
      HttpResponse<Void> response = exchange.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      int status = response.statusCode();
      return new DeliveryResult(
          status, status >= 300 && status < 400 ? "redirect not followed" : null);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      return new DeliveryResult(0, "timed out after " + describe(timeout));
    } catch (InterruptedException e) {
      exchange.cancel(true);
      Thread.currentThread().interrupt();
      return new DeliveryResult(0, "interrupted");
    } catch (ExecutionException e) {
      return new DeliveryResult(0, reason(e.getCause()));
    }
  }

  /** Stops the sender's threads; attempts made afterwards fail with "sender is closed". */
  @Override
  public void close() {
    closed = true;
    executor.shutdownNow();
  }

  private String reason(Throwable failure) {
    if (failure instanceof HttpConnectTimeoutException) {
      return "connect timed out after " + describe(timeout);
    }
    if (failure instanceof HttpTimeoutException) {
      return "timed out after " + describe(timeout);
    }
    if (failure instanceof ConnectException) {
      return shorten(
          "connection failed" + (failure.getMessage() == null ? "" : ": " + failure.getMessage()));
    }
    if (failure instanceof IOException && failure.getMessage() != null) {
      return shorten("I/O error: " + failure.getMessage());
    }
    return shorten(
        failure.getClass().getSimpleName()
            + (failure.getMessage() == null ? "" : ": " + failure.getMessage()));
  }

  private static String describe(Duration duration) {
    return duration.toMillis() % 1000 == 0
        ? duration.toSeconds() + " s"
        : duration.toMillis() + " ms";
  }

  private static String shorten(String text) {
    return text.length() <= MAX_ERROR_CHARS ? text : text.substring(0, MAX_ERROR_CHARS - 3) + "...";
  }

  /**
   * Reads at most {@code limit} bytes of a response body and drops them, then stops reading: a
   * receiver's answer is never needed, and an endless one must not hold a worker.
   */
  private static final class CappedDiscard implements HttpResponse.BodySubscriber<Void> {
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final long limit;
    private long seen;
    private Flow.Subscription subscription;

    CappedDiscard(long limit) {
      this.limit = limit;
    }

    @Override
    public CompletionStage<Void> getBody() {
      return done;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      for (ByteBuffer item : items) {
        seen += item.remaining();
      }
      if (seen >= limit) {
        subscription.cancel();
        done.complete(null);
      } else {
        subscription.request(1);
      }
    }

    @Override
    public void onError(Throwable failure) {
      done.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
      done.complete(null);
    }
  }
}
