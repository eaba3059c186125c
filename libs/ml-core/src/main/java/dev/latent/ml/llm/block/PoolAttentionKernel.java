package dev.latent.ml.llm.block;

import dev.latent.ml.llm.cache.KvFormat;
import dev.latent.ml.llm.kernel.Lanes;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loops of {@link PoolAttention}, in their own class so that nothing loads
 * {@code jdk.incubator.vector} when the module is absent. Keys and values are read row by row
 * ({@code [kvHeads * headDim]} elements per token), each once, in storage order.
 *
 * <p>16-bit pools halve the bytes streamed per token; the arithmetic stays f32 on the stored
 * values. bf16 is read as int lanes, each holding two adjacent elements, widened in place (the
 * even elements by a shift, the odd ones by a mask), as ml-core's bf16 matrix kernel does; the
 * query and the context are kept in that order (per chunk of two vectors: evens, then odds), so
 * there is no lane shuffle. f16 rows are widened by the JDK's conversion into an f32 row first.
 * One loop per format: a shared one with the widening chosen per load (a switch or a flag)
 * measured 2–4× slower than f32 here.
 */
final class PoolAttentionKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, SPECIES.vectorShape());
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  private PoolAttentionKernel() {}

  /**
   * One sequence: {@code q[qBase + hq*hd ..]} (scaled) against {@code length} key rows from byte
   * {@code first}; adds the context to {@code ctx[qBase ..]} (zeros on entry). {@code scores} holds
   * at least {@code heads * length} floats.
   */
  static void attend(float[] q, int qBase, MemorySegment keys, MemorySegment values, KvFormat format,
      long first, long rowBytes, int length, int heads, int groups, int headDim, float[] scores, float[] ctx) {
    int lanes = SPECIES.length();
    if (format == KvFormat.F32 && headDim % lanes == 0) {
      attendF32(q, qBase, keys, values, first, rowBytes, length, heads, groups, headDim, scores, ctx);
    } else if (format == KvFormat.BF16 && headDim % (2 * lanes) == 0) {
      attendBf16(q, qBase, keys, values, first, rowBytes, length, heads, groups, headDim, scores, ctx);
    } else if (format == KvFormat.F16 && headDim % lanes == 0) {
      attendF16(q, qBase, keys, values, first, rowBytes, length, heads, groups, headDim, scores, ctx);
    } else {
      attendScalar(q, qBase, keys, values, format, first, rowBytes, length, heads, groups, headDim, scores, ctx);
    }
  }

  private static void attendF32(float[] q, int qBase, MemorySegment keys, MemorySegment values, long first,
      long rowBytes, int length, int heads, int groups, int headDim, float[] scores, float[] ctx) {
    int lanes = SPECIES.length();
    float[] sumScratch = new float[lanes];
    // scores[hq, l] = q[hq] . k[l, hq / groups]
    for (int l = 0; l < length; l++) {
      long row = first + l * rowBytes;
      for (int hq = 0; hq < heads; hq++) {
        long k = row + (long) (hq / groups) * headDim * Float.BYTES;
        int qi = qBase + hq * headDim;
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int d = 0; d < headDim; d += lanes) {
          acc = FloatVector.fromArray(SPECIES, q, qi + d)
              .fma(FloatVector.fromMemorySegment(SPECIES, keys, k + (long) d * Float.BYTES, ORDER), acc);
        }
        scores[hq * length + l] = Lanes.sum(acc, sumScratch);
      }
    }
    softmax(scores, heads, length);
    // ctx[hq] += p[hq, l] * v[l, hq / groups]
    for (int l = 0; l < length; l++) {
      long row = first + l * rowBytes;
      for (int hq = 0; hq < heads; hq++) {
        FloatVector pv = FloatVector.broadcast(SPECIES, scores[hq * length + l]);
        long v = row + (long) (hq / groups) * headDim * Float.BYTES;
        int out = qBase + hq * headDim;
        for (int d = 0; d < headDim; d += lanes) {
          FloatVector.fromMemorySegment(SPECIES, values, v + (long) d * Float.BYTES, ORDER)
              .fma(pv, FloatVector.fromArray(SPECIES, ctx, out + d))
              .intoArray(ctx, out + d);
        }
      }
    }
  }

  private static void attendBf16(float[] q, int qBase, MemorySegment keys, MemorySegment values,
      long first, long rowBytes, int length, int heads, int groups, int headDim, float[] scores, float[] ctx) {
    int lanes = SPECIES.length();
    int chunk = 2 * lanes; // 16-bit elements per int vector
    float[] sumScratch = new float[lanes];
    float[] qp = widenedOrder(q, qBase, heads * headDim); // per chunk its evens, then its odds
    for (int l = 0; l < length; l++) {
      long row = first + l * rowBytes;
      for (int hq = 0; hq < heads; hq++) {
        long k = row + (long) (hq / groups) * headDim * 2;
        int qi = hq * headDim;
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int d = 0; d < headDim; d += chunk) {
          IntVector pair = IntVector.fromMemorySegment(INTS, keys, k + (long) d * 2, ORDER);
          acc = FloatVector.fromArray(SPECIES, qp, qi + d).fma(evenBf16(pair), acc);
          acc = FloatVector.fromArray(SPECIES, qp, qi + d + lanes).fma(oddBf16(pair), acc);
        }
        scores[hq * length + l] = Lanes.sum(acc, sumScratch);
      }
    }
    softmax(scores, heads, length);
    float[] cp = new float[heads * headDim]; // the context in the widened order
    for (int l = 0; l < length; l++) {
      long row = first + l * rowBytes;
      for (int hq = 0; hq < heads; hq++) {
        FloatVector pv = FloatVector.broadcast(SPECIES, scores[hq * length + l]);
        long v = row + (long) (hq / groups) * headDim * 2;
        int out = hq * headDim;
        for (int d = 0; d < headDim; d += chunk) {
          IntVector pair = IntVector.fromMemorySegment(INTS, values, v + (long) d * 2, ORDER);
          evenBf16(pair).fma(pv, FloatVector.fromArray(SPECIES, cp, out + d)).intoArray(cp, out + d);
          oddBf16(pair).fma(pv, FloatVector.fromArray(SPECIES, cp, out + d + lanes)).intoArray(cp, out + d + lanes);
        }
      }
    }
    addStorageOrder(cp, ctx, qBase);
  }

  /** f16 rows widened one at a time into an f32 row ({@link #widenF16}), then the f32 loops on it. */
  private static void attendF16(float[] q, int qBase, MemorySegment keys, MemorySegment values, long first,
      long rowBytes, int length, int heads, int groups, int headDim, float[] scores, float[] ctx) {
    int lanes = SPECIES.length();
    float[] sumScratch = new float[lanes];
    short[] bits = new short[(int) (rowBytes / 2)];
    float[] row = new float[bits.length];
    for (int l = 0; l < length; l++) {
      widenF16(keys, first + l * rowBytes, bits, row);
      for (int hq = 0; hq < heads; hq++) {
        int k = (hq / groups) * headDim;
        int qi = qBase + hq * headDim;
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int d = 0; d < headDim; d += lanes) {
          acc = FloatVector.fromArray(SPECIES, q, qi + d).fma(FloatVector.fromArray(SPECIES, row, k + d), acc);
        }
        scores[hq * length + l] = Lanes.sum(acc, sumScratch);
      }
    }
    softmax(scores, heads, length);
    for (int l = 0; l < length; l++) {
      widenF16(values, first + l * rowBytes, bits, row);
      for (int hq = 0; hq < heads; hq++) {
        FloatVector pv = FloatVector.broadcast(SPECIES, scores[hq * length + l]);
        int v = (hq / groups) * headDim;
        int out = qBase + hq * headDim;
        for (int d = 0; d < headDim; d += lanes) {
          FloatVector.fromArray(SPECIES, row, v + d).fma(pv, FloatVector.fromArray(SPECIES, ctx, out + d))
              .intoArray(ctx, out + d);
        }
      }
    }
  }

  /**
   * One f16 row into {@code row}: the JDK's conversion in a plain loop, which C2 compiles to the
   * CPU's half-to-float vector instruction (F16C here). The same widening written with Vector API
   * bit operations (no half type there in JDK 25) measured 1.5× slower per row.
   */
  private static void widenF16(MemorySegment pool, long at, short[] bits, float[] row) {
    MemorySegment.copy(pool, ValueLayout.JAVA_SHORT_UNALIGNED, at, bits, 0, bits.length);
    for (int i = 0; i < bits.length; i++) {
      row[i] = Float.float16ToFloat(bits[i]);
    }
  }

  /** {@code n} floats from {@code x[from]} in the widened order: per chunk of two vectors its evens, then its odds. */
  private static float[] widenedOrder(float[] x, int from, int n) {
    int lanes = SPECIES.length();
    float[] out = new float[n];
    for (int i = 0; i < n; i += 2 * lanes) {
      for (int j = 0; j < lanes; j++) {
        out[i + j] = x[from + i + 2 * j];
        out[i + lanes + j] = x[from + i + 2 * j + 1];
      }
    }
    return out;
  }

  /** Adds {@code widened} (in the widened order) to {@code ctx[from ..]} in storage order. */
  private static void addStorageOrder(float[] widened, float[] ctx, int from) {
    int lanes = SPECIES.length();
    for (int i = 0; i < widened.length; i += 2 * lanes) {
      for (int j = 0; j < lanes; j++) {
        ctx[from + i + 2 * j] += widened[i + j];
        ctx[from + i + 2 * j + 1] += widened[i + lanes + j];
      }
    }
  }

  /** Any format and head size, one element at a time. */
  private static void attendScalar(float[] q, int qBase, MemorySegment keys, MemorySegment values,
      KvFormat format, long first, long rowBytes, int length, int heads, int groups, int headDim, float[] scores,
      float[] ctx) {
    int size = format.bytes();
    for (int l = 0; l < length; l++) {
      long row = first + l * rowBytes;
      for (int hq = 0; hq < heads; hq++) {
        long k = row + (long) (hq / groups) * headDim * size;
        float dot = 0f;
        for (int d = 0; d < headDim; d++) {
          dot += q[qBase + hq * headDim + d] * format.get(keys, k + (long) d * size);
        }
        scores[hq * length + l] = dot;
      }
    }
    softmax(scores, heads, length);
    for (int l = 0; l < length; l++) {
      long row = first + l * rowBytes;
      for (int hq = 0; hq < heads; hq++) {
        float p = scores[hq * length + l];
        long v = row + (long) (hq / groups) * headDim * size;
        for (int d = 0; d < headDim; d++) {
          ctx[qBase + hq * headDim + d] += p * format.get(values, v + (long) d * size);
        }
      }
    }
  }

  /** Softmax over l of {@code scores[hq, l]}, per query head, in float32. */
  private static void softmax(float[] scores, int heads, int length) {
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
  }

  /** The low (even) bf16 element of each int lane as f32 (exact). */
  static FloatVector evenBf16(IntVector pair) {
    return pair.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  /** The high (odd) bf16 element of each int lane as f32 (exact). */
  static FloatVector oddBf16(IntVector pair) {
    return pair.and(0xFFFF0000).reinterpretAsFloats();
  }
}
