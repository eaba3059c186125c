package dev.latent.ml.llm;

import static dev.latent.ml.llm.KvCacheConsistencyTest.fullLogits;
import static dev.latent.ml.llm.KvCacheConsistencyTest.slice;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A 16-bit KV cache (bf16 or f16) under f32 weights: decoding gives the logits of full f32
 * recomputation within the rounding of the cached K/V. Measured here (2026-11-29, max over the
 * steps): bf16 (8 significant bits, relative error ≤ 2^-9) 0.009–0.019, f16 (11 bits, ≤ 2^-12)
 * 0.0008–0.0018; the bounds are about 3× that (an f32 cache stays within 2e-4, in
 * {@link KvCacheConsistencyTest}). MHA, MQA and GQA decode in the Java kernels reading the 16-bit
 * pools; MLA (both paths) and MoE run on DJL with rows widened to f32.
 */
class HalfKvCacheTest {

  static Stream<Arguments> family() {
    List<Arguments> out = new ArrayList<>();
    for (DataType kv : List.of(DataType.BFLOAT16, DataType.FLOAT16)) {
      out.add(Arguments.of("mha", TinyModels.mha(), true, kv));
      out.add(Arguments.of("mqa", TinyModels.mqa(), true, kv));
      out.add(Arguments.of("gqa", TinyModels.gqa(), true, kv));
      out.add(Arguments.of("mla-absorbed", TinyModels.mla(), true, kv));
      out.add(Arguments.of("mla-naive", TinyModels.mla(), false, kv));
      out.add(Arguments.of("mla-qlora", TinyModels.mlaWithQLora(), true, kv));
      out.add(Arguments.of("moe", TinyModels.moe(), true, kv));
    }
    return out.stream();
  }

  static float tolerance(DataType kv) {
    return kv == DataType.BFLOAT16 ? 0.05f : 0.006f;
  }

  @ParameterizedTest(name = "{0} {3}")
  @MethodSource("family")
  void batchedDecodeEqualsFullRecomputationWithinTheRounding(String name, TransformerConfig config,
      boolean absorbed, DataType kv) {
    int[] a = {5, 17, 3, 42, 8, 1, 60, 22, 90};
    int[] b = {9, 2, 77, 31, 4, 66};
    ModelOptions options = ModelOptions.cpu().withAbsorbedMla(absorbed);
    try (Transformer model = Transformer.random(config, 7, options);
        PagedKvCache cache = model.newKvCache(16, 4, kv)) {
      assertThat(cache.dataType()).isEqualTo(kv);
      KvSequence sa = cache.newSequence();
      KvSequence sb = cache.newSequence();
      cache.reserve(sa, a.length);
      cache.reserve(sb, b.length);
      model.prefill(sa, slice(a, 0, 4));
      model.prefill(sb, slice(b, 0, 2));
      float worst = 0;
      for (int step = 0; step < 4; step++) { // sa at positions 4..7, sb at 2..5, in one batch
        float[][] logits = model.decode(List.of(sa, sb), new int[] {a[4 + step], b[2 + step]});
        worst = Math.max(worst, maxDiff(logits[0], fullLogits(model, slice(a, 0, 5 + step))));
        worst = Math.max(worst, maxDiff(logits[1], fullLogits(model, slice(b, 0, 3 + step))));
      }
      worst = Math.max(worst, maxDiff(model.decode(List.of(sa), new int[] {a[8]})[0], fullLogits(model, a)));
      System.out.printf("%s %s max |logit diff| %.3g%n", name, kv, worst);
      assertThat(worst).as("max |logit diff| against full f32 recomputation").isLessThan(tolerance(kv));
    }
  }

  /** A sequence whose blocks are scattered is gathered slot by slot from the 16-bit pool. */
  @ParameterizedTest(name = "{0} {3}")
  @MethodSource("family")
  void scatteredBlocksAreGatheredFromTheHalfPool(String name, TransformerConfig config, boolean absorbed,
      DataType kv) {
    int[] a = {5, 17, 3, 42, 8, 1, 60};
    try (Transformer model = Transformer.random(config, 7, ModelOptions.cpu().withAbsorbedMla(absorbed));
        PagedKvCache cache = model.newKvCache(12, 2, kv)) {
      FragmentedPool.holdEveryOtherBlock(cache);
      KvSequence scattered = cache.newSequence();
      model.prefill(scattered, slice(a, 0, 4));
      assertThat(scattered.contiguousStart(4)).isEqualTo(-1);
      float[] step = model.decode(List.of(scattered), new int[] {a[4]})[0];
      assertThat(maxDiff(step, fullLogits(model, slice(a, 0, 5)))).isLessThan(tolerance(kv));
      assertThat(maxDiff(model.prefill(scattered, slice(a, 5, 7)), fullLogits(model, a)))
          .isLessThan(tolerance(kv));
    }
  }

  static float maxDiff(float[] actual, float[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    float worst = 0;
    for (int i = 0; i < actual.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    }
    return worst;
  }
}
