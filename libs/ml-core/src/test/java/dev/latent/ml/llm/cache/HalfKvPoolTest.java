package dev.latent.ml.llm.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.TransformerConfig.Mla;
import dev.latent.ml.llm.kernel.Bf16;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The cache's own dtype: sizes by the formula, values rounded once on write, bits kept by copy. */
class HalfKvPoolTest {

  private static final TransformerConfig GQA = TransformerConfig.llama(64, 3, 4, 2, 32, 50); // hd 16
  private static final TransformerConfig MLA = GQA.withMla(new Mla(0, 24, 8, 4, 8), null);

  @ParameterizedTest
  @EnumSource(KvFormat.class)
  void bytesPerTokenIsTheFormulaWithTheCachesDtype(KvFormat format) {
    try (PagedKvCache gqa = new PagedKvCache(GQA, 5, 4, format.dataType(), Device.cpu());
        PagedKvCache mla = new PagedKvCache(MLA, 5, 4, format.dataType(), Device.cpu())) {
      assertThat(gqa.bytesPerToken()).isEqualTo(2L * 2 * 16 * 3 * format.bytes()); // 2·kvHeads·hd·layers·bytes
      assertThat(mla.bytesPerToken()).isEqualTo((24L + 4) * 3 * format.bytes()); // (r + dr)·layers·bytes
      assertThat(gqa.poolBytes()).isEqualTo(5 * 4 * gqa.bytesPerToken());
      assertThat(mla.poolBytes()).isEqualTo(5 * 4 * mla.bytesPerToken());
      assertThat(gqa.dataType()).isEqualTo(format.dataType());
    }
  }

  @ParameterizedTest
  @EnumSource(value = KvFormat.class, names = {"BF16", "F16"})
  void writtenRowsReadBackRoundedToTheFormatAndCopiesKeepTheBits(KvFormat format) {
    try (PagedKvCache cache = new PagedKvCache(GQA, 4, 4, format.dataType(), Device.cpu());
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      m.getEngine().setRandomSeed(3);
      NDArray k = m.randomNormal(new Shape(3, 2, 16)).mul(100); // beyond bf16's 3 digits
      NDArray v = m.randomNormal(new Shape(3, 2, 16));
      cache.write(1, m.create(new long[] {9, 2, 5}), k, v);

      float[] gotK = cache.keys(1, m.create(new long[] {9, 2, 5}), m, DataType.FLOAT32).toFloatArray();
      float[] want = k.toFloatArray();
      for (int i = 0; i < want.length; i++) {
        float rounded = format == KvFormat.F16 ? Float.float16ToFloat(Float.floatToFloat16(want[i]))
            : Bf16.widen(Bf16.round(want[i]));
        assertThat(gotK[i]).as("element %d", i).isEqualTo(rounded);
      }
      assertThat(cache.keys(1, m.create(new long[] {9, 2, 5}), m, DataType.FLOAT32).toFloatArray())
          .isNotEqualTo(want); // it was rounded, not kept in f32
      // the slice read and the gather read agree; the memory the kernels read holds the same
      float[] slice = cache.values(1, 2, 3, m, DataType.FLOAT32).toFloatArray();
      float[] gathered = cache.values(1, m.create(new long[] {2}), m, DataType.FLOAT32).toFloatArray();
      assertThat(slice).containsExactly(gathered);
      assertThat(format.get(cache.valueMemory(1), 2L * 32 * format.bytes())).isEqualTo(slice[0]);

      cache.copy(new long[] {9, 5}, new long[] {14, 15});
      assertThat(cache.keys(1, m.create(new long[] {14, 15}), m, DataType.FLOAT32).toFloatArray())
          .containsExactly(cache.keys(1, m.create(new long[] {9, 5}), m, DataType.FLOAT32).toFloatArray());
      assertThat(cache.keys(0, m.create(new long[] {9}), m, DataType.FLOAT32).toFloatArray())
          .containsOnly(0f); // other layers untouched
    }
  }

  @org.junit.jupiter.api.Test
  void aBf16PoolIsNotADjlTensor() {
    try (PagedKvCache cache = new PagedKvCache(GQA, 2, 4, DataType.BFLOAT16, Device.cpu())) {
      assertThat(cache.liveArrays()).isZero();
      assertThatThrownBy(() -> cache.keys(0)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("PagedKvCache.copy");
      assertThatThrownBy(() -> new PagedKvCache(GQA, 2, 4, DataType.INT8, Device.cpu()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("f32, f16 or bf16");
    }
  }
}
