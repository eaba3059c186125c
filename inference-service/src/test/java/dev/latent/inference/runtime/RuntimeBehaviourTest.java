package dev.latent.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The runtime through HTTP in the default prefill mode (the subclasses run it in the others):
 * batching is invisible, the prefix cache hits, cancel frees blocks.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RuntimeBehaviourTest {

  static final String MODEL = "latent-seeded-tiny";
  private static final ParameterizedTypeReference<Map<String, Object>> JSON =
      new ParameterizedTypeReference<>() {};

  @LocalServerPort
  int port;

  @Autowired
  ModelRegistry registry;

  private WebClient client() {
    return WebClient.builder().baseUrl("http://localhost:" + port).build();
  }

  private Mono<String> greedy(String prompt, int tokens) {
    return client().post().uri("/v1/completions")
        .bodyValue(Map.of("model", MODEL, "prompt", prompt, "max_tokens", tokens,
            "temperature", 0))
        .retrieve().bodyToMono(JSON)
        .map(body -> {
          @SuppressWarnings("unchecked")
          var choices = (List<Map<String, Object>>) body.get("choices");
          return (String) choices.getFirst().get("text");
        });
  }

  private String greedyFinish(String prompt, int tokens) {
    var body = client().post().uri("/v1/completions")
        .bodyValue(Map.of("model", MODEL, "prompt", prompt, "max_tokens", tokens,
            "temperature", 0))
        .retrieve().bodyToMono(JSON).block(Duration.ofSeconds(60));
    @SuppressWarnings("unchecked")
    var choices = (List<Map<String, Object>>) body.get("choices");
    return (String) choices.getFirst().get("finish_reason");
  }

  @Test
  void eightConcurrentGreedyStreamsEqualTheSamePromptsRunOneAtATime() {
    List<String> prompts = IntStream.range(0, 8)
        .mapToObj(i -> "Prompt number " + i + " asks for something " + "x".repeat(i * 7))
        .toList();
    List<String> sequential = new ArrayList<>();
    for (String p : prompts) {
      sequential.add(greedy(p, 12).block(Duration.ofSeconds(60)));
    }
    List<String> concurrent = Flux.fromIterable(prompts).flatMapSequential(p -> greedy(p, 12), 8)
        .collectList().block(Duration.ofSeconds(60));
    assertThat(concurrent).containsExactlyElementsOf(sequential);
    assertThat(sequential).doesNotHaveDuplicates(); // different prompts, different outputs
  }

  @Test
  void promptsComputedWhileAnotherStreamDecodesGiveTheTokensTheyGiveAlone() {
    // Prompt chunks run before the decode step, beside it on the prefill thread, or in the same
    // engine step (the prefill modes, one per subclass); neither the decoding stream nor the new
    // prompts may change a token.
    String longPrompt = longRunningPrompt();
    List<String> prompts = List.of("A prompt that arrives later", "Another one " + "y".repeat(40),
        "Third " + "z".repeat(90));
    String longAlone = String.join("", streamedTexts(longPrompt, 1000).collectList().block(Duration.ofSeconds(60)));
    List<String> alone = new ArrayList<>();
    for (String p : prompts) {
      alone.add(greedy(p, 12).block(Duration.ofSeconds(60)));
    }
    Flux<String> decoding = streamedTexts(longPrompt, 1000).cache();
    decoding.take(2).blockLast(Duration.ofSeconds(60)); // the long stream is decoding now
    List<String> beside = Flux.fromIterable(prompts).flatMapSequential(p -> greedy(p, 12), 3)
        .collectList().block(Duration.ofSeconds(60));
    String longBeside = String.join("", decoding.collectList().block(Duration.ofSeconds(60)));
    assertThat(beside).containsExactlyElementsOf(alone);
    assertThat(longBeside).isEqualTo(longAlone);
  }

  private static final java.util.regex.Pattern TEXT =
      java.util.regex.Pattern.compile("\"text\":\"((?:[^\"\\\\]++|\\\\.)*+)\"");

  /** The raw (JSON-escaped) text of each streamed chunk of a greedy completion. */
  private Flux<String> streamedTexts(String prompt, int tokens) {
    return client().post().uri("/v1/completions").accept(MediaType.TEXT_EVENT_STREAM)
        .bodyValue(Map.of("model", MODEL, "prompt", prompt, "max_tokens", tokens, "stream", true,
            "temperature", 0))
        .retrieve().bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() {})
        .mapNotNull(ServerSentEvent::data)
        .mapNotNull(data -> {
          var m = TEXT.matcher(data);
          return m.find() ? m.group(1) : null;
        });
  }

  /** A prompt whose greedy continuation runs past 1000 tokens (it cannot end by itself early). */
  private String longRunningPrompt() {
    return Stream.of("Tell me a long story", "Once upon a time", "Count to a thousand",
            "Write every word you know", "Keep going")
        .filter(p -> "length".equals(greedyFinish(p, 1000)))
        .findFirst().orElseThrow(() -> new AssertionError("every candidate stops within 1000"));
  }

  @Test
  void eventsReachTheStreamOffTheSchedulerThread() {
    // chunk JSON, SSE encoding and the socket write must not delay the model's next step
    ServedModel model = registry.require(MODEL);
    var request = new GenerationRequest("threads-" + System.nanoTime(), model,
        model.tokenizer().encode("Where do the events run"),
        new SamplingParams(0, 1, 0, 0, null, 0, 0, 6, List.of(), false, 0), false, false);
    List<String> threads = model.scheduler().submit(request)
        .map(event -> Thread.currentThread().getName()).collectList().block(Duration.ofSeconds(60));
    assertThat(threads).isNotEmpty().noneMatch(name -> name.startsWith("scheduler-"));
  }

  @Test
  void theSameLongSystemPromptTwiceIsACacheHitTheSecondTime() {
    String system = "You are a careful assistant. ".repeat(12);
    var first = usage(chat(system, "first question"));
    var second = usage(chat(system, "second question"));
    assertThat(first.get("prompt_cache_hit_tokens")).isEqualTo(0);
    int cached = ((Number) second.get("prompt_cache_hit_tokens")).intValue();
    assertThat(cached).isGreaterThanOrEqualTo(system.length() / 16 * 16 - 16);
    @SuppressWarnings("unchecked")
    var details = (Map<String, Object>) second.get("prompt_tokens_details");
    assertThat(details.get("cached_tokens")).isEqualTo(cached);
    assertThat(cached + ((Number) second.get("prompt_cache_miss_tokens")).intValue())
        .isEqualTo(second.get("prompt_tokens"));
  }

  private Map<String, Object> chat(String system, String user) {
    return client().post().uri("/v1/chat/completions")
        .bodyValue(Map.of("model", MODEL, "max_tokens", 3, "messages", List.of(
            Map.of("role", "system", "content", system), Map.of("role", "user", "content", user))))
        .retrieve().bodyToMono(JSON).block(Duration.ofSeconds(60));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> usage(Map<String, Object> body) {
    return (Map<String, Object>) body.get("usage");
  }

  @Test
  void aCancelledStreamStopsFreesItsBlocksAndBillsWhatWasGenerated() throws Exception {
    String id = "cancel-" + System.nanoTime();
    // A sequence that ends by itself before the cancel reaches the scheduler is not cancelled, so
    // the stream is the greedy continuation of a prompt that is known to run past 1000 tokens.
    String prompt = longRunningPrompt();
    var received = client().post().uri("/v1/completions").header("X-Request-Id", id)
        .accept(MediaType.TEXT_EVENT_STREAM)
        .bodyValue(Map.of("model", MODEL, "prompt", prompt, "max_tokens", 3000,
            "stream", true, "temperature", 0))
        .retrieve().bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() {})
        .take(10).collectList().block(Duration.ofSeconds(60));
    assertThat(received).hasSize(10);
    Map<String, Object> record = null;
    for (int i = 0; i < 100; i++) {
      record = client().get().uri("/internal/usage/" + id).retrieve().bodyToMono(JSON)
          .block(Duration.ofSeconds(10));
      if ("final".equals(record.get("status"))) {
        break;
      }
      Thread.sleep(50);
    }
    assertThat(record).containsEntry("status", "final").containsEntry("finish_reason", "cancelled");
    int generated = ((Number) usage(record).get("completion_tokens")).intValue();
    // Every received chunk is one token of this byte-level vocabulary. This model makes a token in
    // well under a millisecond, so a few hundred more go out while the disconnect travels through
    // both sockets; the scheduler then drops the sequence at its next step, long before max_tokens.
    assertThat(generated).isBetween(10, 1000);
    assertThat(registry.require(MODEL).scheduler().blocksInUse()).isZero();
  }

  @Test
  void aFullQueueAnswers429WithRetryAfter() {
    var statuses = Flux.range(0, 40).flatMap(i -> client().post().uri("/v1/completions")
            .bodyValue(Map.of("model", MODEL, "prompt", "overload " + i, "max_tokens", 300))
            .exchangeToMono(r -> Mono.just(r.statusCode().value() + ":"
                + r.headers().asHttpHeaders().getFirst("Retry-After"))), 40)
        .collectList().block(Duration.ofSeconds(120));
    assertThat(statuses).contains("429:2");
    assertThat(statuses).anyMatch(s -> s.startsWith("200"));
  }
}
