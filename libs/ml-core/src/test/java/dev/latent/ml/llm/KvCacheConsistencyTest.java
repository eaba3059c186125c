package dev.latent.ml.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Decoding with the paged KV cache gives the logits of recomputing the whole sequence. */
class KvCacheConsistencyTest {

  static Stream<Arguments> family() {
    return Stream.of(
        Arguments.of("mha", TinyModels.mha()),
        Arguments.of("mqa", TinyModels.mqa()),
        Arguments.of("gqa", TinyModels.gqa()),
        Arguments.of("mla", TinyModels.mla()),
        Arguments.of("mla-qlora", TinyModels.mlaWithQLora()),
        Arguments.of("moe", TinyModels.moe()),
        Arguments.of("qwen2-bias", TinyModels.gqa().withArchitecture(TransformerConfig.Architecture.QWEN2)),
        Arguments.of("llama3-rope", TinyModels.gqa().withRope(500000, new TransformerConfig.RopeScaling(
            "llama3", 8, 64, 32, 1, 1, 0, 1, 4))),
        Arguments.of("mla-moe-yarn", TinyModels.moe().withRope(10000, new TransformerConfig.RopeScaling(
            "yarn", 40, 64, 32, 1, 0.707, 0.707, 1, 4))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("family")
  void batchedDecodeAtDifferentPositionsEqualsFullRecomputation(String name, TransformerConfig config) {
    int[] a = {5, 17, 3, 42, 8, 1, 60};
    int[] b = {9, 2, 77, 31};
    try (Transformer model = Transformer.random(config, 7, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(16, 2)) {
      KvSequence sa = cache.newSequence();
      KvSequence sb = cache.newSequence();
      model.prefill(sa, slice(a, 0, 4));
      model.prefill(sb, slice(b, 0, 2));
      // sa at positions 4,5,6 and sb at 2,3 share decode steps
      float[][] step1 = model.decode(List.of(sa, sb), new int[] {a[4], b[2]});
      float[][] step2 = model.decode(List.of(sa, sb), new int[] {a[5], b[3]});
      float[] last = model.decode(List.of(sa), new int[] {a[6]})[0];

      assertClose(step1[0], fullLogits(model, slice(a, 0, 5)));
      assertClose(step1[1], fullLogits(model, slice(b, 0, 3)));
      assertClose(step2[0], fullLogits(model, slice(a, 0, 6)));
      assertClose(step2[1], fullLogits(model, b));
      assertClose(last, fullLogits(model, a));
      assertThat(sa.length()).isEqualTo(7);
    }
  }

  @org.junit.jupiter.api.Test
  void longPromptsArePrefilledInChunksWithTheSameResult() {
    int n = Transformer.PREFILL_CHUNK + 37;
    int[] prompt = new int[n];
    for (int i = 0; i < n; i++) {
      prompt[i] = (i * 31 + 7) % TinyModels.VOCAB;
    }
    try (Transformer model = Transformer.random(TinyModels.gqa(), 7, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(40, 16)) {
      KvSequence s = cache.newSequence();
      assertClose(model.prefill(s, prompt), fullLogits(model, prompt));
      assertThat(s.length()).isEqualTo(n);
    }
  }

  @org.junit.jupiter.api.Test
  void prefillAllGivesEveryPositionsLogits() {
    int[] a = {5, 17, 3, 42};
    try (Transformer model = Transformer.random(TinyModels.gqa(), 7, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(4, 4)) {
      float[][] all = model.prefillAll(cache.newSequence(), a);
      assertThat(all).hasNumberOfRows(4);
      for (int i = 0; i < a.length; i++) {
        assertClose(all[i], fullLogits(model, slice(a, 0, i + 1)));
      }
    }
  }

  /**
   * Attention reads a sequence whose blocks are adjacent as one slice of the pool and gathers the
   * slots of one whose blocks are scattered; both give the logits of full recomputation, also
   * side by side in one batched step.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("family")
  void scatteredAndAdjacentBlocksGiveTheSameLogits(String name, TransformerConfig config) {
    int[] a = {5, 17, 3, 42, 8, 1, 60};
    int[] b = {9, 2, 77, 31, 4};
    try (Transformer model = Transformer.random(config, 7, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(12, 2)) {
      // no free run of 2 blocks left
      List<KvSequence> held = FragmentedPool.holdEveryOtherBlock(cache);
      KvSequence scattered = cache.newSequence();
      model.prefill(scattered, slice(a, 0, 4));
      assertThat(scattered.contiguousStart(4)).isEqualTo(-1);
      held.forEach(cache::release);
      KvSequence adjacent = cache.newSequence();
      cache.reserve(adjacent, b.length);
      model.prefill(adjacent, slice(b, 0, 3));
      assertThat(adjacent.contiguousStart(3)).isGreaterThanOrEqualTo(0);

      float[][] step = model.decode(List.of(scattered, adjacent), new int[] {a[4], b[3]});
      assertClose(step[0], fullLogits(model, slice(a, 0, 5)));
      assertClose(step[1], fullLogits(model, slice(b, 0, 4)));
      assertClose(model.prefill(scattered, slice(a, 5, 7)), fullLogits(model, a));
      assertThat(scattered.contiguousStart(7)).isEqualTo(-1);
    }
  }

  static float[] fullLogits(Transformer model, int[] tokens) {
    try (NDManager m = NDManager.newBaseManager(model.options().device(), "PyTorch")) {
      long[] ids = new long[tokens.length];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = tokens[i];
      }
      NDArray logits = model.forward(m.create(ids, new Shape(1, ids.length)));
      return logits.get(new NDIndex("0, -1, :")).toFloatArray();
    }
  }

  static int[] slice(int[] a, int from, int to) {
    return java.util.Arrays.copyOfRange(a, from, to);
  }

  static void assertClose(float[] actual, float[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      assertThat(actual[i]).as("logit %d", i).isCloseTo(expected[i], within(2e-4f));
    }
  }
}
