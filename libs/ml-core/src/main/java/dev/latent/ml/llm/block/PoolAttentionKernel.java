package dev.latent.ml.llm.block;

import dev.latent.ml.llm.cache.KvFormat;
import dev.latent.ml.llm.kernel.Lanes;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loops of {@link PoolAttention}, in their own class so that nothing loads
 * {@code jdk.incubator.vector} when the module is absent. Keys and values are read row by row
 * ({@code [kvHeads * headDim]} elements per token), each once, in storage order. 16-bit pools are
 * widened to f32 as they are loaded (bf16: a shift; f16: exponent rebias by one multiply), so the
 * arithmetic is the f32 one on the stored values, and the bytes streamed per token are halved.
 */
final class PoolAttentionKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  // as many 16-bit lanes as float lanes, and the int shape of the floats
  private static final VectorSpecies<Short> HALVES =
      VectorSpecies.of(short.class, VectorShape.forBitSize(SPECIES.vectorBitSize() / 2));
  private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, SPECIES.vectorShape());

  private PoolAttentionKernel() {}

  /**
   * One sequence: {@code q[qBase + hq*hd ..]} (scaled) against {@code length} key rows from byte
   * {@code first}; adds the context to {@code ctx[qBase ..]} (zeros on entry). {@code scores} holds
   * at least {@code heads * length} floats.
   */
  static void attend(float[] q, int qBase, MemorySegment keys, MemorySegment values, KvFormat format,
      long first, long rowBytes, int length, int heads, int groups, int headDim, float[] scores, float[] ctx) {
    int lanes = SPECIES.length();
    int size = format.bytes();
    boolean whole = headDim % lanes == 0;
    float[] sumScratch = new float[lanes];
    // scores[hq, l] = q[hq] . k[l, hq / groups]
    for (int l = 0; l < length; l++) {
      long row = first + l * rowBytes;
      for (int hq = 0; hq < heads; hq++) {
        long k = row + (long) (hq / groups) * headDim * size;
        int qi = qBase + hq * headDim;
        float dot;
        if (whole) {
          FloatVector acc = FloatVector.zero(SPECIES);
          for (int d = 0; d < headDim; d += lanes) {
            acc = FloatVector.fromArray(SPECIES, q, qi + d)
                .fma(load(format, keys, k + (long) d * size), acc);
          }
          dot = Lanes.sum(acc, sumScratch);
        } else {
          dot = 0f;
          for (int d = 0; d < headDim; d++) {
            dot += q[qi + d] * format.get(keys, k + (long) d * size);
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
        long v = row + (long) (hq / groups) * headDim * size;
        int out = qBase + hq * headDim;
        if (whole) {
          FloatVector pv = FloatVector.broadcast(SPECIES, p);
          for (int d = 0; d < headDim; d += lanes) {
            load(format, values, v + (long) d * size)
                .fma(pv, FloatVector.fromArray(SPECIES, ctx, out + d))
                .intoArray(ctx, out + d);
          }
        } else {
          for (int d = 0; d < headDim; d++) {
            ctx[out + d] += p * format.get(values, v + (long) d * size);
          }
        }
      }
    }
  }

  /** {@code SPECIES.length()} elements from byte {@code at}, widened to f32 (exact). */
  static FloatVector load(KvFormat format, MemorySegment pool, long at) {
    return switch (format) {
      case F32 -> FloatVector.fromMemorySegment(SPECIES, pool, at, ORDER);
      case BF16 -> halves(pool, at).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
      case F16 -> f16(halves(pool, at));
    };
  }

  /** 16-bit lanes sign-extended to ints. */
  private static IntVector halves(MemorySegment pool, long at) {
    return (IntVector) ShortVector.fromMemorySegment(HALVES, pool, at, ORDER)
        .convertShape(VectorOperators.S2I, INTS, 0);
  }

  /**
   * IEEE half to float: exponent and mantissa moved to the float's places and scaled by 2^112
   * (15 - 127 + 224), which also makes subnormals exact; inf and NaN keep an all-ones exponent.
   */
  private static FloatVector f16(IntVector h) {
    IntVector magnitude = h.and(0x7FFF);
    IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
    IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
    VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, 0x7C00);
    IntVector bits = finite.blend(shifted.or(0x7F800000), special);
    return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
  }
}
