package dev.latent.inference.chat;

import dev.latent.inference.openai.Sse;
import dev.latent.inference.openai.Usage;
import dev.latent.inference.runtime.GenerationEvent;
import dev.latent.inference.runtime.Generator;
import dev.latent.inference.runtime.SamplingParams;
import dev.latent.inference.runtime.TokenLogprob;
import dev.latent.inference.usage.UsageStore;
import dev.latent.ml.text.ChatMessage;
import dev.latent.support.requestid.RequestId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/chat/completions}, streamed (SSE) or whole. With {@code n > 1} each choice is
 * its own sequence in the same batch (the shared prompt comes from the prefix cache); the usage
 * under the request id is their sum.
 */
@RestController
class ChatCompletionsController {

  /** One event of one choice. */
  private record Indexed(int index, GenerationEvent event) {}

  private final Generator generator;

  ChatCompletionsController(Generator generator) {
    this.generator = generator;
  }

  @PostMapping("/v1/chat/completions")
  Mono<ResponseEntity<?>> complete(@RequestBody ChatCompletionRequest request,
      ServerWebExchange exchange) {
    String requestId = Objects.requireNonNullElseGet(RequestId.of(exchange), RequestId::generate);
    String id = "chatcmpl-" + requestId;
    long created = System.currentTimeMillis() / 1000;
    List<ChatMessage> messages = request.messages().stream()
        .map(m -> new ChatMessage(m.role().equals("developer") ? "system" : m.role(), m.text(),
            m.reasoningContent()))
        .toList();
    int n = request.n() != null ? request.n() : 1;
    List<Mono<Flux<Indexed>>> runs = new ArrayList<>();
    String[] model = new String[1];
    for (int i = 0; i < n; i++) {
      int index = i;
      runs.add(generator.start(UsageStore.choiceId(requestId, i), request.model(),
              m -> m.chatTemplate().render(messages, true), request.requestedMaxTokens(),
              request.maxCompletionTokens() != null ? "max_completion_tokens" : "max_tokens",
              max -> sampling(request, max, index))
          .map(s -> {
            model[0] = s.model().id();
            return s.events().map(e -> new Indexed(index, e));
          }));
    }
    return Flux.concat(runs).collectList().map(fluxes -> {
      Flux<Indexed> events = Flux.merge(fluxes);
      return request.streaming()
          ? ResponseEntity.ok().contentType(MediaType.TEXT_EVENT_STREAM)
              .body(stream(id, created, model[0], events, request.includeUsage(), n))
          : ResponseEntity.ok().body(whole(id, created, model[0], events, n));
    });
  }

  // Choice i > 0 with a seed gets seed + i: n identical choices would be pointless.
  private static SamplingParams sampling(ChatCompletionRequest r, int maxTokens, int choice) {
    return new SamplingParams(
        r.temperature() != null ? r.temperature() : 1.0,
        r.topP() != null ? r.topP() : 1.0,
        r.topK() != null ? r.topK() : 0,
        r.minP() != null ? r.minP() : 0.0,
        r.seed() != null ? r.seed() + choice : null,
        r.presencePenalty() != null ? r.presencePenalty() : 0.0,
        r.frequencyPenalty() != null ? r.frequencyPenalty() : 0.0,
        maxTokens, r.stop() != null ? r.stop() : List.of(),
        Boolean.TRUE.equals(r.logprobs()), r.topLogprobs() != null ? r.topLogprobs() : 0);
  }

  private static ChatCompletionChunk chunk(String id, long created, String model, int index,
      ChatCompletionChunk.Delta delta, ChatCompletionResponse.@Nullable Logprobs logprobs,
      @Nullable String finish) {
    return new ChatCompletionChunk(id, ChatCompletionChunk.OBJECT, created, model,
        List.of(new ChatCompletionChunk.Choice(index, delta, logprobs, finish)), null);
  }

  private static Flux<ServerSentEvent<Object>> stream(String id, long created, String model,
      Flux<Indexed> events, boolean includeUsage, int n) {
    List<ServerSentEvent<Object>> first = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      first.add(Sse.data(chunk(id, created, model, i,
          new ChatCompletionChunk.Delta("assistant", "", null), null, null)));
    }
    Usage[] total = new Usage[1];
    int[] finished = new int[1];
    Flux<ServerSentEvent<Object>> body = events.concatMap(e -> switch (e.event()) {
      case GenerationEvent.Delta d -> Flux.just(Sse.data(chunk(id, created, model, e.index(),
          new ChatCompletionChunk.Delta(null, d.content().isEmpty() ? null : d.content(),
              d.reasoning().isEmpty() ? null : d.reasoning()),
          d.logprobs().isEmpty() ? null : new ChatCompletionResponse.Logprobs(d.logprobs(), null),
          null)));
      case GenerationEvent.Finished f -> {
        total[0] = Usage.sum(total[0], f.usage());
        var last = Sse.data(chunk(id, created, model, e.index(),
            new ChatCompletionChunk.Delta(null, null, null), null, f.finishReason()));
        yield includeUsage && ++finished[0] == n
            ? Flux.just(last, Sse.data(new ChatCompletionChunk(id, ChatCompletionChunk.OBJECT,
                created, model, List.of(), total[0])))
            : Flux.just(last);
      }
    });
    return Flux.concat(Flux.fromIterable(first), body, Flux.just(Sse.done()))
        .onErrorResume(e -> Flux.just(Sse.error(e)));
  }

  private static Mono<ChatCompletionResponse> whole(String id, long created, String model,
      Flux<Indexed> events, int n) {
    var content = new ArrayList<StringBuilder>();
    var reasoning = new ArrayList<StringBuilder>();
    var logprobs = new ArrayList<List<TokenLogprob>>();
    var reasons = new String[n];
    for (int i = 0; i < n; i++) {
      content.add(new StringBuilder());
      reasoning.add(new StringBuilder());
      logprobs.add(new ArrayList<>());
    }
    Usage[] total = new Usage[1];
    return events.doOnNext(e -> {
      switch (e.event()) {
        case GenerationEvent.Delta d -> {
          content.get(e.index()).append(d.content());
          reasoning.get(e.index()).append(d.reasoning());
          logprobs.get(e.index()).addAll(d.logprobs());
        }
        case GenerationEvent.Finished f -> {
          reasons[e.index()] = f.finishReason();
          total[0] = Usage.sum(total[0], f.usage());
        }
      }
    }).then(Mono.fromSupplier(() -> {
      var choices = new ArrayList<ChatCompletionResponse.Choice>();
      for (int i = 0; i < n; i++) {
        choices.add(new ChatCompletionResponse.Choice(i,
            new ChatCompletionResponse.Message("assistant", content.get(i).toString(), null,
                reasoning.get(i).isEmpty() ? null : reasoning.get(i).toString()),
            logprobs.get(i).isEmpty() ? null
                : new ChatCompletionResponse.Logprobs(logprobs.get(i), null),
            reasons[i]));
      }
      return new ChatCompletionResponse(id, "chat.completion", created, model, choices, total[0]);
    }));
  }
}
