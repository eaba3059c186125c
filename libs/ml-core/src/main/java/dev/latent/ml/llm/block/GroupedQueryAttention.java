package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.block.Weights.Init;
import dev.latent.ml.llm.block.Weights.Part;
import dev.latent.ml.llm.cache.KvFormat;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.kernel.KernelWeights;
import dev.latent.ml.llm.kernel.MatrixKernel;
import dev.latent.ml.llm.kernel.RowSplit;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Multi-head attention with {@code numKvHeads} key/value heads shared by groups of
 * {@code numHeads / numKvHeads} query heads: MHA when equal, MQA when 1, GQA in between.
 * q, k and v come from one fused projection; RoPE rotates q and k in one op.
 */
public final class GroupedQueryAttention implements Attention {

  private final int layer;
  private final int heads;
  private final int kvHeads;
  private final int headDim;
  private final float scale;
  private final Rope rope;
  private final NDArray qkv; // [(H + 2*Hkv) * hd, dim]
  private final @Nullable NDArray qkvBias;
  private final NDArray out; // [dim, H * hd]
  private final NDArray scaleScalar; // made once: DJL's mul(Number) makes a native scalar per call

  public GroupedQueryAttention(TransformerConfig c, int layer, Weights w, Rope rope) {
    this.layer = layer;
    this.heads = c.numHeads();
    this.kvHeads = c.numKvHeads();
    this.headDim = c.headDim();
    this.scale = (float) (1.0 / Math.sqrt(headDim));
    this.rope = rope;
    String p = "model.layers." + layer + ".self_attn.";
    qkv = w.fused(p + "qkv_proj.weight", c.hiddenSize(), Init.MATRIX,
        new Part(p + "q_proj.weight", (long) heads * headDim),
        new Part(p + "k_proj.weight", (long) kvHeads * headDim),
        new Part(p + "v_proj.weight", (long) kvHeads * headDim));
    qkvBias = !c.attentionBias() ? null : w.fused(p + "qkv_proj.bias", -1, Init.BIAS,
        new Part(p + "q_proj.bias", (long) heads * headDim),
        new Part(p + "k_proj.bias", (long) kvHeads * headDim),
        new Part(p + "v_proj.bias", (long) kvHeads * headDim));
    out = w.single(p + "o_proj.weight", new Shape(c.hiddenSize(), (long) heads * headDim), Init.MATRIX);
    scaleScalar = out.getManager().create(scale);
  }

  @Override
  public NDArray forward(NDArray x, Step s) {
    int b = s.batch();
    int t = s.tokens();
    int groups = heads / kvHeads;
    NDArray proj = Projection.apply(x, qkv, qkvBias, s);
    proj = proj.reshape(b, t, heads + 2L * kvHeads, headDim); // [B, T, H + 2Hkv, hd]
    // split (views, one native call each) rather than index gets (four calls each)
    NDList qkAndV = proj.split(new long[] {heads + kvHeads}, 2);
    NDList qAndK = rope.apply(qkAndV.get(0), s.cos(), s.sin()).split(new long[] {heads}, 2);
    NDArray q = qAndK.get(0); // [B, T, H, hd]
    NDArray k = qAndK.get(1); // [B, T, Hkv, hd]
    NDArray v = qkAndV.get(1); // [B, T, Hkv, hd]
    PagedKvCache cache = s.cache();
    if (cache != null && s.sequences() != null) {
      cache.write(layer, s.writeSlots(), k.reshape(s.rows(), kvHeads, headDim),
          v.reshape(s.rows(), kvHeads, headDim));
      NDArray ctx = PoolAttention.applies(s, cache, layer)
          ? PoolAttention.attend(q.mul(scaleScalar), cache, layer, s, heads, kvHeads, headDim)
          : perSequence(q, cache, s);
      return Projection.apply(ctx, out, null, s);
    }
    if (cache != null) {
      cache.write(layer, s.writeSlots(), k.reshape(s.rows(), kvHeads, headDim),
          v.reshape(s.rows(), kvHeads, headDim));
      k = cache.keys(layer, s.readSlots(), s.manager(), q.getDataType()); // [B, L, Hkv, hd]
      v = cache.values(layer, s.readSlots(), s.manager(), q.getDataType());
    }
    long len = k.getShape().get(1);
    // query heads grouped under their kv head: [B, Hkv, g*T, hd]
    NDArray qg = q.mul(scaleScalar).transpose(0, 2, 1, 3).reshape(b, kvHeads, (long) groups * t, headDim);
    NDArray scores = qg.matMul(k.transpose(0, 2, 3, 1)); // [B, Hkv, g*T, L]
    NDArray mask = s.mask();
    if (mask != null) {
      scores = scores.reshape(b, kvHeads, groups, t, len).add(mask.expandDims(1)) // mask [B, 1, 1, T, L]
          .reshape(b, kvHeads, (long) groups * t, len);
    }
    NDArray probs = softmax(scores);
    NDArray ctx = probs.matMul(v.transpose(0, 2, 1, 3)) // [B, Hkv, g*T, hd]
        .reshape(b, heads, t, headDim)
        .transpose(0, 2, 1, 3)
        .reshape(s.rows(), (long) heads * headDim);
    return Projection.apply(ctx, out, null, s);
  }

  /** Whether {@link #decode} can run for {@code n} rows: both matrices have a Java kernel. */
  boolean decodesInJava(int n) {
    MatrixKernel a = KernelWeights.of(qkv);
    MatrixKernel b = KernelWeights.of(out);
    return !rope.interleaved() && a != null && b != null && n <= a.maxRows() && n <= b.maxRows();
  }

