package dev.latent.inference.completions;

import dev.latent.inference.openai.Sse;
import dev.latent.inference.openai.Usage;
import dev.latent.inference.runtime.GenerationEvent;
import dev.latent.inference.runtime.Generator;
import dev.latent.inference.runtime.SamplingParams;
import dev.latent.inference.runtime.TokenLogprob;
import dev.latent.inference.usage.UsageStore;
import dev.latent.support.requestid.RequestId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * {@code POST /v1/completions}. Several prompts run as several sequences in the same batch;
 * choice {@code i} answers prompt {@code i}; the usage under the request id is their sum.
 */
@RestController
class CompletionsController {

  private final Generator generator;

  CompletionsController(Generator generator) {
    this.generator = generator;
  }

  @PostMapping("/v1/completions")
  Mono<ResponseEntity<?>> complete(@RequestBody CompletionRequest request,
      ServerWebExchange exchange) {
    String requestId = Objects.requireNonNullElseGet(RequestId.of(exchange), RequestId::generate);
    String id = "cmpl-" + requestId;
    long created = System.currentTimeMillis() / 1000;
    int maxTokens = request.maxTokens() != null ? request.maxTokens() : 16;
    List<Mono<Flux<Object[]>>> runs = new ArrayList<>();
    for (int i = 0; i < request.prompt().size(); i++) {
      int index = i;
      String prompt = request.prompt().get(i);
      String key = UsageStore.choiceId(requestId, i);
      runs.add(generator.start(key, request.model(), model -> prompt, maxTokens, "max_tokens",
              max -> sampling(request, max))
          .map(s -> s.events().map(e -> new Object[] {index, e, s.model().id()})));
    }
    return Flux.concat(runs).collectList().map(fluxes -> {
      String model = request.model();
      Flux<Object[]> events = Flux.merge(fluxes);
      return request.streaming()
          ? ResponseEntity.ok().contentType(MediaType.TEXT_EVENT_STREAM)
              .body(stream(id, created, model, events, request.includeUsage(), fluxes.size()))
          : ResponseEntity.ok().body(whole(id, created, model, events, fluxes.size()));
    });
  }

  private static SamplingParams sampling(CompletionRequest r, int maxTokens) {
    return new SamplingParams(
        r.temperature() != null ? r.temperature() : 1.0, r.topP() != null ? r.topP() : 1.0,
        r.topK() != null ? r.topK() : 0, r.minP() != null ? r.minP() : 0.0, r.seed(),
        r.presencePenalty() != null ? r.presencePenalty() : 0.0,
        r.frequencyPenalty() != null ? r.frequencyPenalty() : 0.0,
        maxTokens, r.stop() != null ? r.stop() : List.of(),
        r.logprobs() != null, r.logprobs() != null ? r.logprobs() : 0);
  }

  private static CompletionResponse.@Nullable Logprobs legacy(List<TokenLogprob> logprobs,
      int offset) {
    if (logprobs.isEmpty()) {
      return null;
    }
    var tokens = new ArrayList<String>();
    var values = new ArrayList<Double>();
    var tops = new ArrayList<Map<String, Double>>();
    var offsets = new ArrayList<Integer>();
    for (TokenLogprob lp : logprobs) {
      tokens.add(lp.token());
      values.add(lp.logprob());
      var top = new LinkedHashMap<String, Double>();
      lp.topLogprobs().forEach(t -> top.putIfAbsent(t.token(), t.logprob()));
      tops.add(top);
      offsets.add(offset);
      offset += lp.token().length();
    }
    return new CompletionResponse.Logprobs(tokens, values, tops, offsets);
  }

  private static Flux<ServerSentEvent<Object>> stream(String id, long created, String model,
      Flux<Object[]> events, boolean includeUsage, int prompts) {
    Usage[] total = new Usage[1];
    int[] finished = new int[1];
    Flux<ServerSentEvent<Object>> body = events.concatMap(e -> {
      int index = (Integer) e[0];
      return switch ((GenerationEvent) e[1]) {
        case GenerationEvent.Delta d -> Flux.just(Sse.data(new CompletionResponse(id,
            "text_completion", created, model, List.of(new CompletionResponse.Choice(
                d.content(), index, legacy(d.logprobs(), 0), null)), null)));
        case GenerationEvent.Finished f -> {
          total[0] = Usage.sum(total[0], f.usage());
          finished[0]++;
          var last = Sse.data(new CompletionResponse(id, "text_completion", created, model,
              List.of(new CompletionResponse.Choice("", index, null, f.finishReason())), null));
          yield includeUsage && finished[0] == prompts
              ? Flux.just(last, Sse.data(new CompletionResponse(id, "text_completion", created,
                  model, List.of(), total[0])))
              : Flux.just(last);
        }
      };
    });
    return Flux.concat(body, Flux.just(Sse.done())).onErrorResume(e -> Flux.just(Sse.error(e)));
  }

  private static Mono<CompletionResponse> whole(String id, long created, String model,
      Flux<Object[]> events, int prompts) {
    var texts = new StringBuilder[prompts];
    var logprobs = new ArrayList<List<TokenLogprob>>();
    var reasons = new String[prompts];
    for (int i = 0; i < prompts; i++) {
      texts[i] = new StringBuilder();
      logprobs.add(new ArrayList<>());
    }
    Usage[] total = new Usage[1];
    return events.doOnNext(e -> {
      int index = (Integer) e[0];
      switch ((GenerationEvent) e[1]) {
        case GenerationEvent.Delta d -> {
          texts[index].append(d.content());
          logprobs.get(index).addAll(d.logprobs());
        }
        case GenerationEvent.Finished f -> {
          reasons[index] = f.finishReason();
          total[0] = Usage.sum(total[0], f.usage());
        }
      }
    }).then(Mono.fromSupplier(() -> {
      var choices = new ArrayList<CompletionResponse.Choice>();
      for (int i = 0; i < prompts; i++) {
        choices.add(new CompletionResponse.Choice(texts[i].toString(), i,
            legacy(logprobs.get(i), 0), reasons[i]));
      }
      return new CompletionResponse(id, "text_completion", created, model, choices, total[0]);
    }));
  }
}
