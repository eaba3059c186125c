package dev.latent.inference.runtime;

import dev.latent.inference.openai.Usage;
import dev.latent.ml.llm.LoraWeights;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.sampling.Sampler;
import dev.latent.ml.text.IncrementalDetokenizer;
import dev.latent.ml.text.ReasoningSplitter;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Sinks;

/**
 * One request in flight: its prompt, KV sequence, how far prefill got, what it generated, and the
 * sink its events go to. Mutated only by the scheduler thread, except {@link #cancel}.
 */
final class Sequence {

  final GenerationRequest request;
  final Sinks.Many<GenerationEvent> sink;
  final Sampler sampler;
  final IncrementalDetokenizer detokenizer;
  final ReasoningSplitter splitter;
  final StopMatcher stop;
  final long submittedNanos = System.nanoTime();
  final List<Integer> generated = new ArrayList<>();
  @Nullable KvSequence kv;
  PrefixCache.@Nullable Entry entry;
  /** Blocks admission promised this sequence beyond what it holds now. */
  int promisedBlocks;
  /** Blocks the KV sequence held at the last count. */
  int heldBlocks;
  long firstTokenNanos;
  int cachedTokens;
  int reasoningTokens;
  private volatile boolean cancelled;
  private boolean adapterReleased;

  Sequence(GenerationRequest request, Sinks.Many<GenerationEvent> sink, long seed) {
    this.request = request;
    this.sink = sink;
    this.sampler = new Sampler(request.params().engine(request.model().stopTokens(), seed),
        request.prompt());
    this.detokenizer = new IncrementalDetokenizer(request.model().tokenizer(), true);
    this.splitter = new ReasoningSplitter(request.reasoningOpen());
    this.stop = new StopMatcher(request.params().stop());
  }

  /**
   * Takes the blocks the engine reserved for this sequence since the last count (inside its
   * step) off the ones admission promised it.
   */
  void settleBlocks() {
    int held = kv == null ? 0 : kv.blocks().size();
    promisedBlocks = Math.max(0, promisedBlocks - (held - heldBlocks));
    heldBlocks = held;
  }

  int promptLength() {
    return request.prompt().length;
  }

  /** Tokens whose K/V are in the cache. */
  int computed() {
    return kv == null ? 0 : kv.length();
  }

  boolean prefilling() {
    return computed() < promptLength();
  }

  /** The LoRA adapter's weights for this sequence, null for the base model. */
  @Nullable LoraWeights lora() {
    Adapter a = request.model().adapter();
    return a == null ? null : a.weights();
  }

  /** Where this sequence's prefix-cache keys start: per adapter, so no K/V crosses adapters. */
  long prefixRoot(PrefixCache cache) {
    Adapter a = request.model().adapter();
    return a == null ? cache.root() : a.prefixRoot();
  }

  /** Gives back the adapter reference taken at submit (once). */
  void releaseAdapter() {
    Adapter a = request.model().adapter();
    if (a != null && !adapterReleased) {
      adapterReleased = true;
      a.release();
    }
  }

  void cancel() {
    cancelled = true;
  }

  boolean cancelled() {
    return cancelled;
  }

  Usage usage() {
    return Usage.of(promptLength(), cachedTokens, generated.size(), reasoningTokens);
  }
}
