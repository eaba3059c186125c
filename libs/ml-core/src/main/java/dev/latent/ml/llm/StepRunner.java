package dev.latent.ml.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.block.LowRankDelta;
import dev.latent.ml.llm.block.Step;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.kernel.KernelWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One cached forward step for serving: appends {@code t} tokens to each of a batch of sequences
 * (each at its own position), writes their K/V into the paged cache and returns float32 logits.
 * Prefill chunks are steps of one sequence with {@code t > 1}; decode is {@code t = 1}; a ragged
 * step gives each sequence its own count (decode rows and prompt chunks together, see
 * {@link #step(List, List, List, int)}). Every array lives in one scope per step.
 */
final class StepRunner {

  private final TransformerConfig config;
  private final DataType dtype;
  private final Network network;
  private final NDManager manager;
  private long raggedSteps;

  StepRunner(TransformerConfig config, DataType dtype, Network network, NDManager manager) {
    this.config = config;
    this.dtype = dtype;
    this.network = network;
    this.manager = manager;
  }

  /**
   * Runs the step; {@code tokens} holds {@code t} tokens per sequence, sequence-major. Returns the
   * logits of the last token of each sequence {@code [B][V]}, or of every token when
   * {@code allPositions} {@code [B*T][V]}. Adapters must already be checked against the model.
   */
  float[][] step(List<KvSequence> seqs, int[] tokens, int t, boolean allPositions,
      @Nullable List<@Nullable LoraWeights> adapters) {
    int[] counts = new int[seqs.size()];
    Arrays.fill(counts, t);
    PagedKvCache cache = reserve(seqs, tokens, counts);
    int len = 0;
    for (KvSequence seq : seqs) {
      len = Math.max(len, seq.length() + t);
    }
    float[][] logits;
    int context = len;
    try (NDManager m = manager.newSubManager()) {
      // serving never needs autograd; a thread's PyTorch default is on (and the kernels need it off)
      logits = KernelWeights.withoutAutograd(() -> run(m, seqs, tokens, t, context, cache, allPositions, adapters));
    }
    seqs.forEach(s -> s.advance(t));
    return logits;
  }

  /**
   * A ragged step: {@code tokens.get(i)} (one token or more) appended to {@code seqs.get(i)}.
   * Returns the logits after each sequence's last new token {@code [B][V]}. Runs as one pass of
   * the Java kernels ({@link #ragged}) when it can, else as what exists: the one-token sequences
   * in one decode step, then each longer one as its own prefill step (in chunks of
   * {@code chunk}).
   */
  float[][] step(List<KvSequence> seqs, List<int[]> tokens, @Nullable List<@Nullable LoraWeights> adapters,
      int chunk) {
    int[] counts = new int[seqs.size()];
    int total = 0;
    for (int i = 0; i < counts.length; i++) {
      counts[i] = tokens.get(i).length;
      if (counts[i] == 0) {
        throw new IllegalArgumentException("sequence " + i + " of the step has no tokens");
      }
      total += counts[i];
    }
    int[] flat = new int[total];
    int at = 0;
    for (int[] t : tokens) {
      System.arraycopy(t, 0, flat, at, t.length);
      at += t.length;
    }
    PagedKvCache cache = reserve(seqs, flat, counts);
    boolean baseOnly = adapters == null || adapters.stream().allMatch(a -> a == null);
    if (baseOnly && config.mla() == null && config.slidingWindow() == null && cache.keyMemory(0) != null
        && network.decodesInJava(1)) {
      float[][] logits = ragged(seqs, flat, counts, cache);
      if (logits != null) {
        raggedSteps++;
        for (int i = 0; i < counts.length; i++) {
          seqs.get(i).advance(counts[i]);
        }
        return logits;
      }
    }
    return separately(seqs, tokens, adapters, chunk);
  }

  /** How many {@link #step(List, List, List, int)} calls ran as one Java pass. */
  long raggedSteps() {
    return raggedSteps;
  }

  /** The fallback of {@link #step(List, List, List, int)}: decode rows together, each prompt chunk alone. */
  private float[][] separately(List<KvSequence> seqs, List<int[]> tokens,
      @Nullable List<@Nullable LoraWeights> adapters, int chunk) {
    float[][] out = new float[seqs.size()][];
    List<Integer> single = new ArrayList<>();
    for (int i = 0; i < seqs.size(); i++) {
      if (tokens.get(i).length == 1) {
        single.add(i);
      }
    }
    if (!single.isEmpty()) {
      List<KvSequence> decoding = new ArrayList<>(single.size());
      int[] next = new int[single.size()];
      List<@Nullable LoraWeights> their = adapters == null ? null : new ArrayList<>(single.size());
      for (int j = 0; j < next.length; j++) {
        int i = single.get(j);
        decoding.add(seqs.get(i));
        next[j] = tokens.get(i)[0];
        if (their != null) {
          their.add(adapters.get(i));
        }
      }
      float[][] logits = step(decoding, next, 1, false, their);
      for (int j = 0; j < next.length; j++) {
        out[single.get(j)] = logits[j];
      }
    }
    for (int i = 0; i < seqs.size(); i++) {
      int[] t = tokens.get(i);
      if (t.length == 1) {
        continue;
      }
      List<@Nullable LoraWeights> its = adapters == null || adapters.get(i) == null ? null
          : java.util.Collections.singletonList(adapters.get(i));
      for (int from = 0; from < t.length; from += chunk) {
        int[] part = Arrays.copyOfRange(t, from, Math.min(t.length, from + chunk));
        out[i] = step(List.of(seqs.get(i)), part, part.length, false, its)[0];
      }
    }
    return out;
  }

  /**
   * Checks a step ({@code counts[i]} of {@code tokens} for {@code seqs.get(i)}) and reserves the
   * cache blocks its tokens go to; returns the shared cache.
   */
  private PagedKvCache reserve(List<KvSequence> seqs, int[] tokens, int[] counts) {
    int b = seqs.size();
    PagedKvCache cache = seqs.getFirst().cache();
    if (new HashSet<>(seqs).size() != b) {
      throw new IllegalArgumentException("a sequence appears twice in one step");
    }
    for (int token : tokens) {
      if (token < 0 || token >= config.vocabSize()) {
        throw new IllegalArgumentException("token id " + token + " outside vocabulary of " + config.vocabSize());
      }
    }
    for (int i = 0; i < b; i++) {
      KvSequence seq = seqs.get(i);
      if (seq.cache() != cache) {
        throw new IllegalArgumentException("all sequences of a step must share one cache");
      }
      if (seq.length() + counts[i] > config.maxPositions()) {
        throw new IllegalArgumentException("sequence would exceed max_position_embeddings ("
            + config.maxPositions() + ")");
      }
    }
    for (int i = 0; i < b; i++) {
      cache.reserve(seqs.get(i), seqs.get(i).length() + counts[i]);
    }
    return cache;
  }

  /**
   * The ragged step in the Java kernels ({@link Network#decode}): every new token is one row at its
   * own position, attending over its sequence's keys up to and including itself (one slice of the
   * pools, so a prompt chunk is causal by construction); only each sequence's last row goes
   * through the final norm and the LM head. Null when a sequence's blocks are not one run.
   * Every row's arithmetic is independent of the other rows (the kernels compute each output
   * the same way for every batch), so a sequence gets the same bits in any company.
   */
  private float @Nullable [][] ragged(List<KvSequence> seqs, int[] tokens, int[] counts, PagedKvCache cache) {
    int n = tokens.length;
    int[] positions = new int[n];
    int[] last = new int[seqs.size()];
    List<Step.Keys> keys = new ArrayList<>(n);
    int row = 0;
    for (int s = 0; s < seqs.size(); s++) {
      KvSequence seq = seqs.get(s);
      int start = seq.length();
      long first = seq.contiguousStart(start + counts[s]);
      if (first < 0) {
        return null;
      }
      for (int i = 0; i < counts[s]; i++) {
        positions[row++] = start + i;
        keys.add(new Step.Keys(start + i + 1, first, null, null));
      }
      last[s] = row - 1;
    }
    float[] flat = network.decode(tokens, positions, cache, keys, last);
    int v = config.vocabSize();
    float[][] out = new float[last.length][v];
    for (int s = 0; s < out.length; s++) {
      System.arraycopy(flat, s * v, out[s], 0, v);
    }
    return out;
  }

  private float[][] run(NDManager m, List<KvSequence> seqs, int[] tokens, int t, int len,
      PagedKvCache cache, boolean allPositions, @Nullable List<@Nullable LoraWeights> adapters) {
    int b = seqs.size();
    if (t == 1 && adapters == null && config.mla() == null && cache.keyMemory(0) != null
        && network.decodesInJava(b)) {
      float[][] logits = decodeInJava(m, seqs, tokens, cache);
      if (logits != null) {
        return logits;
      }
    }
    int[] positions = new int[b * t];
    long[] write = new long[b * t];
    long[] read = new long[b * len];
    float[] mask = new float[b * t * len];
    for (int s = 0; s < b; s++) {
      KvSequence seq = seqs.get(s);
      int start = seq.length();
      for (int i = 0; i < t; i++) {
        positions[s * t + i] = start + i;
        write[s * t + i] = seq.slot(start + i);
        for (int k = 0; k < len; k++) {
          mask[(s * t + i) * len + k] = network.visible(start + i, k) ? 0f : Float.NEGATIVE_INFINITY;
        }
      }
      for (int k = 0; k < start + t; k++) {
        read[s * len + k] = seq.slot(k); // past start + t: slot 0, masked out above
      }
    }
    boolean allVisible = true;
    for (float f : mask) {
      allVisible &= f == 0f;
    }
    NDList cosSin = network.rope(m, positions, b, t);
    // MHA/GQA/MQA attend one sequence at a time over exactly its keys (a slice of the pool when
    // its blocks are adjacent): no [B, L] gather, no padding, no mask for a decoding sequence
    List<Step.Keys> keys = config.mla() != null ? null : sequenceKeys(m, seqs, t);
    // a single sequence decoding one token sees its whole cache: no mask op at all
    Step step = new Step(m, b, t, cosSin.get(0), cosSin.get(1),
        allVisible || keys != null ? null : m.create(mask, new Shape(b, 1, t, len)).toType(dtype, false),
        cache, m.create(write), keys != null ? null : m.create(read, new Shape(b, len)),
        adapterRows(m, adapters, b, t), keys);
    long[] ids = new long[tokens.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = tokens[i];
    }
    NDArray x = network.layers(network.embed(m, m.create(ids)), step); // [B*T, dim]
    if (t > 1 && !allPositions) {
      x = x.reshape(b, t, config.hiddenSize()).get(new NDIndex(":, -1, :")); // last token of each
    }
    float[] flat = network.logits(network.norm(x)).toType(DataType.FLOAT32, false).toFloatArray();
    int v = config.vocabSize();
    int rows = flat.length / v;
    float[][] out = new float[rows][v];
    for (int s = 0; s < rows; s++) {
      System.arraycopy(flat, s * v, out[s], 0, v);
    }
    return out;
  }

  /**
   * The decode step in the Java kernels ({@link Network#decode}) when every sequence's keys are one
   * slice of the pools without a mask; null otherwise (then the DJL step runs).
   */
  private float @Nullable [][] decodeInJava(NDManager m, List<KvSequence> seqs, int[] tokens, PagedKvCache cache) {
    List<Step.Keys> keys = sequenceKeys(m, seqs, 1);
    for (Step.Keys k : keys) {
      if (k.slots() != null || k.mask() != null) {
        return null;
      }
    }
    int[] positions = new int[seqs.size()];
    for (int s = 0; s < positions.length; s++) {
      positions[s] = seqs.get(s).length();
    }
    float[] flat = network.decode(tokens, positions, cache, keys);
    int v = config.vocabSize();
    float[][] out = new float[positions.length][v];
    for (int s = 0; s < out.length; s++) {
      System.arraycopy(flat, s * v, out[s], 0, v);
    }
    return out;
  }

  /** Where each sequence's keys are once this step's {@code t} tokens are written (see {@link Step.Keys}). */
  private List<Step.Keys> sequenceKeys(NDManager m, List<KvSequence> seqs, int t) {
    List<Step.Keys> out = new ArrayList<>(seqs.size());
    for (KvSequence seq : seqs) {
      int start = seq.length();
      int length = start + t;
      long first = seq.contiguousStart(length);
      NDArray slots = null;
      if (first < 0) {
        long[] read = new long[length];
        for (int k = 0; k < length; k++) {
          read[k] = seq.slot(k);
        }
        slots = m.create(read);
      }
      NDArray mask = null;
      if (t > 1 || config.slidingWindow() != null) {
        float[] values = new float[t * length];
        boolean any = false;
        for (int i = 0; i < t; i++) {
          for (int k = 0; k < length; k++) {
            boolean hidden = !network.visible(start + i, k);
            values[i * length + k] = hidden ? Float.NEGATIVE_INFINITY : 0f;
            any |= hidden;
          }
        }
        if (any) {
          mask = m.create(values, new Shape(1, t, length)).toType(dtype, false);
        }
      }
      out.add(new Step.Keys(length, first, slots, mask));
    }
    return out;
  }

  /**
   * Each distinct adapter of the step with the rows ({@code [B*T, 1]} 0/1 mask) of the sequences
   * using it; no mask when all sequences use the same one.
   */
  private @Nullable List<LowRankDelta.Rows> adapterRows(NDManager m,
      @Nullable List<@Nullable LoraWeights> adapters, int b, int t) {
    if (adapters == null) {
      return null;
    }
    Map<LoraWeights, float[]> rows = new IdentityHashMap<>();
    for (int s = 0; s < adapters.size(); s++) {
      LoraWeights a = adapters.get(s);
      if (a != null) {
        Arrays.fill(rows.computeIfAbsent(a, k -> new float[b * t]), s * t, (s + 1) * t, 1f);
      }
    }
    if (rows.isEmpty()) {
      return null;
    }
    List<LowRankDelta.Rows> out = new ArrayList<>(rows.size());
    boolean one = rows.size() == 1 && !adapters.contains(null);
    rows.forEach((a, mask) -> out.add(new LowRankDelta.Rows(a, one ? null
        : m.create(mask, new Shape((long) b * t, 1)).toType(dtype, false))));
    return out;
  }
}
