package dev.latent.ml.llm.block;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import dev.latent.ml.llm.kernel.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loops of {@link PoolAttention}, in their own class so that nothing loads
 * {@code jdk.incubator.vector} when the module is absent. Keys and values are read row by row
 * ({@code [kvHeads * headDim]} floats per token), each once, in storage order.
 */
final class PoolAttentionKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  private PoolAttentionKernel() {}

  /**
   * One sequence: {@code q[qBase + hq*hd ..]} (scaled) against {@code length} key rows from byte
   * {@code first}; adds the context to {@code ctx[qBase ..]} (zeros on entry). {@code scores} holds
   * at least {@code heads * length} floats.
   */
  static void attend(float[] q, int qBase, MemorySegment keys, MemorySegment values, long first,
      long rowBytes, int length, int heads, int groups, int headDim, float[] scores, float[] ctx) {
    int lanes = SPECIES.length();
    boolean whole = headDim % lanes == 0;
    float[] sumScratch = new float[lanes];
    // scores[hq, l] = q[hq] . k[l, hq / groups]
    for (int l = 0; l < length; l++) {
      long row = first + l * rowBytes;
      for (int hq = 0; hq < heads; hq++) {
        long k = row + (long) (hq / groups) * headDim * Float.BYTES;
        int qi = qBase + hq * headDim;
        float dot;
        if (whole) {
          FloatVector acc = FloatVector.zero(SPECIES);
          for (int d = 0; d < headDim; d += lanes) {
            acc = FloatVector.fromArray(SPECIES, q, qi + d)
                .fma(FloatVector.fromMemorySegment(SPECIES, keys, k + (long) d * Float.BYTES, ORDER), acc);
          }
          dot = Lanes.sum(acc, sumScratch);
        } else {
          dot = 0f;
          for (int d = 0; d < headDim; d++) {
            dot += q[qi + d] * keys.get(ValueLayout.JAVA_FLOAT_UNALIGNED, k + (long) d * Float.BYTES);
          }
        }
        scores[hq * length + l] = dot;
      }
    }
    // softmax over l, per query head, in float32
    for (int hq = 0; hq < heads; hq++) {
      int from = hq * length;
      float max = Float.NEGATIVE_INFINITY;
      for (int l = 0; l < length; l++) {
        max = Math.max(max, scores[from + l]);
      }
      float sum = 0f;
      for (int l = 0; l < length; l++) {
        float e = (float) Math.exp(scores[from + l] - max);
        scores[from + l] = e;
        sum += e;
      }
      float inverse = 1f / sum;
      for (int l = 0; l < length; l++) {
        scores[from + l] *= inverse;
      }
    }
    // ctx[hq] += p[hq, l] * v[l, hq / groups]
    for (int l = 0; l < length; l++) {
      long row = first + l * rowBytes;
      for (int hq = 0; hq < heads; hq++) {
        float p = scores[hq * length + l];
        long v = row + (long) (hq / groups) * headDim * Float.BYTES;
        int out = qBase + hq * headDim;
        if (whole) {
          FloatVector pv = FloatVector.broadcast(SPECIES, p);
          for (int d = 0; d < headDim; d += lanes) {
            FloatVector.fromMemorySegment(SPECIES, values, v + (long) d * Float.BYTES, ORDER)
                .fma(pv, FloatVector.fromArray(SPECIES, ctx, out + d))
                .intoArray(ctx, out + d);
          }
        } else {
          for (int d = 0; d < headDim; d++) {
            ctx[out + d] += p * values.get(ValueLayout.JAVA_FLOAT_UNALIGNED, v + (long) d * Float.BYTES);
          }
        }
      }
    }
  }
}
