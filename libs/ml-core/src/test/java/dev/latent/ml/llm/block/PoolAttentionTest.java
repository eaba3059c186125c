package dev.latent.ml.llm.block;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.cache.KvFormat;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.kernel.Bf16;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Java decode attention against plain DJL softmax(q·kᵀ)·v (f32 pools) and a plain scalar
 * reference over the rounded values (16-bit pools), GQA with two query heads per kv head.
 */
class PoolAttentionTest {

  @Test
  void equalsDjlAttentionPerSequence() {
    int heads = 4;
    int kvHeads = 2;
    int hd = 16;
    TransformerConfig c = TransformerConfig.llama(heads * hd, 1, heads, kvHeads, 32, 50);
    try (PagedKvCache cache = new PagedKvCache(c, 8, 4, DataType.FLOAT32, Device.cpu());
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      m.getEngine().setRandomSeed(7);
      long slots = 32;
      cache.write(0, m.arange(0L, slots), m.randomNormal(new Shape(slots, kvHeads, hd)),
          m.randomNormal(new Shape(slots, kvHeads, hd)));
      List<Step.Keys> seqs = List.of(new Step.Keys(5, 3, null, null), new Step.Keys(17, 12, null, null));
      NDArray q = m.randomNormal(new Shape(2, 1, heads, hd));
      NDArray table = m.zeros(new Shape(2, 1, 1, hd));
      Step step = new Step(m, 2, 1, table, table, null, cache, null, null, null, seqs);
      assertThat(PoolAttention.applies(step, cache, 0)).isTrue();

      float[] got = PoolAttention.attend(q, cache, 0, step, heads, kvHeads, hd).toFloatArray();

      for (int i = 0; i < seqs.size(); i++) {
        Step.Keys seq = seqs.get(i);
        NDIndex rows = new NDIndex().addSliceDim(seq.start(), seq.start() + seq.length());
        NDArray k = cache.keys(0).get(rows).transpose(1, 2, 0); // [Hkv, hd, L]
        NDArray v = cache.values(0).get(rows).transpose(1, 0, 2); // [Hkv, L, hd]
        NDArray qi = q.get(i).reshape(kvHeads, heads / kvHeads, hd); // query heads grouped per kv head
        float[] want = qi.matMul(k).softmax(-1).matMul(v).reshape(-1).toFloatArray();
        for (int j = 0; j < want.length; j++) {
          assertThat(got[i * want.length + j]).isCloseTo(want[j], org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
    }
  }

  /**
   * On bf16 and f16 pools the kernel equals a plain double-precision attention over the same
   * K/V rounded to 16 bits (rounded here with the JDK's and Bf16's scalar conversions): head sizes
   * of whole vector pairs (16, 48 with 8 float lanes), and 8 (bf16: the per-element loop).
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "{0} head size {1}")
  @org.junit.jupiter.params.provider.CsvSource({"BF16, 16", "F16, 16", "BF16, 48", "F16, 48", "BF16, 8", "F16, 8"})
  void onAHalfPoolEqualsAPlainReferenceOverTheRoundedValues(KvFormat format, int hd) {
    int heads = 4;
    int kvHeads = 2;
    int slots = 32;
    TransformerConfig c = TransformerConfig.llama(heads * hd, 1, heads, kvHeads, 32, 50);
    try (PagedKvCache cache = new PagedKvCache(c, 8, 4, format.dataType(), Device.cpu());
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      m.getEngine().setRandomSeed(11);
      NDArray kArr = m.randomNormal(new Shape(slots, kvHeads, hd));
      NDArray vArr = m.randomNormal(new Shape(slots, kvHeads, hd));
      cache.write(0, m.arange(0L, (long) slots), kArr, vArr);
      float[] k = rounded(kArr.toFloatArray(), format);
      float[] v = rounded(vArr.toFloatArray(), format);
      List<Step.Keys> seqs = List.of(new Step.Keys(7, 2, null, null), new Step.Keys(20, 11, null, null));
      NDArray q = m.randomNormal(new Shape(2, 1, heads, hd));
      NDArray table = m.zeros(new Shape(2, 1, 1, hd));
      Step step = new Step(m, 2, 1, table, table, null, cache, null, null, null, seqs);
      assertThat(PoolAttention.applies(step, cache, 0)).isTrue();

      float[] got = PoolAttention.attend(q, cache, 0, step, heads, kvHeads, hd).toFloatArray();

      float[] qs = q.toFloatArray();
      int groups = heads / kvHeads;
      for (int i = 0; i < seqs.size(); i++) {
        Step.Keys seq = seqs.get(i);
        for (int h = 0; h < heads; h++) {
          int kvBase = (h / groups) * hd;
          double[] p = new double[seq.length()];
          double max = Double.NEGATIVE_INFINITY;
          for (int l = 0; l < p.length; l++) {
            int row = (int) (seq.start() + l) * kvHeads * hd + kvBase;
            for (int d = 0; d < hd; d++) {
              p[l] += (double) qs[(i * heads + h) * hd + d] * k[row + d];
            }
            max = Math.max(max, p[l]);
          }
          double sum = 0;
          for (int l = 0; l < p.length; l++) {
            p[l] = Math.exp(p[l] - max);
            sum += p[l];
          }
          for (int d = 0; d < hd; d++) {
            double want = 0;
            for (int l = 0; l < p.length; l++) {
              want += p[l] / sum * v[(int) (seq.start() + l) * kvHeads * hd + kvBase + d];
            }
            assertThat((double) got[(i * heads + h) * hd + d]).as("seq %d head %d dim %d", i, h, d)
                .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5));
          }
        }
      }
    }
  }

  /**
   * With 8-lane vectors the kernel equals the same arithmetic written out in scalar Java, bit for
   * bit: per score one FMA chain per lane (bf16: each lane over an even and an odd element per
   * chunk), lanes added in order, the float32 softmax, and per context element one FMA chain over
   * the keys in order. Head sizes 64 and 128 take the register-blocked context loops (keys in
   * blocks of 32: sequences of 45 and 70 keys), 16 the plain loop.
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "{0} head size {1}")
  @org.junit.jupiter.params.provider.CsvSource({"F32, 16", "F32, 64", "F32, 128", "BF16, 16", "BF16, 64", "BF16, 128"})
  void equalsTheSameArithmeticInScalarJavaBitForBit(KvFormat format, int hd) {
    org.junit.jupiter.api.Assumptions.assumeTrue(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length() == 8);
    int heads = 4;
    int kvHeads = 2;
    int slots = 128;
    TransformerConfig c = TransformerConfig.llama(heads * hd, 1, heads, kvHeads, 32, 50);
    try (PagedKvCache cache = new PagedKvCache(c, 32, 4, format.dataType(), Device.cpu());
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      m.getEngine().setRandomSeed(13);
      NDArray kArr = m.randomNormal(new Shape(slots, kvHeads, hd));
      NDArray vArr = m.randomNormal(new Shape(slots, kvHeads, hd));
      cache.write(0, m.arange(0L, (long) slots), kArr, vArr);
      float[] k = format == KvFormat.F32 ? kArr.toFloatArray() : rounded(kArr.toFloatArray(), format);
      float[] v = format == KvFormat.F32 ? vArr.toFloatArray() : rounded(vArr.toFloatArray(), format);
      List<Step.Keys> seqs = List.of(new Step.Keys(45, 3, null, null), new Step.Keys(70, 50, null, null));
      NDArray q = m.randomNormal(new Shape(2, 1, heads, hd));
      NDArray table = m.zeros(new Shape(2, 1, 1, hd));
      Step step = new Step(m, 2, 1, table, table, null, cache, null, null, null, seqs);

      float[] got = PoolAttention.attend(q, cache, 0, step, heads, kvHeads, hd).toFloatArray();

      float[] qs = q.toFloatArray();
      int groups = heads / kvHeads;
      for (int i = 0; i < seqs.size(); i++) {
        Step.Keys seq = seqs.get(i);
        for (int h = 0; h < heads; h++) {
          int qb = (i * heads + h) * hd;
          int kvBase = (h / groups) * hd;
          float[] p = new float[seq.length()];
          float max = Float.NEGATIVE_INFINITY;
          for (int l = 0; l < p.length; l++) {
            int row = (int) (seq.start() + l) * kvHeads * hd + kvBase;
            float[] acc = new float[8];
            for (int d = 0; d < hd; d += format == KvFormat.F32 ? 8 : 16) {
              for (int j = 0; j < 8; j++) {
                if (format == KvFormat.F32) {
                  acc[j] = Math.fma(qs[qb + d + j], k[row + d + j], acc[j]);
                } else {
                  acc[j] = Math.fma(qs[qb + d + 2 * j], k[row + d + 2 * j], acc[j]);
                  acc[j] = Math.fma(qs[qb + d + 2 * j + 1], k[row + d + 2 * j + 1], acc[j]);
                }
              }
            }
            float sum = 0f;
            for (float a : acc) {
              sum += a;
            }
            p[l] = sum;
            max = Math.max(max, sum);
          }
          float total = 0f;
          for (int l = 0; l < p.length; l++) {
            p[l] = (float) Math.exp(p[l] - max);
            total += p[l];
          }
          float inverse = 1f / total;
          for (int l = 0; l < p.length; l++) {
            p[l] *= inverse;
          }
          for (int d = 0; d < hd; d++) {
            float want = 0f;
            for (int l = 0; l < p.length; l++) {
              want = Math.fma(v[(int) (seq.start() + l) * kvHeads * hd + kvBase + d], p[l], want);
            }
            if (format != KvFormat.F32) {
              want = 0f + want; // the widened-order context is added to a zeroed one
            }
            assertThat(got[qb + d]).as("seq %d head %d dim %d", i, h, d).isEqualTo(want);
          }
        }
      }
    }
  }

  private static float[] rounded(float[] values, KvFormat format) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = format == KvFormat.F16 ? Float.float16ToFloat(Float.floatToFloat16(values[i]))
          : Bf16.widen(Bf16.round(values[i]));
    }
    return out;
  }

  /**
   * The kernel's bf16 widening of every 16-bit pattern, read as pairs in int lanes, equals the
   * plain shift, NaNs as NaNs.
   */
  @Test
  void bf16PairWideningIsExactForEveryPattern() {
    var ints = jdk.incubator.vector.VectorSpecies.of(int.class,
        jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorShape());
    int lanes = ints.length();
    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      java.lang.foreign.MemorySegment all = arena.allocate(2L * 65536);
      for (int bits = 0; bits < 65536; bits++) {
        all.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * bits, (short) bits);
      }
      for (int from = 0; from < 65536; from += 2 * lanes) {
        var pair = jdk.incubator.vector.IntVector.fromMemorySegment(ints, all, 2L * from,
            java.nio.ByteOrder.nativeOrder());
        float[] bf16Even = PoolAttentionKernel.evenBf16(pair).toArray();
        float[] bf16Odd = PoolAttentionKernel.oddBf16(pair).toArray();
        for (int j = 0; j < lanes; j++) {
          short even = (short) (from + 2 * j);
          short odd = (short) (from + 2 * j + 1);
          assertSameFloat(bf16Even[j], Float.intBitsToFloat(even << 16), even);
          assertSameFloat(bf16Odd[j], Float.intBitsToFloat(odd << 16), odd);
        }
      }
    }
  }

  private static void assertSameFloat(float got, float want, short bits) {
    if (Float.isNaN(want)) {
      assertThat(got).as("pattern %04x", bits & 0xFFFF).isNaN();
    } else {
      assertThat(Float.floatToRawIntBits(got)).as("pattern %04x", bits & 0xFFFF).isEqualTo(Float.floatToRawIntBits(want));
    }
  }
}
