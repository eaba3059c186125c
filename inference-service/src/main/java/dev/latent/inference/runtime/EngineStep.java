package dev.latent.inference.runtime;

import dev.latent.ml.llm.LoraWeights;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.sampling.SampledToken;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one engine step of a scheduler on the scheduler's thread: {@link StepRows} through the
 * engine, then the next token of every sequence that has one (each decoding sequence, and each
 * whose prompt the step finished), sampled together and streamed.
 */
final class EngineStep {

  private final Scheduler scheduler;
  private final StepSampler sampler;

  EngineStep(Scheduler scheduler, StepSampler sampler) {
    this.scheduler = scheduler;
    this.sampler = sampler;
  }

  /**
   * {@code mixed}: the rows go through the engine's mixed step ({@link Transformer#step}, decode
   * tokens and prompt chunks together); else they are decode rows only, one batched
   * {@link Transformer#decode} step.
   */
  void run(StepRows rows, boolean mixed) {
    if (rows.isEmpty()) {
      return;
    }
    List<Sequence> sequences = rows.sequences();
    int n = sequences.size();
    List<KvSequence> seqs = new ArrayList<>(n);
    List<LoraWeights> loras = new ArrayList<>(n); // per sequence, null: the base
    boolean anyLora = false;
    // A sequence whose blocks are not one run of the pool sends the whole step down the engine's
    // gather path (DJL ops instead of the Java kernels): ~2x the step on 110m at batch 16.
    boolean scattered = false;
    long context = 0; // what the decode rows' attention reads
    for (int i = 0; i < n; i++) {
      Sequence s = sequences.get(i);
      seqs.add(s.kv);
      loras.add(s.lora());
      anyLora |= s.lora() != null;
      scattered |= s.kv.contiguousStart(s.kv.length() + rows.tokens().get(i).length) < 0;
      context += i < rows.decodeRows() ? s.kv.length() : 0;
    }
    Transformer model = scheduler.model();
    long t0 = System.nanoTime();
    float[][] logits;
    if (mixed) {
      logits = model.step(seqs, rows.tokens(), anyLora ? loras : null);
    } else {
      int[] tokens = new int[n];
      for (int i = 0; i < n; i++) {
        tokens[i] = rows.tokens().get(i)[0];
      }
      logits = model.decode(seqs, tokens, anyLora ? loras : null);
    }
    long t1 = System.nanoTime();
    scheduler.metrics().engineStep(scheduler.modelId(), rows.decodeRows(), rows.promptTokens(),
        context, scattered, t1 - t0);
    List<Sequence> next = new ArrayList<>(n);
    List<float[]> nextLogits = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Sequence s = sequences.get(i);
      s.settleBlocks();
      if (i >= rows.decodeRows()) { // a prompt chunk: its blocks may now serve later prompts
        scheduler.prefixCache().register(s.entry, s.request.prompt(), s.computed());
      }
      if (!s.prefilling()) {
        next.add(s);
        nextLogits.add(logits[i]);
      }
    }
    SampledToken[] picks = sampler.sample(next.stream().map(s -> s.sampler).toList(),
        nextLogits.toArray(float[][]::new));
    for (int i = 0; i < picks.length; i++) {
      Emitter.emit(scheduler, next.get(i), picks[i]);
    }
    scheduler.metrics().stepEmit(scheduler.modelId(), System.nanoTime() - t1);
  }
}
