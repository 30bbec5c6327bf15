package dev.dbsnap.http;

import static dev.dbsnap.http.ApiFixture.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broken HTTP framing is the client's fault: a bogus chunk, a body cut short, headers over the
 * limit get a 4xx problem document and at most one line in the log, never a 5xx nor a stack trace.
 * Sent on a raw socket, since no HTTP client sends such requests.
 */
class ApiFramingTest {
  private static final String CREATE =
      "POST /v1/sources/demo/exports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
          + ADMIN
          + "\r\nContent-Type: application/json\r\n";
  private static final String CHUNKED = CREATE + "Transfer-Encoding: chunked\r\n\r\n";

  @TempDir static Path dir;
  static ApiFixture api;

  @BeforeAll
  static void start() throws Exception {
    api = ApiFixture.start(dir, 0);
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  /** A response read off the socket, and what the server logged while answering it. */
  record Exchange(int status, String head, String body, String log) {}

  @Test
  void a_bogus_chunk_size_is_a_400_problem_logged_in_one_line() throws Exception {
    Exchange x = exchange(CHUNKED, "zz\r\n{}\r\n0\r\n\r\n");

    assertMalformedRequest(x, 400);
    assertThat(x.log()).containsOnlyOnce("answering 400: the request body could not be read");
  }

  @Test
  void a_body_shorter_than_its_content_length_is_a_400_problem_logged_in_one_line()
      throws Exception {
    Exchange x = exchange(CREATE + "Content-Length: 100\r\n\r\n", "{\"format\":");

    assertMalformedRequest(x, 400);
    assertThat(x.log()).containsOnlyOnce("answering 400: the request body could not be read");
  }

  @Test
  void a_chunked_body_the_client_cut_off_is_a_400_problem() throws Exception {
    assertMalformedRequest(exchange(CHUNKED, "10\r\n{\"for"), 400);
  }

  @Test
  void headers_over_the_limit_are_a_431_problem() throws Exception {
    Exchange x = exchange(CREATE + "X-Padding: " + "a".repeat(20_000) + "\r\n\r\n", "");

    assertMalformedRequest(x, 431);
    assertThat(Problems.title(431)).isEqualTo("Request Header Fields Too Large");
  }

  @Test
  void no_broken_framing_gets_a_5xx_or_a_stack_trace() throws Exception {
    for (String[] request :
        List.of(
            new String[] {CHUNKED, "FFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n"},
            new String[] {CHUNKED, "2\r\n{}XX\r\n0\r\n\r\n"},
            new String[] {CHUNKED, "2\r\n{}\r\n0\r\n\u0001bad trailer\r\n\r\n"},
            new String[] {CHUNKED, "2;" + "x".repeat(100_000) + "\r\n{}\r\n0\r\n\r\n"},
            new String[] {CREATE + "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n", "{}"},
            new String[] {CREATE + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n", "{} "},
            new String[] {CREATE + "Content-Length: 99999999999999999999\r\n\r\n", "{}"},
            new String[] {CREATE + "Transfer-Encoding: gzip\r\n\r\n", "{}"},
            new String[] {CREATE + "X-Folded: a\r\n b\r\n\r\n", "{}"},
            new String[] {CREATE + "X-Padding: a\r\n".repeat(2000) + "\r\n", ""})) {
      Exchange x = exchange(request[0], request[1]);
      String what = abbreviate(request[0] + request[1]);
      assertThat(x.status()).as(what).isBetween(200, 499);
      if (x.status() >= 400) {
        assertMalformedRequest(x, x.status());
      }
    }
  }

  private static void assertMalformedRequest(Exchange x, int status) throws IOException {
    assertThat(x.status()).as(x.head() + x.body()).isEqualTo(status);
    assertThat(x.head().toLowerCase(java.util.Locale.ROOT))
        .contains("\r\ncontent-type: application/problem+json");
    JsonNode problem = JobJson.MAPPER.readTree(x.body());
    assertThat(problem.path("type").asText())
        .isEqualTo("https://dbsnap.dev/problems/malformed-request");
    assertThat(problem.path("status").asInt()).isEqualTo(status);
    assertThat(problem.path("title").asText()).isEqualTo(Problems.title(status));
    assertThat(problem.path("detail").asText()).isNotEmpty();
    assertThat(x.log()).doesNotContain("\tat ").doesNotContain("ERROR");
  }

  /**
   * Sends {@code head} and {@code body}, closes the sending side (a client that has no more to
   * say), and reads the answer until the server closes the connection; what the server logged
   * meanwhile is in the exchange, since it logs before it answers.
   */
  private static Exchange exchange(String head, String body) throws IOException {
    PrintStream stderr = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    byte[] answer;
    System.setErr(new PrintStream(new Tee(stderr, log), true, StandardCharsets.UTF_8));
    try (Socket socket = new Socket(api.base.getHost(), api.base.getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write((head + body).getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      socket.shutdownOutput();
      answer = socket.getInputStream().readAllBytes();
    } finally {
      System.setErr(stderr);
    }
    String text = new String(answer, StandardCharsets.ISO_8859_1);
    assertThat(text).as(abbreviate(head + body)).startsWith("HTTP/1.1 ");
    int end = text.indexOf("\r\n\r\n");
    return new Exchange(
        Integer.parseInt(text.substring(9, 12)),
        text.substring(0, end + 2),
        text.substring(end + 4),
        log.toString(StandardCharsets.UTF_8));
  }

  private static String abbreviate(String request) {
    String oneLine = request.replace("\r\n", "\\r\\n");
    return oneLine.length() > 300 ? oneLine.substring(0, 300) + "..." : oneLine;
  }

  /** Writes to the real stderr and to a buffer. */
  private static final class Tee extends OutputStream {
    private final OutputStream first;
    private final OutputStream second;

    Tee(OutputStream first, OutputStream second) {
      this.first = first;
      this.second = second;
    }

    @Override
    public synchronized void write(int b) throws IOException {
      first.write(b);
      second.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      first.write(b, off, len);
      second.write(b, off, len);
    }

    @Override
    public synchronized void flush() throws IOException {
      first.flush();
      second.flush();
    }
  }
}
