package dev.latent.ml.llm;

import static dev.latent.ml.llm.HalfKvCacheTest.maxDiff;
import static dev.latent.ml.llm.KvCacheConsistencyTest.fullLogits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.kernel.F32Matrix;
import dev.latent.ml.llm.kernel.KernelWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Transformer#step}: decoding sequences and prompt chunks in one step. In the Java pass a
 * sequence gets the same bits as when it is stepped alone, and the logits of full recomputation
 * within float (f32 KV) or the KV's rounding (bf16 KV); what the Java pass cannot take runs
 * separately.
 */
class MixedStepTest {

  /** Head size 16: the vector loops of the f32 and the bf16 pools both run. */
  static final TransformerConfig GQA16 = TransformerConfig.llama(64, 2, 4, 2, 96, TinyModels.VOCAB);

  static Stream<Arguments> family() {
    List<Arguments> out = new ArrayList<>();
    for (DataType kv : List.of(DataType.FLOAT32, DataType.BFLOAT16)) {
      out.add(Arguments.of("mha", TinyModels.mha(), kv));
      out.add(Arguments.of("gqa", TinyModels.gqa(), kv));
      out.add(Arguments.of("mqa", TinyModels.mqa(), kv));
      out.add(Arguments.of("gqa-hd16", GQA16, kv));
    }
    return out.stream();
  }

