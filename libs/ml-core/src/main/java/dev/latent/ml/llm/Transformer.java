package dev.latent.ml.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.block.LowRankDelta;
import dev.latent.ml.llm.block.Weights;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.io.Checkpoint;
import dev.latent.ml.llm.io.CheckpointException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A decoder-only transformer (Llama, Qwen2, Mistral, DeepSeek-V2) on DJL's PyTorch engine: one
 * definition for serving and training.
 *
 * <ul>
 *   <li>Create: {@link #random} (seeded), {@link #load} (HF directory), {@link #save}.
 *   <li>Serve: {@link #newKvCache}, then {@link #prefill} a sequence and {@link #decode} a batch of
 *       sequences one token each, or {@link #step} decoding sequences and prompt chunks together;
 *       all return float32 logits and leave no NDArrays behind.
 *   <li>Train: {@link #forward} (or {@link #hidden} + {@link #logits}, or the pieces of
 *       {@link #trunk}) under a {@code GradientCollector}; {@link #parameters} can be set to
 *       require gradients.
 * </ul>
 *
 * <p>The pieces: {@link Network} (the blocks, top to bottom), {@link StepRunner} (the cached
 * serving step), {@link HfCheckpoints} (HF directories in and out); this class is the API over them
 * and the training forward.
 *
 * <p>Not thread-safe for concurrent steps: drive it from one engine thread (several models or
 * sequences may share that thread).
 */
public final class Transformer implements AutoCloseable {

  /** Long prompts run in chunks so the mask and scores stay {@code chunk × context}, not quadratic. */
  static final int PREFILL_CHUNK = 512;

  private final TransformerConfig config;
  private final ModelOptions options;
  private final NDManager manager;
  private final Weights weights;
  private final Network network;
  private final StepRunner steps;

  private Transformer(TransformerConfig config, ModelOptions options, Weights.Source source) {
    this.config = config;
    this.options = options;
    this.manager = NDManager.newBaseManager(options.device(), "PyTorch");
    try {
      weights = new Weights(manager, options.weightDtype(), source, options.f32Panels()); // BF16: f32 + bf16 twins
      network = new Network(config, weights, options.dtype(), options.absorbedMla());
      steps = new StepRunner(config, options.dtype(), network, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** A model with seeded random weights (same seed, same weights, on any device). */
  public static Transformer random(TransformerConfig config, long seed, ModelOptions options) {
    return new Transformer(config, options, new RandomWeights(seed));
  }

  /**
   * Loads an HF directory ({@code config.json} + {@code model.safetensors} or sharded with
   * {@code model.safetensors.index.json}); weights are converted to {@code options.dtype()}.
   *
   * @throws InvalidConfigException for an unsupported or inconsistent config.json
   * @throws CheckpointException for missing, truncated, corrupt or mis-shaped tensors
   */
  public static Transformer load(Path dir, ModelOptions options) {
    TransformerConfig config = HfConfig.read(dir);
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      return new Transformer(config, options, HfCheckpoints.source(dir, checkpoint));
    }
  }

  /** Saves config.json and model.safetensors (HF names) in the model's dtype. */
  public void save(Path dir) {
    save(dir, Long.MAX_VALUE);
  }

  /** Saves as HF shards of at most {@code maxShardBytes} each, plus the index when sharded. */
  public void save(Path dir, long maxShardBytes) {
    save(dir, maxShardBytes, false);
  }

  /** As {@link #save(Path, long)}; {@code bf16} stores the weights as BF16 (HF's usual dtype). */
  public void save(Path dir, long maxShardBytes, boolean bf16) {
    HfCheckpoints.save(dir, config, weights, options.dtype(), manager, maxShardBytes, bf16);
  }

  public TransformerConfig config() {
    return config;
  }

  public ModelOptions options() {
    return options;
  }

  /** Parameters by name (fused q|k|v and gate|up under {@code *qkv_proj}, {@code *gate_up_proj}). */
  public Map<String, NDArray> parameters() {
    return weights.parameters();
  }

  /**
   * The HF tensor {@code hfName} as stored in this model (a row view of a fused parameter, or the
   * parameter itself): read it, do not close it. For adapters, exports and tests.
   */
  public NDArray tensor(String hfName, NDManager into) {
    return weights.hfTensor(hfName, into);
  }

  /** HF tensor names of this model, in checkpoint order. */
  public java.util.Set<String> tensorNames() {
    return weights.hfSlots().keySet();
  }

  /** Live arrays this model owns (weights and derived views); constant between requests. */
  public int liveArrays() {
    return manager.getManagedArrays().size();
  }

  /** Bytes of all parameters (what a batch-1 decode step reads, bar the embedding rows). */
  public long parameterBytes() {
    return weights.parameters().values().stream()
        .mapToLong(a -> a.getShape().size() * a.getDataType().getNumOfBytes()).sum();
  }

  /**
   * Bytes of this model's float32 panel copies ({@link ModelOptions#f32Panels}) once made: every
   * matrix's, bar an untied embedding table (only looked up, it never gets one). Each copy is made
   * at its matrix's first product; 0 when panels are off or unavailable here.
   */
  public long panelBytes() {
    NDArray table = config.tieWordEmbeddings() ? null : weights.parameters().get("model.embed_tokens.weight");
    return weights.parameters().values().stream().filter(a -> a != table)
        .mapToLong(dev.latent.ml.llm.kernel.KernelWeights::panelBytes).sum();
  }

  /** A paged KV cache for this model on its device, in its dtype. */
  public PagedKvCache newKvCache(int numBlocks, int blockSize) {
    return newKvCache(numBlocks, blockSize, options.dtype());
  }

  /**
   * A paged KV cache storing K/V in {@code kvDtype} whatever the weights' dtype (FLOAT32, FLOAT16,
   * or BFLOAT16 on the CPU; see {@link dev.latent.ml.llm.cache.KvFormat}).
   */
  public PagedKvCache newKvCache(int numBlocks, int blockSize, DataType kvDtype) {
    return new PagedKvCache(config, numBlocks, blockSize, kvDtype, options.device());
  }

  /**
   * Full causal forward without a cache, for training and for checking the cache: token ids
   * {@code [B, T]} to logits {@code [B, T, V]}. Every array it makes is attached to the ids'
   * manager, so the caller's scope (and a {@code GradientCollector}) sees them all.
   */
  public NDArray forward(NDArray tokenIds) {
    int b = (int) tokenIds.getShape().get(0);
    int t = (int) tokenIds.getShape().get(1);
    return logits(hidden(tokenIds, null)).reshape(b, t, config.vocabSize());
  }

  /**
   * The training forward up to the LM head: token ids {@code [B, T]} to final-normed hidden states
   * {@code [B*T, dim]}, with {@code delta} (a LoRA adapter being trained) beside every projection
   * it adapts. Training applies {@link #logits} to slices of it, so the {@code [B*T, V]} logits
   * never exist at once.
   */
  public NDArray hidden(NDArray tokenIds, @Nullable LowRankDelta delta) {
    return trunk(tokenIds, delta).hidden();
  }

  /**
   * The training forward of token ids {@code [B, T]} in pieces (embedding, each layer, final norm)
   * for activation recomputation; its constant inputs (rotary tables, causal mask) are made in the
   * ids' manager.
   */
  public TrainingTrunk trunk(NDArray tokenIds, @Nullable LowRankDelta delta) {
    NDManager m = tokenIds.getManager();
    NDArray ids = tokenIds.reshape(-1).toType(DataType.INT64, false);
    for (long id : ids.toLongArray()) {
      if (id < 0 || id >= config.vocabSize()) { // an index outside the table would crash natively
        throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + config.vocabSize());
      }
    }
    int b = (int) tokenIds.getShape().get(0);
    int t = (int) tokenIds.getShape().get(1);
    int[] positions = new int[b * t];
    for (int i = 0; i < positions.length; i++) {
      positions[i] = i % t;
    }
    float[] mask = new float[t * t];
    for (int q = 0; q < t; q++) {
      for (int k = 0; k < t; k++) {
        mask[q * t + k] = network.visible(q, k) ? 0f : Float.NEGATIVE_INFINITY;
      }
    }
    NDList cosSin = network.rope(m, positions, b, t);
    return new TrainingTrunk(network, ids, b, t, cosSin.get(0), cosSin.get(1),
        m.create(mask, new Shape(1, 1, t, t)).toType(options.dtype(), false), delta);
  }

  /** The LM head: hidden states {@code [N, dim]} to logits {@code [N, V]}. */
  public NDArray logits(NDArray hidden) {
    return network.logits(hidden);
  }

  /**
   * Appends {@code tokens} to {@code seq} (a new prompt, or the rest of one after a cached prefix)
   * and returns the float32 logits of the last one.
   *
   * @throws dev.latent.ml.llm.cache.KvCacheFullException when the cache has too few free blocks
   */
  public float[] prefill(KvSequence seq, int[] tokens) {
    return prefill(seq, tokens, null);
  }

  /** As {@link #prefill(KvSequence, int[])} with a LoRA adapter applied (null: the base model). */
  public float[] prefill(KvSequence seq, int[] tokens, @Nullable LoraWeights adapter) {
    if (tokens.length == 0) {
      throw new IllegalArgumentException("prefill needs at least one token");
    }
    float[][] logits = null;
    for (int from = 0; from < tokens.length; from += PREFILL_CHUNK) {
      int[] chunk = java.util.Arrays.copyOfRange(tokens, from, Math.min(tokens.length, from + PREFILL_CHUNK));
      logits = step(List.of(seq), chunk, chunk.length, false, adapterList(adapter));
    }
    return logits[0];
  }

  /**
   * As {@link #prefill}, but returns the logits after every token {@code [T][V]} (prompt
   * logprobs, {@code echo}); the LM head then runs on all positions.
   */
  public float[][] prefillAll(KvSequence seq, int[] tokens) {
    return prefillAll(seq, tokens, null);
  }

  /** As {@link #prefillAll(KvSequence, int[])} with a LoRA adapter applied (null: the base model). */
  public float[][] prefillAll(KvSequence seq, int[] tokens, @Nullable LoraWeights adapter) {
    if (tokens.length == 0) {
      throw new IllegalArgumentException("prefill needs at least one token");
    }
    float[][] all = new float[tokens.length][];
    for (int from = 0; from < tokens.length; from += PREFILL_CHUNK) {
      int[] chunk = java.util.Arrays.copyOfRange(tokens, from, Math.min(tokens.length, from + PREFILL_CHUNK));
      System.arraycopy(step(List.of(seq), chunk, chunk.length, true, adapterList(adapter)), 0, all, from,
          chunk.length);
    }
    return all;
  }

  /**
   * One decode step: {@code tokens[i]} is appended to {@code seqs.get(i)} (each at its own
   * position) and the float32 logits {@code [B][V]} of the next token are returned. Projections
   * and MLPs run batched; attention reads each sequence's blocks.
   */
  public float[][] decode(List<KvSequence> seqs, int[] tokens) {
    return decode(seqs, tokens, null);
  }

  /**
   * As {@link #decode(List, int[])}, each sequence with its own LoRA adapter: {@code adapters.get(i)}
   * (null: the base model) applies to {@code seqs.get(i)} only, so sequences of several adapters and
   * of the base share one batched step. {@code adapters} null: no adapter at all.
   */
  public float[][] decode(List<KvSequence> seqs, int[] tokens, @Nullable List<@Nullable LoraWeights> adapters) {
    if (seqs.size() != tokens.length || seqs.isEmpty()) {
      throw new IllegalArgumentException("decode needs one token per sequence, got " + tokens.length
          + " tokens for " + seqs.size() + " sequences");
    }
    if (adapters != null && adapters.size() != seqs.size()) {
      throw new IllegalArgumentException("decode needs one adapter (or null) per sequence, got "
          + adapters.size() + " for " + seqs.size() + " sequences");
    }
    return step(seqs, tokens, 1, false, adapters);
  }

  /**
   * One mixed step: appends {@code tokens.get(i)} (one token for a decoding sequence, a prompt
   * chunk for a prefilling one) to {@code seqs.get(i)} and returns the float32 logits after each
   * sequence's last new token {@code [B][V]}. {@code adapters}: one per sequence (null: the base
   * model), or null for none.
   *
   * <p>Without adapters, on the CPU, for MHA/GQA/MQA without a sliding window, and when every
   * sequence's blocks are one run of the pool, the whole step is one pass of the Java kernels: the
   * weights are read once for all rows, each new token is a row at its position attending over
   * its sequence's keys up to itself, and only each sequence's last row goes through the LM head.
   * Each row is computed independently of the others, so a sequence's logits (and cached K/V) are
   * bit for bit the same whatever else shares the step. Otherwise the step runs as
   * {@link #decode} of the one-token sequences and {@link #prefill} of each longer one (DJL; the
   * prompt chunks' results then differ from the Java pass within float rounding).
   *
   * @throws dev.latent.ml.llm.cache.KvCacheFullException when the cache has too few free blocks
   */
  public float[][] step(List<KvSequence> seqs, List<int[]> tokens, @Nullable List<@Nullable LoraWeights> adapters) {
    if (seqs.isEmpty() || seqs.size() != tokens.size()) {
      throw new IllegalArgumentException("a step needs one token array per sequence, got " + tokens.size()
          + " for " + seqs.size() + " sequences");
    }
    if (adapters != null && adapters.size() != seqs.size()) {
      throw new IllegalArgumentException("a step needs one adapter (or null) per sequence, got "
          + adapters.size() + " for " + seqs.size() + " sequences");
    }
    checkAdapters(adapters);
    return steps.step(seqs, tokens, adapters, PREFILL_CHUNK);
  }

  /**
   * How many {@link #step(List, List, List)} calls so far ran as one pass of the Java kernels (the
   * rest ran separately on what exists); for metrics, benchmarks and tests.
   */
  public long javaSteps() {
    return steps.raggedSteps();
  }

  private static @Nullable List<@Nullable LoraWeights> adapterList(@Nullable LoraWeights adapter) {
    return adapter == null ? null : java.util.Collections.singletonList(adapter);
  }

  private float[][] step(List<KvSequence> seqs, int[] tokens, int t, boolean allPositions,
      @Nullable List<@Nullable LoraWeights> adapters) {
    checkAdapters(adapters);
    return steps.step(seqs, tokens, t, allPositions, adapters);
  }

  private void checkAdapters(@Nullable List<@Nullable LoraWeights> adapters) {
    if (adapters != null) {
      for (LoraWeights a : adapters) {
        if (a != null && !a.belongsTo(this)) {
          throw new IllegalArgumentException("adapter " + a.name() + " was loaded for another model");
        }
      }
    }
  }

  /** Where HF tensor {@code hfName} lives (for adapters), or null when this model has none. */
  Weights.@Nullable Slot slot(String hfName) {
    return weights.hfSlots().get(hfName);
  }

  NDManager manager() {
    return manager;
  }

  @Override
  public void close() {
    manager.close();
  }
}
