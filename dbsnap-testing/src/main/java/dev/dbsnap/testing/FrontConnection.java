package dev.dbsnap.testing;

import dev.dbsnap.testing.FaultyS3Front.Decision;
import dev.dbsnap.testing.FaultyS3Front.Fault;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client connection of a {@link FaultyS3Front}, carrying one request: reads its head, then
 * answers it with a fault or forwards it, pumping the request body upstream on a second thread
 * while this one relays the answer.
 */
final class FrontConnection implements Runnable {
  private static final int BUFFER = 64 * 1024;

  /**
   * How long a client that was answered may keep sending before its connection is closed: closing a
   * socket with unread input sends a reset, which could destroy the answer before it is read.
   */
  private static final int LINGER_MILLIS = 5_000;

  private static final AtomicLong REQUEST_IDS = new AtomicLong();
  private static final byte[] CONTINUE =
      "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

  private final FaultyS3Front front;
  private final Socket client;

  FrontConnection(FaultyS3Front front, Socket client) {
    this.front = front;
    this.client = client;
  }

  @Override
  public void run() {
    Socket upstream = null;
    try {
      InputStream in = new BufferedInputStream(client.getInputStream(), BUFFER);
      S3Request request = S3Request.read(in);
      if (request == null) {
        return;
      }
      Decision decision = front.decide(request);
      if (!decision.hang().isZero()) {
        front.pause(decision.hang());
      }
      Fault fault = decision.fault();
      if (fault == Fault.RESET_BEFORE_FORWARDING) {
        FaultyS3Front.reset(client);
        return;
      }
      if (fault == Fault.ERROR_STATUS) {
        if (!request.expectsContinue() && request.contentLength() > 0) {
          // The client sends its whole body before it reads an answer.
          discard(in, request.contentLength());
        }
        answerAndLinger(in, errorResponse(decision.status(), request.path()));
        return;
      }
      if (fault == Fault.RESET_MID_BODY) {
        if (request.expectsContinue()) {
          client.getOutputStream().write(CONTINUE);
        }
        discard(in, decision.resetAfter());
        FaultyS3Front.reset(client);
        return;
      }
      upstream = front.connectUpstream();
      upstream.getOutputStream().write(request.headClosingConnection());
      Socket up = upstream;
      Future<?> requestPump = front.threads().submit(() -> pumpRequest(in, up));
      InputStream fromUpstream = upstream.getInputStream();
      if (fault == Fault.RESET_AFTER_FORWARDING) {
        S3Request.readHead(fromUpstream); // the upstream has done the work once it answers
        FaultyS3Front.reset(client);
        return;
      }
      if (fault == Fault.COMPLETE_THEN_FAIL) {
        fromUpstream.transferTo(OutputStream.nullOutputStream());
        client.getOutputStream().write(errorResponse(500, request.path()));
      } else {
        fromUpstream.transferTo(client.getOutputStream());
      }
      client.shutdownOutput();
      awaitQuietly(requestPump);
    } catch (IOException e) {
      // The client or the upstream went away, or the front closed: no one is left to answer.
    } finally {
      front.release(client);
      front.release(upstream);
    }
  }

  /**
   * Copies the request body from the client to the upstream until the client ends. Keeps reading
   * (and dropping) the client's bytes when the upstream stops taking them.
   */
  private static void pumpRequest(InputStream in, Socket upstream) {
    byte[] buffer = new byte[BUFFER];
    boolean upstreamOpen = true;
    try {
      OutputStream out = upstream.getOutputStream();
      for (int n; (n = in.read(buffer)) >= 0; ) {
        if (upstreamOpen) {
          try {
            out.write(buffer, 0, n);
          } catch (IOException e) {
            upstreamOpen = false;
          }
        }
      }
      if (upstreamOpen) {
        upstream.shutdownOutput();
      }
    } catch (IOException e) {
      // the client went away, or the connection was closed under this thread
    }
  }

  /** Writes {@code response}, ends the output, and drops what the client still sends. */
  private void answerAndLinger(InputStream in, byte[] response) throws IOException {
    client.getOutputStream().write(response);
    client.shutdownOutput();
    client.setSoTimeout(LINGER_MILLIS);
    in.transferTo(OutputStream.nullOutputStream());
  }

  private static void discard(InputStream in, long bytes) throws IOException {
    long left = bytes;
    while (left > 0) {
      long skipped = in.skip(left);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new IOException("the body ended " + left + " bytes early");
        }
        skipped = 1;
      }
      left -= skipped;
    }
  }

  private static void awaitQuietly(Future<?> task) {
    try {
      task.get(LINGER_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // the sockets are closed next, which ends the task
    }
  }

  /** An S3 error answer that closes the connection. */
  static byte[] errorResponse(int status, String resource) {
    String code = status == 503 ? "SlowDown" : "InternalError";
    String message =
        status == 503
            ? "Please reduce your request rate."
            : "We encountered an internal error. Please try again.";
    String requestId = "FAULT" + REQUEST_IDS.incrementAndGet();
    String body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
            + code
            + "</Code><Message>"
            + message
            + "</Message><Resource>"
            + resource.replace("&", "&amp;").replace("<", "&lt;")
            + "</Resource><RequestId>"
            + requestId
            + "</RequestId></Error>";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + reason(status)
            + "\r\nContent-Type: application/xml\r\nContent-Length: "
            + bytes.length
            + "\r\nx-amz-request-id: "
            + requestId
            + "\r\nConnection: close\r\n\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
    byte[] response = new byte[headBytes.length + bytes.length];
    System.arraycopy(headBytes, 0, response, 0, headBytes.length);
    System.arraycopy(bytes, 0, response, headBytes.length, bytes.length);
    return response;
  }

  private static String reason(int status) {
    return switch (status) {
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "Server Error";
    };
  }
}
