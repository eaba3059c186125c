package dev.latent.ml.llm.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.TransformerConfig.Mla;
import dev.latent.ml.llm.TransformerConfig.Moe;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A model with bf16 weights (projections in the kernel) against the same weights in f32. */
class Bf16ModelTest {

  private static final ModelOptions BF16 = ModelOptions.cpu().withDtype(DataType.BFLOAT16);
  private static final int[] PROMPT = {5, 17, 3, 42, 8, 1, 60, 33, 90, 12};

  @TempDir Path dir;

  static Stream<Arguments> models() {
    return Stream.of(
        // odd sizes: dim 40 and hidden 72 are not multiples of the vector length
        Arguments.of("gqa-odd", TransformerConfig.llama(40, 2, 4, 2, 72, 101)),
        Arguments.of("mha", TransformerConfig.llama(64, 2, 4, 4, 96, 97)),
        Arguments.of("qwen2-bias", TransformerConfig.llama(40, 2, 4, 2, 72, 101)
            .withArchitecture(TransformerConfig.Architecture.QWEN2)),
        Arguments.of("mla-moe", TransformerConfig.llama(32, 3, 4, 4, 48, 97)
            .withMla(new Mla(12, 16, 8, 4, 8), new Moe(6, 1, 2, 16, 1, 1, 1.0, true))));
  }

  /**
   * One bf16 checkpoint loaded both ways holds exactly the same numbers in both models, so they
   * differ only in where the projections run (kernel vs DJL) and in f32 summation order: 1e-4 on
   * logits of order 1. Against the unrounded f32 weights the bf16 rounding (relative error up to
   * 2^-9 per weight) shows: it moves these tiny models' logits (of order 1) by up to ~2e-2 after a
   * few layers (a MoE router's gate scores shift too), so 5e-2.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void logitsAreCloseToTheSameWeightsInF32(String name, TransformerConfig config) {
    try (Transformer f32 = Transformer.random(config, 9, ModelOptions.cpu());
        Transformer bf16 = Transformer.random(config, 9, BF16)) {
      float[] unrounded = lastLogits(f32, PROMPT);
      float[] rounded = lastLogits(bf16, PROMPT);
      double maxRounding = 0;
      for (int i = 0; i < rounded.length; i++) {
        assertThat(rounded[i]).as("logit %d", i).isCloseTo(unrounded[i], within(5e-2f));
        maxRounding = Math.max(maxRounding, Math.abs(rounded[i] - unrounded[i]));
      }
      assertThat(maxRounding).as("bf16 rounding must show").isGreaterThan(0);
      f32.save(dir, Long.MAX_VALUE, true);
    }
    try (Transformer kernel = Transformer.load(dir, BF16);
        Transformer djl = Transformer.load(dir, ModelOptions.cpu())) {
      float[] a = lastLogits(kernel, PROMPT);
      float[] b = lastLogits(djl, PROMPT);
      for (int i = 0; i < a.length; i++) {
        assertThat(a[i]).as("logit %d", i).isCloseTo(b[i], within(1e-4f));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void cachedDecodeEqualsFullRecomputation(String name, TransformerConfig config) {
    try (Transformer model = Transformer.random(config, 7, BF16);
        PagedKvCache cache = model.newKvCache(16, 2)) {
      KvSequence a = cache.newSequence();
      KvSequence b = cache.newSequence();
      model.prefill(a, slice(PROMPT, 4));
      model.prefill(b, slice(PROMPT, 2));
      float[][] step = model.decode(List.of(a, b), new int[] {PROMPT[4], PROMPT[2]});
      float[] last = model.decode(List.of(a), new int[] {PROMPT[5]})[0];
      assertClose(step[0], fullLogits(model, slice(PROMPT, 5)));
      assertClose(step[1], fullLogits(model, slice(PROMPT, 3)));
      assertClose(last, fullLogits(model, slice(PROMPT, 6)));
    }
  }

  /** A prompt longer than {@link Bf16Weights#MAX_KERNEL_ROWS} runs DJL's GEMM on the widened copy. */
  @Test
  void longPromptsOnTheGemmPathAgreeWithTokenByTokenKernelDecode() {
    TransformerConfig config = TransformerConfig.llama(40, 2, 4, 2, 72, 101);
    int[] prompt = new int[Bf16Weights.MAX_KERNEL_ROWS + 9];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = (i * 37 + 11) % 101;
    }
    try (Transformer model = Transformer.random(config, 5, BF16);
        PagedKvCache cache = model.newKvCache(64, 4)) {
      float[] gemm = model.prefill(cache.newSequence(), prompt);
      KvSequence one = cache.newSequence();
      float[] kernel = model.prefill(one, slice(prompt, 1));
      for (int i = 1; i < prompt.length; i++) {
        kernel = model.decode(List.of(one), new int[] {prompt[i]})[0];
      }
      assertClose(kernel, gemm);
    }
  }

  @Test
  void twinsGoWithTheModelAndParametersHoldTheRoundedValues() {
    TransformerConfig config = TransformerConfig.llama(40, 2, 4, 2, 72, 101);
    NDArray qkv;
    try (Transformer model = Transformer.random(config, 3, BF16)) {
      qkv = model.parameters().get("model.layers.0.self_attn.qkv_proj.weight");
      Bf16Matrix twin = Bf16Weights.twin(qkv);
      assertThat(twin).isNotNull();
      assertThat(twin.rows()).isEqualTo(qkv.getShape().get(0));
      float[] values = qkv.toFloatArray();
      assertThat(values).containsExactly(twin.widen());
      assertThat(Bf16Weights.twin(model.parameters().get("model.norm.weight"))).isNull();
    }
    assertThat(Bf16Weights.twin(qkv)).as("released with the model").isNull();
  }

  @Test
  void autoDtypeIsBf16OnTheCpu() {
    ModelOptions auto = ModelOptions.of("cpu", "auto");
    assertThat(auto.weightDtype()).isEqualTo(DataType.BFLOAT16);
    assertThat(auto.dtype()).as("what DJL computes in").isEqualTo(DataType.FLOAT32);
    assertThat(ModelOptions.of("cpu", "f32").weightDtype()).isEqualTo(DataType.FLOAT32);
  }

  private static float[] lastLogits(Transformer model, int[] tokens) {
    try (PagedKvCache cache = model.newKvCache(16, 4)) {
      return model.prefill(cache.newSequence(), tokens);
    }
  }

  private static float[] fullLogits(Transformer model, int[] tokens) {
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
      long[] ids = new long[tokens.length];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = tokens[i];
      }
      NDArray logits = model.forward(m.create(ids).reshape(1, ids.length)); // [1, T, V]
      return logits.get(new NDIndex("0, -1, :")).toFloatArray();
    }
  }

  private static void assertClose(float[] actual, float[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      assertThat(actual[i]).as("logit %d", i).isCloseTo(expected[i], within(1e-4f));
    }
  }

  private static int[] slice(int[] a, int n) {
    return java.util.Arrays.copyOf(a, n);
  }
}