  /** Four sequences: two decoding (prompts 5 and 9), one new prompt of 7, one 3-token prefix plus 6. */
  static final int[][] PROMPTS = {tokens(5, 1), tokens(9, 2), tokens(7, 3), tokens(9, 4)};
  static final int[] PREFIX = {5, 9, 0, 3}; // tokens cached before the mixed step

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("family")
  void mixedStepMatchesFullRecomputation(String name, TransformerConfig config, DataType kv) {
    try (Transformer model = Transformer.random(config, 7, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(32, 4, kv)) {
      List<KvSequence> seqs = prefixed(model, cache);
      List<int[]> tokens = mixedTokens();
      long before = model.javaSteps();
      float[][] logits = model.step(seqs, tokens, null);
      assertThat(model.javaSteps()).as("one Java pass").isEqualTo(before + 1);
      float tolerance = kv == DataType.FLOAT32 ? 2e-4f : HalfKvCacheTest.tolerance(kv);
      for (int s = 0; s < seqs.size(); s++) {
        assertThat(seqs.get(s).length()).isEqualTo(PREFIX[s] + tokens.get(s).length);
        assertThat(maxDiff(logits[s], fullLogits(model, known(s, tokens.get(s)))))
            .as("sequence %d", s).isLessThan(tolerance);
      }
      // the next step reads the K/V the mixed step wrote: every sequence decodes one more token
      int[][] next = {{11}, {12}, {13}, {14}};
      float[][] after = model.step(seqs, Arrays.asList(next), null);
      for (int s = 0; s < seqs.size(); s++) {
        int[] all = known(s, tokens.get(s));
        all = Arrays.copyOf(all, all.length + 1);
        all[all.length - 1] = next[s][0];
        assertThat(maxDiff(after[s], fullLogits(model, all))).as("sequence %d after", s).isLessThan(tolerance);
      }
    }
  }

  static Stream<Arguments> bits() {
    List<Arguments> out = new ArrayList<>();
    for (boolean panels : List.of(false, true)) {
      for (DataType kv : List.of(DataType.FLOAT32, DataType.BFLOAT16)) {
        out.add(Arguments.of(panels, kv));
      }
    }
    return out.stream();
  }

  /**
   * The service's "concurrent == sequential" relies on this: a sequence's logits and cached K/V do
   * not depend on what else shares the step, bit for bit, with and without f32 panels.
   */
  @ParameterizedTest(name = "panels {0}, kv {1}")
  @MethodSource("bits")
  void mixedStepEqualsEachSequenceSteppedAloneBitForBit(boolean panels, DataType kv) {
    try (Transformer model = Transformer.random(GQA16, 3, ModelOptions.cpu().withF32Panels(panels));
        PagedKvCache together = model.newKvCache(32, 4, kv);
        PagedKvCache alone = model.newKvCache(32, 4, kv)) {
      List<KvSequence> mixed = prefixed(model, together);
      List<KvSequence> single = prefixed(model, alone);
      List<int[]> tokens = mixedTokens();
      float[][] logits = model.step(mixed, tokens, null);
      for (int s = 0; s < single.size(); s++) {
        float[] own = model.step(List.of(single.get(s)), List.of(tokens.get(s)), null)[0];
        assertThat(logits[s]).as("sequence %d", s).containsExactly(own);
      }
      int[][] next = {{21}, {22}, {23}, {24}};
      float[][] after = model.step(mixed, Arrays.asList(next), null);
      for (int s = 0; s < single.size(); s++) {
        float[] own = model.step(List.of(single.get(s)), List.of(next[s]), null)[0];
        assertThat(after[s]).as("sequence %d after", s).containsExactly(own);
      }
      assertThat(model.javaSteps()).as("every step one Java pass").isEqualTo(3 + 3 + 1 + 4 + 1 + 4);
    }
  }

  /** A sequence whose blocks are not one run sends the step to the separate path, which is right too. */
  @Test
  void scatteredSequenceRunsSeparately() {
    int[] a = {5, 17, 3, 42, 8, 1, 60, 22, 90};
    try (Transformer model = Transformer.random(TinyModels.gqa(), 7, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(24, 2)) {
      KvSequence run = cache.newSequence();
      cache.reserve(run, 4);
      model.prefill(run, PROMPTS[0]);
      FragmentedPool.holdEveryOtherBlock(cache);
      KvSequence scattered = cache.newSequence();
      long before = model.javaSteps();
      float[][] logits = model.step(List.of(run, scattered), List.of(new int[] {30}, a), null);
      assertThat(scattered.contiguousStart(a.length)).isEqualTo(-1);
      assertThat(model.javaSteps()).isEqualTo(before);
      int[] first = Arrays.copyOf(PROMPTS[0], 6);
      first[5] = 30;
      KvCacheConsistencyTest.assertClose(logits[0], fullLogits(model, first));
      KvCacheConsistencyTest.assertClose(logits[1], fullLogits(model, a));
    }
  }

  /** MLA has no Java pass: its mixed steps run separately and equal full recomputation. */
  @Test
  void latentAttentionRunsSeparately() {
    try (Transformer model = Transformer.random(TinyModels.mla(), 7, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(32, 4)) {
      List<KvSequence> seqs = prefixed(model, cache);
      List<int[]> tokens = mixedTokens();
      long before = model.javaSteps();
      float[][] logits = model.step(seqs, tokens, null);
      assertThat(model.javaSteps()).isEqualTo(before);
      for (int s = 0; s < seqs.size(); s++) {
        KvCacheConsistencyTest.assertClose(logits[s], fullLogits(model, known(s, tokens.get(s))));
      }
    }
  }

  @Test
  void badStepsAreRejected() {
    try (Transformer model = Transformer.random(TinyModels.gqa(), 7, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(8, 4)) {
      KvSequence s = cache.newSequence();
      assertThatThrownBy(() -> model.step(List.of(s), List.of(new int[0]), null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no tokens");
      assertThatThrownBy(() -> model.step(List.of(s), List.of(new int[] {1}, new int[] {2}), null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one token array per sequence");
      assertThatThrownBy(() -> model.step(List.of(s, s), List.of(new int[] {1}, new int[] {2}), null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
      assertThatThrownBy(() -> model.step(List.of(s), List.of(new int[] {1, TinyModels.VOCAB}), null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside vocabulary");
      assertThat(s.length()).isZero();
    }
  }

  /** The per-model switch: panels for this model's float32 matrices whatever the JVM flag says. */
  @Test
  void panelsArePerModel() {
    try (Transformer plain = Transformer.random(TinyModels.gqa(), 7, ModelOptions.cpu().withF32Panels(false));
        Transformer panels = Transformer.random(TinyModels.gqa(), 7, ModelOptions.cpu().withF32Panels(true))) {
      String w = "model.layers.0.mlp.down_proj.weight";
      assertThat(panels.options().f32Panels()).isTrue();
      assumeTrue(KernelWeights.panelsAvailable(), "8-lane vectors (AVX2) for the panels");
      assertThat(((F32Matrix) KernelWeights.of(plain.parameters().get(w))).hasPanels()).isFalse();
      assertThat(((F32Matrix) KernelWeights.of(panels.parameters().get(w))).hasPanels()).isTrue();
      // tiny gqa: dim 32, 4 heads of 8, 2 kv heads, hidden 48, 2 layers, untied vocab 97;
      // rows rounded up to whole 16-row panels: qkv 64, o 32, gate|up 96, down 32, head 112
      long perLayer = (64L * 32 + 32 * 32 + 96 * 32 + 32 * 48) * Float.BYTES;
      assertThat(panels.panelBytes()).isEqualTo(2 * perLayer + 112L * 32 * Float.BYTES);
      assertThat(plain.panelBytes()).isZero();
      assertThat(ModelOptions.cpu().withDtype(DataType.FLOAT32).withF32Panels(true).withDtype(DataType.FLOAT32)
          .f32Panels()).as("kept by withDtype").isTrue();
    }
  }

  /** Each sequence's cached prefix, written by steps of its own (the Java pass). */
  private static List<KvSequence> prefixed(Transformer model, PagedKvCache cache) {
    List<KvSequence> seqs = new ArrayList<>();
    for (int s = 0; s < PROMPTS.length; s++) {
      KvSequence seq = cache.newSequence();
      cache.reserve(seq, PROMPTS[s].length + 2);
      if (PREFIX[s] > 0) {
        model.step(List.of(seq), List.of(Arrays.copyOf(PROMPTS[s], PREFIX[s])), null);
      }
      seqs.add(seq);
    }
    return seqs;
  }

  /** The mixed step: one token for the decoding sequences, the rest of the prompt for the others. */
  private static List<int[]> mixedTokens() {
    return List.of(new int[] {40}, new int[] {41}, PROMPTS[2], Arrays.copyOfRange(PROMPTS[3], PREFIX[3], 9));
  }

  /** Sequence {@code s}'s tokens once {@code added} follow its prefix. */
  private static int[] known(int s, int[] added) {
    int[] all = Arrays.copyOf(PROMPTS[s], PREFIX[s] + added.length);
    System.arraycopy(added, 0, all, PREFIX[s], added.length);
    return all;
  }

  private static int[] tokens(int n, int seed) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = (seed * 31 + i * 17 + 5) % TinyModels.VOCAB;
    }
    return t;
  }
}
