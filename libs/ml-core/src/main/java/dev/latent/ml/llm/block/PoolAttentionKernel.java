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
  /** Head dimensions one register-resident context segment covers: eight 8-lane vectors. */
  private static final int SEGMENT = 64;
  /** Keys per block of the register-resident context loops. */
  private static final int KEY_BLOCK = 32;
  /** The register-resident context loops; {@code -Dlatent.llm.attention-blocks=false}: the plain loop (A/B). */
  private static final boolean BLOCKS = !"false".equals(System.getProperty("latent.llm.attention-blocks"));

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
    if (BLOCKS && lanes == 8 && headDim % SEGMENT == 0) {
      contextF32(scores, values, first, rowBytes, length, heads, groups, headDim, ctx, qBase);
      return;
    }
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

  /**
   * The context of {@link #attendF32} with 8-lane vectors and heads of whole 64-wide segments:
   * per block of {@link #KEY_BLOCK} keys, each head's segment sits in eight register
   * accumulators across the block's keys instead of being loaded and stored per key. Every
   * element is the same FMA chain over the keys in order as in the plain loop: the same bits.
   */
  private static void contextF32(float[] p, MemorySegment values, long first, long rowBytes, int length,
      int heads, int groups, int headDim, float[] ctx, int qBase) {
    for (int l0 = 0; l0 < length; l0 += KEY_BLOCK) {
      int l1 = Math.min(length, l0 + KEY_BLOCK);
      for (int hq = 0; hq < heads; hq++) {
        int pBase = hq * length;
        for (int seg = 0; seg < headDim; seg += SEGMENT) {
          long v0 = first + ((long) (hq / groups) * headDim + seg) * Float.BYTES;
          int out = qBase + hq * headDim + seg;
          FloatVector c0 = FloatVector.fromArray(SPECIES, ctx, out);
          FloatVector c1 = FloatVector.fromArray(SPECIES, ctx, out + 8);
          FloatVector c2 = FloatVector.fromArray(SPECIES, ctx, out + 16);
          FloatVector c3 = FloatVector.fromArray(SPECIES, ctx, out + 24);
          FloatVector c4 = FloatVector.fromArray(SPECIES, ctx, out + 32);
          FloatVector c5 = FloatVector.fromArray(SPECIES, ctx, out + 40);
          FloatVector c6 = FloatVector.fromArray(SPECIES, ctx, out + 48);
          FloatVector c7 = FloatVector.fromArray(SPECIES, ctx, out + 56);
          for (int l = l0; l < l1; l++) {
            FloatVector pv = FloatVector.broadcast(SPECIES, p[pBase + l]);
            long v = v0 + l * rowBytes;
            c0 = FloatVector.fromMemorySegment(SPECIES, values, v, ORDER).fma(pv, c0);
            c1 = FloatVector.fromMemorySegment(SPECIES, values, v + 32, ORDER).fma(pv, c1);
            c2 = FloatVector.fromMemorySegment(SPECIES, values, v + 64, ORDER).fma(pv, c2);
            c3 = FloatVector.fromMemorySegment(SPECIES, values, v + 96, ORDER).fma(pv, c3);
            c4 = FloatVector.fromMemorySegment(SPECIES, values, v + 128, ORDER).fma(pv, c4);
            c5 = FloatVector.fromMemorySegment(SPECIES, values, v + 160, ORDER).fma(pv, c5);
            c6 = FloatVector.fromMemorySegment(SPECIES, values, v + 192, ORDER).fma(pv, c6);
            c7 = FloatVector.fromMemorySegment(SPECIES, values, v + 224, ORDER).fma(pv, c7);
          }
          c0.intoArray(ctx, out);
          c1.intoArray(ctx, out + 8);
          c2.intoArray(ctx, out + 16);
          c3.intoArray(ctx, out + 24);
          c4.intoArray(ctx, out + 32);
          c5.intoArray(ctx, out + 40);
          c6.intoArray(ctx, out + 48);
          c7.intoArray(ctx, out + 56);
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
    if (BLOCKS && lanes == 8 && headDim % SEGMENT == 0) {
      contextBf16(scores, values, first, rowBytes, length, heads, groups, headDim, cp);
      addStorageOrder(cp, ctx, qBase);
      return;
    }
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

  /**
   * The context of {@link #attendBf16} (into {@code cp}, widened order) with 8-lane vectors and
   * heads of whole 64-wide segments, as {@link #contextF32}: eight register accumulators per
   * head segment across a block of keys, the same FMA chain per element as the plain loop.
   */
  private static void contextBf16(float[] p, MemorySegment values, long first, long rowBytes, int length,
      int heads, int groups, int headDim, float[] cp) {
    for (int l0 = 0; l0 < length; l0 += KEY_BLOCK) {
      int l1 = Math.min(length, l0 + KEY_BLOCK);
      for (int hq = 0; hq < heads; hq++) {
        int pBase = hq * length;
        for (int seg = 0; seg < headDim; seg += SEGMENT) {
          long v0 = first + ((long) (hq / groups) * headDim + seg) * 2;
          int out = hq * headDim + seg;
          FloatVector c0 = FloatVector.fromArray(SPECIES, cp, out);
          FloatVector c1 = FloatVector.fromArray(SPECIES, cp, out + 8);
          FloatVector c2 = FloatVector.fromArray(SPECIES, cp, out + 16);
          FloatVector c3 = FloatVector.fromArray(SPECIES, cp, out + 24);
          FloatVector c4 = FloatVector.fromArray(SPECIES, cp, out + 32);
          FloatVector c5 = FloatVector.fromArray(SPECIES, cp, out + 40);
          FloatVector c6 = FloatVector.fromArray(SPECIES, cp, out + 48);
          FloatVector c7 = FloatVector.fromArray(SPECIES, cp, out + 56);
          for (int l = l0; l < l1; l++) {
            FloatVector pv = FloatVector.broadcast(SPECIES, p[pBase + l]);
            long v = v0 + l * rowBytes;
            IntVector a = IntVector.fromMemorySegment(INTS, values, v, ORDER);
            c0 = evenBf16(a).fma(pv, c0);
            c1 = oddBf16(a).fma(pv, c1);
            IntVector b = IntVector.fromMemorySegment(INTS, values, v + 32, ORDER);
            c2 = evenBf16(b).fma(pv, c2);
            c3 = oddBf16(b).fma(pv, c3);
            IntVector d = IntVector.fromMemorySegment(INTS, values, v + 64, ORDER);
            c4 = evenBf16(d).fma(pv, c4);
            c5 = oddBf16(d).fma(pv, c5);
            IntVector e = IntVector.fromMemorySegment(INTS, values, v + 96, ORDER);
            c6 = evenBf16(e).fma(pv, c6);
            c7 = oddBf16(e).fma(pv, c7);
          }
          c0.intoArray(cp, out);
          c1.intoArray(cp, out + 8);
          c2.intoArray(cp, out + 16);
          c3.intoArray(cp, out + 24);
          c4.intoArray(cp, out + 32);
          c5.intoArray(cp, out + 40);
          c6.intoArray(cp, out + 48);
          c7.intoArray(cp, out + 56);
        }
      }
    }
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
