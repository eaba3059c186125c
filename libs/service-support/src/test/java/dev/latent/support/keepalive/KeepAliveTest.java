package dev.latent.support.keepalive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.support.TestApplication;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * One HTTP/1.1 connection kept alive across requests, as every pooled client (WebClient,
 * WebTestClient, the gateway's proxy) uses it: a request queued behind an unfinished one and then
 * answered at once must not leave the connection deaf to the next request.
 */
@SpringBootTest(classes = TestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class KeepAliveTest {

  @LocalServerPort
  int port;

  @Test
  void aConnectionKeepsAnsweringAfterAQueuedRequestIsAnsweredAtOnce() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000); // a deaf connection fails the test instead of hanging it
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      // The second request arrives while the first is unanswered, so the server queues it; it is
      // then refused at once (a problem thrown before any I/O).
      out.write((get("/v1/slow") + get("/v1/busy")).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(statusLine(in)).isEqualTo("HTTP/1.1 200 OK");
      assertThat(statusLine(in)).isEqualTo("HTTP/1.1 503 Service Unavailable");

      out.write(get("/v1/busy").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(statusLine(in)).isEqualTo("HTTP/1.1 503 Service Unavailable");
    }
  }

  private static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  }

  /** Reads one response (head and Content-Length body) and returns its status line. */
  private static String statusLine(InputStream in) throws IOException {
    String head;
    try {
      head = readHead(in);
    } catch (SocketTimeoutException e) {
      return "no answer (read timed out)";
    }
    long length = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Long.parseLong(line.substring("content-length:".length()).trim());
      }
    }
    in.readNBytes((int) length);
    return head.substring(0, head.indexOf("\r\n"));
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after " + head);
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }
}
