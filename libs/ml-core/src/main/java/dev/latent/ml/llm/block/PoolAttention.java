package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Decode attention (one new token per sequence) computed with the Java Vector API straight from
 * the K/V pools' memory, for pools on the CPU (f32, or 16-bit widened as read: see
 * {@link dev.latent.ml.llm.cache.KvFormat}) and sequences whose keys are one slice of the pool. Through DJL every sequence and layer costs two batched GEMMs with M = 1 (MKL's
 * sgemm_batch: ~240 µs for a 786 KB key slice here, ~3 GB/s) plus the ops around them; this
 * streams each key and value row once: scores, softmax and context per query head, in float32.
 * Batch 16 at 256 tokens of context, 12 layers: 51–60 ms CPU against 122–165 ms through DJL,
 * measured back to back (2026-11-29, load 16).
 */
final class PoolAttention {

  /**
   * Needs the Vector API ({@code --add-modules=jdk.incubator.vector}; scalar Java loops measured
   * slower than DJL here); {@code -Dlatent.llm.pool-attention=false} turns it off (A/B).
   */
  private static final boolean ENABLED = !"false".equals(System.getProperty("latent.llm.pool-attention"))
      && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  private PoolAttention() {}

  /** True when this step can run here: decode, pools in CPU memory, every sequence a slice, no masks. */
  static boolean applies(Step s, PagedKvCache cache, int layer) {
    if (!ENABLED || s.tokens() != 1 || s.sequences() == null || cache.keyMemory(layer) == null) {
      return false;
    }
    for (Step.Keys seq : s.sequences()) {
      if (seq.slots() != null || seq.mask() != null) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code qScaled [B, 1, H, hd]} (any float dtype, computed in float32; already times {@code 1/sqrt(hd)}) against each
   * sequence's cached keys; returns the context {@code [B, H*hd]} in the step's scope.
   */
  static NDArray attend(NDArray qScaled, PagedKvCache cache, int layer, Step s, int heads, int kvHeads,
      int headDim) {
    float[] q = qScaled.toType(DataType.FLOAT32, false).toFloatArray(); // [B, H, hd]
    MemorySegment keys = cache.keyMemory(layer);
    MemorySegment values = cache.valueMemory(layer);
    int groups = heads / kvHeads;
    long rowBytes = (long) kvHeads * headDim * cache.format().bytes();
    List<Step.Keys> seqs = s.sequences();
    int maxLength = 0;
    for (Step.Keys seq : seqs) {
      maxLength = Math.max(maxLength, seq.length());
    }
    float[] scores = new float[heads * maxLength]; // [H, L]
    float[] ctx = new float[seqs.size() * heads * headDim]; // [B, H, hd]
    for (int i = 0; i < seqs.size(); i++) {
      Step.Keys seq = seqs.get(i);
      PoolAttentionKernel.attend(q, i * heads * headDim, keys, values, cache.format(), seq.start() * rowBytes, rowBytes,
          seq.length(), heads, groups, headDim, scores, ctx);
    }
    return s.manager().create(ctx, new Shape(seqs.size(), (long) heads * headDim))
        .toType(qScaled.getDataType(), false);
  }
}
