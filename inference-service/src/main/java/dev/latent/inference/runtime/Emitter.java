package dev.latent.inference.runtime;

import dev.latent.ml.llm.sampling.SampledToken;
import dev.latent.ml.text.ReasoningSplitter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one sampled token of a sequence into stream events: detokenize without splitting a
 * character, split reasoning, cut at stop strings, decide whether the sequence is finished.
 */
final class Emitter {

  private Emitter() {}

  static void emit(Scheduler scheduler, Sequence s, float[] logits) {
    emit(scheduler, s, s.sampler.next(logits));
  }

  /** As {@link #emit(Scheduler, Sequence, float[])} for a token already sampled. */
  static void emit(Scheduler scheduler, Sequence s, SampledToken pick) {
    ServedModel model = s.request.model();
    int token = pick.id();
    s.generated.add(token);
    if (s.generated.size() == 1) {
      s.firstTokenNanos = System.nanoTime();
      scheduler.metrics().firstToken(s.request.model().id(), s);
    }
    String finish = null;
    boolean stopToken = pick.stop();
    String content = "";
    String reasoning = "";
    if (!stopToken) {
      String piece = s.detokenizer.add(token);
      var d = split(s, piece, true);
      reasoning = d.reasoning();
      var cut = s.stop.accept(d.content());
      content = cut.text();
      if (cut.stopped()) {
        finish = "stop";
      }
    }
    if (finish == null && stopToken) {
      finish = "stop";
    } else if (finish == null && s.generated.size() >= s.request.params().maxTokens()) {
      finish = "length";
    }
    if (finish != null && !"stop".equals(finish) || stopToken) {
      // Release what was held back (an unfinished character, a partial tag or stop string).
      var tail = split(s, s.detokenizer.flush(), false);
      var end = s.request.reasoning() ? s.splitter.finish() : new ReasoningSplitter.Delta("", "");
      reasoning += tail.reasoning() + end.reasoning();
      content += s.stop.accept(tail.content() + end.content()).text() + s.stop.flush();
    }
    List<TokenLogprob> logprobs = s.request.params().logprobs()
        ? List.of(logprob(model, pick)) : List.of();
    if (!content.isEmpty() || !reasoning.isEmpty() || !logprobs.isEmpty()) {
      s.sink.tryEmitNext(new GenerationEvent.Delta(content, reasoning, logprobs));
    }
    if (finish != null) {
      scheduler.retire(s, finish);
      s.sink.tryEmitNext(new GenerationEvent.Finished(finish, s.usage()));
      s.sink.tryEmitComplete();
    } else {
      scheduler.progress(s);
    }
  }

  private static ReasoningSplitter.Delta split(Sequence s, String piece, boolean count) {
    if (!s.request.reasoning()) {
      return new ReasoningSplitter.Delta("", piece);
    }
    boolean before = s.splitter.inReasoning();
    var d = s.splitter.accept(piece);
    if (count && (before || s.splitter.inReasoning() || !d.reasoning().isEmpty())) {
      s.reasoningTokens++;
    }
    return d;
  }

  private static TokenLogprob logprob(ServedModel model, SampledToken pick) {
    var top = new ArrayList<TokenLogprob.Top>();
    for (SampledToken.TopLogprob alt : pick.top()) {
      String text = model.tokenizer().decode(new int[] {alt.id()}, false);
      top.add(new TokenLogprob.Top(text, alt.logprob(), bytes(text)));
    }
    String text = model.tokenizer().decode(new int[] {pick.id()}, false);
    return new TokenLogprob(text, pick.logprob(), bytes(text), top);
  }

  private static List<Integer> bytes(String text) {
    var out = new ArrayList<Integer>();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      out.add(b & 0xff);
    }
    return out;
  }
}
