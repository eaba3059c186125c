package dev.latent.support.requestid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.latent.support.TestApplication;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

@SpringBootTest(classes = TestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class AccessLogTest {

  @Autowired
  WebTestClient client;

  @Autowired
  AccessLogWriter writer;

  private final Logger access = (Logger) LoggerFactory.getLogger("latent.access");
  // Keeps each event's MDC as it was on the writing thread (Logback reads it lazily otherwise).
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>() {
    @Override
    protected void append(ILoggingEvent event) {
      event.prepareForDeferredProcessing();
      super.append(event);
    }
  };

  @BeforeEach
  void capture() {
    lines.start();
    access.addAppender(lines);
  }

  @AfterEach
  void release() {
    access.detachAppender(lines);
  }

  @Test
  void everyRequestGetsOneLineWrittenOffTheEventLoopWithItsId() {
    List<String> ids = IntStream.range(0, 50).mapToObj(i -> "access-" + i).toList();
    for (String id : ids) {
      client.get().uri("/v1/no-such-thing").header(RequestId.HEADER, id).exchange().expectStatus().isNotFound();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> mine(ids).size() == ids.size());

    List<ILoggingEvent> mine = mine(ids);
    assertThat(mine).extracting(e -> e.getMDCPropertyMap().get(RequestId.KEY)).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(mine).allSatisfy(e -> {
      assertThat(e.getThreadName()).isEqualTo("access-log");
      assertThat(e.getFormattedMessage()).matches("GET /v1/no-such-thing 404 \\d+ms");
    });
    assertThat(writer.dropped()).isZero();
    client.get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
        .expectBody(String.class).value(body -> assertThat(body).contains("latent_http_access_log_dropped_total"));
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfWaitingAndClosingWritesTheRest() {
    AccessLogWriter small = new AccessLogWriter(2, false); // thread not started: nothing drains yet
    assertThat(small.offer(line("q-1"))).isTrue();
    assertThat(small.offer(line("q-2"))).isTrue();
    assertThat(small.offer(line("q-3"))).isFalse();
    assertThat(small.dropped()).isEqualTo(1);
    assertThat(small.queued()).isEqualTo(2);

    small.start();
    small.close(Duration.ofSeconds(30));
    assertThat(mine(List.of("q-1", "q-2", "q-3"))).extracting(e -> e.getMDCPropertyMap().get(RequestId.KEY))
        .containsExactly("q-1", "q-2");
    assertThat(small.queued()).isZero();
  }

  private static AccessLogWriter.Line line(String id) {
    return new AccessLogWriter.Line(id, "GET", "/x", 200, 1, false);
  }

  private List<ILoggingEvent> mine(List<String> ids) {
    synchronized (lines) { // the appender appends under its own lock
      return lines.list.stream().filter(e -> ids.contains(e.getMDCPropertyMap().get(RequestId.KEY))).toList();
    }
  }
}