  /**
   * {@link #forward} for one new token per sequence on arrays: {@code x [n, dim]} (normed) to the
   * attention output {@code [n, dim]}. Writes the new K/V into the pools' memory (rounded to the
   * cache's {@link KvFormat}) and attends
   * over each sequence's slice there ({@link PoolAttentionKernel}).
   */
  float[] decode(float[] x, int n, PagedKvCache cache, List<Step.Keys> seqs, float[] cos, float[] sin) {
    int threads = KernelWeights.threads();
    int qWidth = heads * headDim;
    int kvWidth = kvHeads * headDim;
    int width = qWidth + 2 * kvWidth;
    float[] proj = new float[n * width];
    KernelWeights.registered(qkv).matMul(x, n, proj, threads);
    if (qkvBias != null) {
      float[] bias = qkvBias.toFloatArray();
      for (int i = 0; i < proj.length; i++) {
        proj[i] += bias[i % width];
      }
    }
    Rope.apply(proj, n, width, heads + kvHeads, cos, sin); // q and k heads lie first in each row
    MemorySegment keys = cache.keyMemory(layer);
    MemorySegment values = cache.valueMemory(layer);
    KvFormat format = cache.format();
    long rowBytes = (long) kvWidth * format.bytes();
    float[] q = new float[n * qWidth];
    int maxLength = 0;
    for (int i = 0; i < n; i++) {
      Step.Keys seq = seqs.get(i);
      long slot = (seq.start() + seq.length() - 1) * rowBytes; // this token's row
      format.store(proj, i * width + qWidth, keys, slot, kvWidth);
      format.store(proj, i * width + qWidth + kvWidth, values, slot, kvWidth);
      for (int j = 0; j < qWidth; j++) {
        q[i * qWidth + j] = proj[i * width + j] * scale;
      }
      maxLength = Math.max(maxLength, seq.length());
    }
    float[] ctx = new float[n * qWidth];
    int longest = maxLength;
    long kvBytes = 0;
    for (Step.Keys seq : seqs) {
      kvBytes += 2 * seq.length() * rowBytes;
    }
    // sequences split over the engine's threads like matrix rows (each writes only its own ctx rows)
    RowSplit.run(n, 1, kvBytes, threads, (from, to) -> {
      float[] scores = new float[heads * longest];
      for (int i = from; i < to; i++) {
        Step.Keys seq = seqs.get(i);
        PoolAttentionKernel.attend(q, i * qWidth, keys, values, format, seq.start() * rowBytes, rowBytes,
            seq.length(), heads, heads / kvHeads, headDim, scores, ctx);
      }
    });
    MatrixKernel o = KernelWeights.registered(out);
    float[] y = new float[n * o.rows()];
    o.matMul(ctx, n, y, threads);
    return y;
  }

  /**
   * Attention of each sequence over exactly its own cached keys: a slice of the pool
   * {@code [len, Hkv, hd]} (a view) when its blocks are adjacent, else a gather of its slots.
   * Returns the context {@code [B*T, H*hd]}.
   */
  private NDArray perSequence(NDArray q, PagedKvCache cache, Step s) {
    int b = s.batch();
    int t = s.tokens();
    int groups = heads / kvHeads;
    NDManager m = s.manager();
    // query heads grouped under their kv head: [B, Hkv, g*T, hd]
    NDArray qg = q.mul(scaleScalar).transpose(0, 2, 1, 3).reshape(b, kvHeads, (long) groups * t, headDim);
    NDList perSeqQ = b == 1 ? new NDList(qg) : qg.split(b, 0); // [1, Hkv, g*T, hd] views
    DataType type = q.getDataType();
    NDList ctx = new NDList(b);
    for (int i = 0; i < b; i++) {
      Step.Keys seq = s.sequences().get(i);
      NDArray k; // [L, Hkv, hd]
      NDArray v;
      if (seq.slots() == null) {
        k = cache.keys(layer, seq.start(), seq.start() + seq.length(), m, type);
        v = cache.values(layer, seq.start(), seq.start() + seq.length(), m, type);
      } else {
        k = cache.keys(layer, seq.slots(), m, type);
        v = cache.values(layer, seq.slots(), m, type);
      }
      NDArray qi = perSeqQ.get(i).reshape(kvHeads, (long) groups * t, headDim);
      NDArray scores = qi.matMul(k.transpose(1, 2, 0)); // [Hkv, g*T, L]
      if (seq.mask() != null) { // [1, T, L] against [Hkv, g, T, L]
        scores = scores.reshape(kvHeads, groups, t, seq.length()).add(seq.mask())
            .reshape(kvHeads, (long) groups * t, seq.length());
      }
      ctx.add(softmax(scores).matMul(v.transpose(1, 0, 2))); // [Hkv, g*T, hd]
    }
    return NDArrays.stack(ctx) // [B, Hkv, g*T, hd]
        .reshape(b, heads, t, headDim)
        .transpose(0, 2, 1, 3)
        .reshape(s.rows(), (long) heads * headDim);
  }

  /** Softmax in float32 whatever the weights' dtype: bf16 exponent sums lose too much. */
  static NDArray softmax(NDArray scores) {
    DataType type = scores.getDataType();
    if (type == DataType.FLOAT32) {
      return scores.softmax(-1);
    }
    return scores.toType(DataType.FLOAT32, false).softmax(-1).toType(type, false);
  }

  /** Adds the step's mask when there is one ({@code [B, 1, T, L]} against {@code [B, H, T, L]}). */
  static NDArray masked(NDArray scores, Step s) {
    NDArray mask = s.mask();
    return mask == null ? scores : scores.add(mask);
  }
}
