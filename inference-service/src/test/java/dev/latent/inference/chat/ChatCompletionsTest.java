package dev.latent.inference.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.test.StepVerifier;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class ChatCompletionsTest {

  static final String MODEL = "latent-seeded-tiny";

  @Autowired
  WebTestClient client;

  @Test
  void wholeCompletionHasOpenAiShapeAndExactUsage() {
    client.post().uri("/v1/chat/completions").header("X-Request-Id", "chat-whole-1")
        .bodyValue(Map.of("model", MODEL, "max_tokens", 5, "temperature", 0,
            "messages", List.of(Map.of("role", "user", "content", "Hello"))))
        .exchange().expectStatus().isOk()
        .expectBody()
        .jsonPath("$.object").isEqualTo("chat.completion")
        .jsonPath("$.id").isEqualTo("chatcmpl-chat-whole-1")
        .jsonPath("$.model").isEqualTo(MODEL)
        .jsonPath("$.choices[0].message.role").isEqualTo("assistant")
        .jsonPath("$.choices[0].finish_reason").isEqualTo("length")
        .jsonPath("$.usage.completion_tokens").isEqualTo(5)
        // ChatML around "Hello": <|im_start|> user \n Hello <|im_end|> \n <|im_start|> assistant \n
        .jsonPath("$.usage.prompt_tokens").isEqualTo(1 + 4 + 1 + 5 + 1 + 1 + 1 + 9 + 1)
        .jsonPath("$.usage.total_tokens").isEqualTo(5 + 24);
    client.get().uri("/internal/usage/chat-whole-1").exchange().expectStatus().isOk()
        .expectBody()
        .jsonPath("$.status").isEqualTo("final")
        .jsonPath("$.finish_reason").isEqualTo("length")
        .jsonPath("$.usage.completion_tokens").isEqualTo(5);
  }

  @Test
  void streamSendsRoleFirstThenDeltasFinishUsageAndDone() {
    var events = client.post().uri("/v1/chat/completions")
        .accept(MediaType.TEXT_EVENT_STREAM)
        .bodyValue(Map.of("model", MODEL, "max_tokens", 4, "stream", true,
            "stream_options", Map.of("include_usage", true),
            "messages", List.of(Map.of("role", "user", "content", "Hi"))))
        .exchange().expectStatus().isOk()
        .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() {})
        .getResponseBody().map(ServerSentEvent::data);
    StepVerifier.create(events)
        .assertNext(first -> assertThat(first).contains("\"role\":\"assistant\"")
            .contains("\"object\":\"chat.completion.chunk\""))
        .thenConsumeWhile(e -> !e.contains("\"finish_reason\":\"length\""),
            e -> assertThat(e).contains("\"delta\""))
        .assertNext(finish -> assertThat(finish).contains("\"finish_reason\":\"length\""))
        .assertNext(usage -> assertThat(usage).contains("\"choices\":[]")
            .contains("\"completion_tokens\":4"))
        .expectNext("[DONE]")
        .expectComplete()
        .verify(Duration.ofSeconds(60));
  }

  @Test
  void nChoicesRunAsSequencesAndTheirUsageIsSummed() {
    client.post().uri("/v1/chat/completions").header("X-Request-Id", "chat-n-1")
        .bodyValue(Map.of("model", MODEL, "max_tokens", 4, "n", 3, "seed", 5,
            "messages", List.of(Map.of("role", "user", "content", "Three ways"))))
        .exchange().expectStatus().isOk()
        .expectBody()
        .jsonPath("$.choices.length()").isEqualTo(3)
        .jsonPath("$.choices[2].index").isEqualTo(2)
        .jsonPath("$.choices[2].finish_reason").isEqualTo("length")
        .jsonPath("$.usage.completion_tokens").isEqualTo(12);
    client.get().uri("/internal/usage/chat-n-1").exchange().expectStatus().isOk()
        .expectBody()
        .jsonPath("$.request_id").isEqualTo("chat-n-1")
        .jsonPath("$.status").isEqualTo("final")
        .jsonPath("$.usage.completion_tokens").isEqualTo(12);
  }

  @Test
  void logprobsAndSeedsBehaveAsOpenAiDocumentsThem() {
    Map<String, Object> body = Map.of("model", MODEL, "max_tokens", 6, "temperature", 1.0,
        "seed", 1234, "logprobs", true, "top_logprobs", 2,
        "messages", List.of(Map.of("role", "user", "content", "Roll the dice")));
    var first = client.post().uri("/v1/chat/completions").bodyValue(body).exchange()
        .expectStatus().isOk().expectBody()
        .jsonPath("$.choices[0].logprobs.content.length()").isEqualTo(6)
        .jsonPath("$.choices[0].logprobs.content[0].top_logprobs.length()").isEqualTo(2)
        .jsonPath("$.choices[0].logprobs.content[0].logprob").isNumber()
        .returnResult().getResponseBody();
    var second = client.post().uri("/v1/chat/completions").bodyValue(body).exchange()
        .expectStatus().isOk().expectBody().returnResult().getResponseBody();
    String a = new String(first).replaceAll("\"(id|created)\":[^,]*,", "");
    String b = new String(second).replaceAll("\"(id|created)\":[^,]*,", "");
    // Same seed, same input: the same tokens. (Logprobs may differ in the last float digits: the
    // second request's prompt comes from the prefix cache, computed in other chunk sizes.)
    assertThat(a.substring(a.indexOf("\"message\""), a.indexOf("\"logprobs\"")))
        .isEqualTo(b.substring(b.indexOf("\"message\""), b.indexOf("\"logprobs\"")));
  }

  @Test
  void stopStringsEndTheOutputWithoutShowingIt() {
    String full = completion(Map.of("model", MODEL, "prompt", "abc", "max_tokens", 12,
        "temperature", 0)).get("text").toString();
    int k = 1;
    while (k < full.length() && (full.charAt(k) == '\uFFFD' || Character.isSurrogate(full.charAt(k)))) {
      k++;
    }
    assertThat(k).as("greedy output %s", full).isLessThan(full.length());
    String stop = String.valueOf(full.charAt(k));
    var stopped = completion(Map.of("model", MODEL, "prompt", "abc", "max_tokens", 12,
        "temperature", 0, "stop", stop));
    assertThat(stopped.get("text")).isEqualTo(full.substring(0, full.indexOf(stop)));
    assertThat(stopped.get("finish_reason")).isEqualTo("stop");
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> completion(Map<String, Object> request) {
    Map<String, Object> body = client.post().uri("/v1/completions").bodyValue(request).exchange()
        .expectStatus().isOk().expectBody(Map.class).returnResult().getResponseBody();
    return ((List<Map<String, Object>>) body.get("choices")).getFirst();
  }

  @Test
  void badRequestsAreProblemsNamingTheParameter() {
    expectParam(Map.of("model", MODEL, "messages", List.of()), "messages");
    expectParam(Map.of("model", MODEL, "temperature", 3,
        "messages", List.of(Map.of("role", "user", "content", "x"))), "temperature");
    expectParam(Map.of("model", MODEL, "top_p", 0,
        "messages", List.of(Map.of("role", "user", "content", "x"))), "top_p");
    expectParam(Map.of("model", MODEL, "messages", List.of(Map.of("role", "robot", "content", "x"))),
        "messages");
    client.post().uri("/v1/chat/completions")
        .bodyValue(Map.of("model", MODEL, "max_tokens", 100000,
            "messages", List.of(Map.of("role", "user", "content", "x"))))
        .exchange().expectStatus().isBadRequest()
        .expectBody()
        .jsonPath("$.error.param").isEqualTo("max_tokens")
        .jsonPath("$.prompt_tokens").isEqualTo(20)
        .jsonPath("$.max_tokens").isEqualTo(100000);
    client.post().uri("/v1/chat/completions")
        .bodyValue(Map.of("model", "no-such-model",
            "messages", List.of(Map.of("role", "user", "content", "x"))))
        .exchange().expectStatus().isNotFound()
        .expectBody().jsonPath("$.error.code").isEqualTo("model_not_found");
  }

  @Test
  void aBodyOverTheLimitIs413() {
    client.post().uri("/v1/chat/completions")
        .bodyValue(Map.of("model", MODEL,
            "messages", List.of(Map.of("role", "user", "content", "x".repeat(1_100_000)))))
        .exchange().expectStatus().isEqualTo(413)
        .expectBody().jsonPath("$.error.message").isNotEmpty();
  }

  private void expectParam(Map<String, Object> body, String param) {
    client.post().uri("/v1/chat/completions").bodyValue(body)
        .exchange().expectStatus().isBadRequest()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.error.param").isEqualTo(param);
  }
}
