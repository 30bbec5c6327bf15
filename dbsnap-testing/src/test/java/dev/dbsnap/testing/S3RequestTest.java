package dev.dbsnap.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.testing.FaultyS3Front.Op;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How the fault-injecting front reads a request head and names its S3 operation. */
class S3RequestTest {
  @Test
  void request_lines_name_their_s3_operation() {
    assertThat(S3Request.classify("PUT", "/b/dir/k?partNumber=3&uploadId=abc"))
        .isEqualTo(Op.UPLOAD_PART);
    assertThat(S3Request.classify("PUT", "/b/dir/k")).isEqualTo(Op.PUT_OBJECT);
    assertThat(S3Request.classify("PUT", "/b")).isEqualTo(Op.OTHER);
    assertThat(S3Request.classify("POST", "/b/k?uploads")).isEqualTo(Op.CREATE_MULTIPART_UPLOAD);
    assertThat(S3Request.classify("POST", "/b/k?uploads=")).isEqualTo(Op.CREATE_MULTIPART_UPLOAD);
    assertThat(S3Request.classify("POST", "/b/k?uploadId=abc"))
        .isEqualTo(Op.COMPLETE_MULTIPART_UPLOAD);
    assertThat(S3Request.classify("POST", "/b?delete")).isEqualTo(Op.OTHER);
    assertThat(S3Request.classify("DELETE", "/b/k?uploadId=abc"))
        .isEqualTo(Op.ABORT_MULTIPART_UPLOAD);
    assertThat(S3Request.classify("DELETE", "/b/k")).isEqualTo(Op.DELETE_OBJECT);
    assertThat(S3Request.classify("GET", "/b?list-type=2&prefix=p%2F")).isEqualTo(Op.LIST_OBJECTS);
    assertThat(S3Request.classify("GET", "/b/?uploads&prefix=p"))
        .isEqualTo(Op.LIST_MULTIPART_UPLOADS);
    assertThat(S3Request.classify("GET", "/b/k?uploadId=abc&max-parts=1")).isEqualTo(Op.LIST_PARTS);
    assertThat(S3Request.classify("GET", "/b/k")).isEqualTo(Op.GET_OBJECT);
    assertThat(S3Request.classify("HEAD", "/b/k")).isEqualTo(Op.HEAD_OBJECT);
    assertThat(S3Request.classify("HEAD", "/b")).isEqualTo(Op.HEAD_BUCKET);
    assertThat(S3Request.classify("GET", "/")).isEqualTo(Op.OTHER);
  }

  @Test
  void a_head_is_read_up_to_its_blank_line_leaving_the_body() throws IOException {
    InputStream in =
        stream(
            "PUT /b/k?partNumber=1&uploadId=u HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"
                + "Content-Length: 4\r\nExpect: 100-continue\r\n\r\nbody");

    S3Request request = S3Request.read(in);

    assertThat(request.op()).isEqualTo(Op.UPLOAD_PART);
    assertThat(request.contentLength()).isEqualTo(4);
    assertThat(request.expectsContinue()).isTrue();
    assertThat(request.path()).isEqualTo("/b/k");
    assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("body");
  }

  @Test
  void the_forwarded_head_keeps_every_line_but_closes_the_connection() throws IOException {
    S3Request request =
        S3Request.read(
            stream(
                "GET /b/k HTTP/1.1\r\nHost: h:1\r\nconnection: Keep-Alive\r\n"
                    + "Authorization: AWS4-HMAC-SHA256 x\r\nX-Amz-Date: 20240101T000000Z\r\n\r\n"));

    assertThat(new String(request.headClosingConnection(), StandardCharsets.ISO_8859_1))
        .isEqualTo(
            "GET /b/k HTTP/1.1\r\nHost: h:1\r\nAuthorization: AWS4-HMAC-SHA256 x\r\n"
                + "X-Amz-Date: 20240101T000000Z\r\nConnection: close\r\n\r\n");
  }

  @Test
  void retries_of_a_request_share_an_identity_that_leaves_out_the_bucket_and_upload() {
    S3Request first = request("PUT", "/bucket-1/e1/t.csv?partNumber=2&uploadId=aaa");
    S3Request again = request("PUT", "/bucket-2/e1/t.csv?uploadId=bbb&partNumber=2");
    S3Request other = request("PUT", "/bucket-1/e1/t.csv?partNumber=3&uploadId=aaa");

    assertThat(first.identity()).isEqualTo(again.identity()).isNotEqualTo(other.identity());
  }

  @Test
  void an_empty_connection_has_no_request_and_a_cut_head_is_an_error() throws IOException {
    assertThat(S3Request.read(stream(""))).isNull();
    assertThatThrownBy(() -> S3Request.read(stream("GET /b/k HTTP/1.1\r\nHost: h\r\n")))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> S3Request.read(stream("GET /b/k\r\n\r\n")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("GET /b/k");
  }

  private static S3Request request(String method, String target) {
    try {
      return S3Request.read(stream(method + " " + target + " HTTP/1.1\r\nHost: h\r\n\r\n"));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static InputStream stream(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
  }
}
