package dev.latent.inference.runtime;

import dev.latent.inference.usage.UsageStore;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.support.problem.ProblemException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * Continuous batching for one model, on its own single-thread executor (never a Netty thread).
 *
 * <p>Each step: drop cancelled sequences and free their blocks; admit waiting ones while the batch
 * has room and the KV pool has blocks for prompt + max_tokens (prefix-cache hits are copied in and
 * count as computed); compute prompt chunks and one token of every sequence past its prompt, as the
 * {@link PrefillMode} says: in one engine step within {@code stepTokenBudget} tokens ({@code mixed}),
 * or through the {@link PrefillWorker}, at most {@code prefillChunk} tokens in all, before
 * ({@code first}) or beside ({@code beside}) a batched decode step (a long prompt does not stall
 * the others); sample, stream, and retire finished sequences. Finished chunks are collected at the
 * start of a step (waited for when nothing else can run). Requests join and leave between steps.
 */
public final class Scheduler implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

  private final String modelId;
  private final Transformer model;
  private final PagedKvCache cache;
  final PrefixCache prefixCache;
  private final RuntimeProperties properties;
  private final UsageStore usage;
  private final RuntimeMetrics metrics;
  private final LinkedBlockingQueue<Sequence> waiting;
  private final Deque<Sequence> admitting = new ArrayDeque<>();
  private final List<Sequence> running = new ArrayList<>();
  private final ThreadPoolExecutor executor;
  private final StepSampler sampler;
  private final EngineStep engineStep;
  private final PrefillWorker prefill;
  private final AtomicLong seeds = new AtomicLong(0x5EED);
  private volatile int runningCount;
  private volatile int blocksInUse;
  private volatile int admittingCount;
  private volatile double hitRate;
  private volatile int engineThreads;
  private volatile boolean closed;

  Scheduler(String modelId, Transformer model, PagedKvCache cache, RuntimeProperties properties,
      UsageStore usage, RuntimeMetrics metrics) {
    this.modelId = modelId;
    this.model = model;
    this.cache = cache;
    this.properties = properties;
    this.usage = usage;
    this.metrics = metrics;
    this.prefixCache = new PrefixCache(cache, modelId.hashCode());
    this.waiting = new LinkedBlockingQueue<>(properties.queue());
    this.sampler = new StepSampler(modelId);
    this.engineStep = new EngineStep(this, sampler);
    this.prefill = new PrefillWorker(modelId, model, properties.threads());
    this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1),
        Thread.ofPlatform().name("scheduler-" + modelId).daemon().factory());
    metrics.register(modelId, this);
    executor.execute(this::loop);
  }

  /** Tokens the KV pool can hold for one sequence. */
  public int capacityTokens() {
    return cache.numBlocks() * cache.blockSize();
  }

  /**
   * Queues a request; its events arrive on the returned flux. Cancelling the subscription stops
   * the sequence at the next step and frees its blocks.
   *
   * @throws ProblemException 429 with Retry-After when the queue is full, 503 when closing or
   *     when the request can never fit the KV cache
   */
  public Flux<GenerationEvent> submit(GenerationRequest request) {
    if (closed) {
      throw ProblemException.overloaded(HttpStatus.SERVICE_UNAVAILABLE,
          "the model " + modelId + " is unloading", properties.retryAfter());
    }
    int total = request.prompt().length + request.params().maxTokens();
    if (prefixCache.blocksFor(total) > cache.numBlocks()) {
      throw ProblemException.overloaded(HttpStatus.SERVICE_UNAVAILABLE,
          "prompt + max_tokens (" + total + ") exceed the KV cache of " + capacityTokens()
              + " tokens", properties.retryAfter());
    }
    Adapter adapter = request.model().adapter();
    if (adapter != null && !adapter.acquire()) {
      throw ProblemException.notFound("model_not_found", "The model '" + request.model().id()
          + "' does not exist or is not loaded");
    }
    Sinks.Many<GenerationEvent> sink = Sinks.many().unicast().onBackpressureBuffer();
    var sequence = new Sequence(request, sink, seeds.incrementAndGet());
    // Recorded before the scheduler can see the sequence, so its final record is never
    // overwritten by this first one.
    usage.put(request.requestId(), request.model().id(), false, null, sequence.usage());
    if (!waiting.offer(sequence)) {
      sequence.releaseAdapter();
      usage.remove(request.requestId());
      metrics.rejected(request.model().id());
      throw ProblemException.overloaded(HttpStatus.TOO_MANY_REQUESTS,
          "too many requests are waiting for " + modelId, properties.retryAfter());
    }
    // Subscribers (chunk JSON, SSE encoding, the socket write) run on Reactor's parallel workers,
    // not on this model's scheduler thread: the next engine step does not wait for them.
    return sink.asFlux().publishOn(Schedulers.parallel()).doOnCancel(sequence::cancel);
  }

  int runningCount() {
    return runningCount;
  }

  int waitingCount() {
    return waiting.size() + admittingCount;
  }

  /** Fraction of KV blocks held by running sequences (idle prefix-cache blocks are reclaimable). */
  double kvUsage() {
    return (double) blocksInUse / cache.numBlocks();
  }

  /** KV blocks held by running sequences, as of the last step. */
  public int blocksInUse() {
    return blocksInUse;
  }

  /** KV bytes per token in the cache's dtype. */
  long kvBytesPerToken() {
    return cache.bytesPerToken();
  }

  /** PyTorch threads this model's decode steps run with (0 until its thread started). */
  int engineThreads() {
    return engineThreads;
  }

  /** Bytes of the model's f32 panel copies (made at each matrix's first product). */
  double panelBytes() {
    return model.panelBytes();
  }

  /** Mixed steps that ran as one pass of the engine's Java kernels. */
  double javaSteps() {
    return model.javaSteps();
  }

  /** Prompt tokens served from the prefix cache per prompt token looked up. */
  double prefixHitRate() {
    return hitRate;
  }

  private void publish() {
    runningCount = running.size();
    admittingCount = admitting.size();
    int held = 0;
    for (Sequence s : running) {
      held += s.kv == null ? 0 : s.kv.blocks().size();
    }
    blocksInUse = held;
    hitRate = prefixCache.hitRate();
  }

  private void loop() {
    // the decode kernels split rows over this thread's PyTorch count
    engineThreads = EngineThreads.use(EngineThreads.full(properties.threads()));
    while (!closed) {
      try {
        if (running.isEmpty() && admitting.isEmpty()) {
          Sequence next = waiting.poll(50, TimeUnit.MILLISECONDS);
          if (next == null) {
            continue;
          }
          admitting.add(next);
        }
        step();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.error("step failed for {}; failing its running sequences", modelId, e);
        try {
          prefill.poll(true); // its sequences' blocks are freed below
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
        for (Sequence s : List.copyOf(running)) {
          retire(s, "error");
          s.sink.tryEmitError(e);
        }
      }
    }
  }

  private void step() throws InterruptedException {
    long start = System.nanoTime();
    dropCancelled();
    admit();
    publish();
    if (running.isEmpty()) {
      return;
    }
    finishPrefill(prefill.poll(false));
    List<Sequence> decoding = new ArrayList<>();
    List<Sequence> prefilling = new ArrayList<>();
    for (Sequence s : running) {
      if (prefill.computing(s)) {
        continue;
      }
      if (s.prefilling()) {
        prefilling.add(s);
      } else if (s.computed() < s.promptLength() + s.generated.size()) {
        decoding.add(s);
      }
    }
    if (properties.prefillMode() == PrefillMode.MIXED) {
      // decode tokens and prompt chunks in one engine step, within the step's token budget
      engineStep.run(StepRows.plan(decoding, prefilling, properties.stepTokenBudget()), true);
    } else {
      separate(decoding, prefilling);
    }
    publish();
    metrics.step(modelId, System.nanoTime() - start);
  }

  /** The {@code first} and {@code beside} modes: prompt chunks through the prefill worker, then decode. */
  private void separate(List<Sequence> decoding, List<Sequence> prefilling) throws InterruptedException {
    // Chunked prefill on the prefill thread, beside this step's decode: at most prefillChunk
    // prompt tokens per round, so a long prompt does not hold back the sequences that wait for it.
    boolean beside = properties.prefillMode() == PrefillMode.BESIDE && !decoding.isEmpty();
    if (!prefill.busy()) {
      metrics.stepPromptTokens(modelId, prefill.start(prefilling, properties.prefillChunk(), beside));
    }
    if (!beside) { // nothing to decode meanwhile, or chunks first
      long t0 = System.nanoTime();
      finishPrefill(prefill.poll(true));
      metrics.prefillWait(modelId, System.nanoTime() - t0);
    }
    if (!decoding.isEmpty()) {
      engineStep.run(StepRows.decode(decoding), false);
    }
  }

  private void finishPrefill(List<PrefillWorker.Chunk> chunks) {
    for (PrefillWorker.Chunk c : chunks) {
      Sequence s = c.sequence();
      metrics.prefillChunk(modelId, c.engineNanos(), c.threads());
      if (c.error() != null) {
        log.error("prefill failed for a sequence of {}", modelId, c.error());
        retire(s, "error");
        s.sink.tryEmitError(c.error());
        continue;
      }
      s.settleBlocks();
      prefixCache.register(s.entry, s.request.prompt(), s.computed());
      if (!s.prefilling()) {
        Emitter.emit(this, s, c.logits());
      }
    }
  }

  private void dropCancelled() {
    for (Sequence s : List.copyOf(running)) {
      if (s.cancelled() && !prefill.computing(s)) { // a chunk in flight still writes its blocks
        retire(s, "cancelled");
      }
    }
    admitting.removeIf(s -> {
      if (s.cancelled()) {
        s.releaseAdapter();
        usage.put(s.request.requestId(), s.request.model().id(), true, "cancelled", s.usage());
      }
      return s.cancelled();
    });
  }

  private void admit() {
    while (running.size() < properties.maxBatch()) {
      Sequence s = admitting.peek();
      if (s == null) {
        s = waiting.poll();
        if (s == null) {
          return;
        }
        admitting.add(s);
      }
      int[] prompt = s.request.prompt();
      List<PrefixCache.Location> hits = prefixCache.lookup(prompt, s.prefixRoot(prefixCache));
      int need = prefixCache.blocksFor(prompt.length + s.request.params().maxTokens());
      int promised = running.stream().mapToInt(r -> r.promisedBlocks).sum();
      // Worst case reserved up front: a running sequence never finds the pool empty.
      if (!prefixCache.makeRoom(need + promised)) {
        prefixCache.abandon(hits, prompt.length);
        return; // FIFO: the head waits for blocks, later requests wait behind it
      }
      // The whole length at once, in one run of adjacent blocks: the engine's decode then reads
      // the sequence as one slice of the pool. While others run, the head waits for a run rather
      // than take scattered blocks, which would slow every step of the batch until it retires.
      int total = prompt.length + s.request.params().maxTokens();
      KvSequence kv = prefixCache.reserveRun(total);
      if (kv == null && !running.isEmpty()) {
        prefixCache.abandon(hits, prompt.length);
        return;
      }
      if (kv == null) { // nothing running will free a run: its blocks are pinned by its own hits
        kv = cache.newSequence();
        cache.reserveWhole(kv, total);
      }
      admitting.poll();
      s.kv = kv;
      s.entry = prefixCache.track(s.kv, s.prefixRoot(prefixCache));
      s.cachedTokens = prefixCache.copyInto(s.kv, hits);
      s.heldBlocks = s.kv.blocks().size();
      s.promisedBlocks = need - s.heldBlocks;
      prefixCache.register(s.entry, prompt, s.cachedTokens);
      metrics.admitted(s.request.model().id(), prompt.length, s.cachedTokens);
      usage.put(s.request.requestId(), s.request.model().id(), false, null, s.usage());
      running.add(s);
    }
  }

  /** Ends a sequence: its blocks go to the prefix cache (or back to the pool); usage is final. */
  void retire(Sequence s, String finishReason) {
    if (s.kv != null && s.entry != null) {
      cache.trim(s.kv); // the unused rest of its reservation goes back to the pool now
    }
    if (s.entry != null) {
      prefixCache.retire(s.entry);
      s.entry = null;
    }
    s.promisedBlocks = 0;
    s.releaseAdapter();
    running.remove(s);
    publish();
    usage.put(s.request.requestId(), s.request.model().id(), true, finishReason, s.usage());
    metrics.finished(s.request.model().id(), s, finishReason);
  }

  void progress(Sequence s) {
    usage.put(s.request.requestId(), s.request.model().id(), false, null, s.usage());
  }

  Transformer model() {
    return model;
  }

  PrefixCache prefixCache() {
    return prefixCache;
  }

  RuntimeMetrics metrics() {
    return metrics;
  }

  String modelId() {
    return modelId;
  }

  @Override
  public void close() {
    closed = true;
    metrics.unregister(modelId);
    executor.shutdownNow();
    try {
      executor.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    prefill.close(); // before the blocks its chunk writes are freed
    for (Sequence s : List.copyOf(running)) {
      retire(s, "cancelled");
      s.sink.tryEmitError(ProblemException.overloaded(HttpStatus.SERVICE_UNAVAILABLE,
          "the model was unloaded", Duration.ofSeconds(1)));
    }
    for (Sequence s : waiting) {
      s.sink.tryEmitError(ProblemException.overloaded(HttpStatus.SERVICE_UNAVAILABLE,
          "the model was unloaded", Duration.ofSeconds(1)));
    }
    sampler.close();
    cache.close();
    model.close();
  }
}
