package dev.latent.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.TransformerConfig.Mla;
import dev.latent.ml.llm.TransformerConfig.Moe;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Recomputing each layer's activations in the backward, chunk of sequences by chunk, gives the taped
 * forward's loss and gradients.
 */
class LayerRecomputeTest {

  /** DeepSeek-V2-like: MLA with a q LoRA rank, a dense first layer, then routed + shared experts. */
  static final TransformerConfig MLA_MOE = TransformerConfig.llama(32, 3, 4, 4, 48, 61)
      .withMla(new Mla(12, 16, 8, 4, 8), new Moe(6, 1, 2, 16, 1, 1, 1.0, true));

  /** SFT-like: the prompt masked and the shorter sequence padded. */
  static LmBatch batch() {
    boolean[] first = {false, false, false, true, true, true, true, true, true};
    boolean[] second = {false, false, true, true, true};
    return LmBatch.of(List.of(new LmBatch.Sequence(new int[] {3, 4, 5, 9, 10, 11, 12, 13, 14}, first),
        new LmBatch.Sequence(new int[] {7, 1, 2, 8, 6}, second)), 0);
  }

  /** Positions per layer chunk: the whole batch in one chunk, or one sequence (of 8) per chunk. */
  private static final int WHOLE = 1000;
  private static final int ONE_SEQUENCE = 1;

  @Test
  void fullFineTuningGqa() {
    try (Transformer model = Transformer.random(TrainerTest.TINY, 5, ModelOptions.cpu())) {
      model.parameters().values().forEach(p -> p.setRequiresGradient(true));
      assertSame(model, null, model.parameters(), WHOLE, WHOLE);
      assertSame(model, null, model.parameters(), WHOLE, ONE_SEQUENCE);
    }
  }

  @Test
  void fullFineTuningMlaMoe() {
    try (Transformer model = Transformer.random(MLA_MOE, 5, ModelOptions.cpu())) {
      model.parameters().values().forEach(p -> p.setRequiresGradient(true));
      assertSame(model, null, model.parameters(), WHOLE, ONE_SEQUENCE);
    }
  }

  @Test
  void chunkedTapedForwardEqualsTheWholeBatch() {
    try (Transformer model = Transformer.random(TrainerTest.TINY, 5, ModelOptions.cpu());
        NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray ids = Trainer.ids(m, batch().inputs());
      float[] whole = model.trunk(ids, null).hidden().toFloatArray();
      float[] chunked = model.trunk(ids, null).chunkRows(ONE_SEQUENCE).hidden().toFloatArray();
      assertThat(model.trunk(ids, null).chunkRows(ONE_SEQUENCE).chunks()).isEqualTo(2);
      for (int i = 0; i < whole.length; i++) {
        assertThat(chunked[i]).as("hidden[%d]", i).isCloseTo(whole[i], within(1e-5f + 1e-5f * Math.abs(whole[i])));
      }
    }
  }

  @Test
  void loraWithDropoutGqa() {
    try (Transformer model = Transformer.random(TrainerTest.TINY, 5, ModelOptions.cpu());
        LoraAdapter lora = LoraAdapter.attach(model, new LoraConfig(4, 8, 0.5,
            List.of("q_proj", "v_proj", "o_proj", "down_proj")), 3)) {
      randomiseB(lora); // B = 0 at attach, so A would get no gradient and dropout would not show
      lora.training(true);
      // the taped reference over the same chunks, so it draws the same dropout masks in the same order
      float[] losses = assertSame(model, lora, lora.parameters(), ONE_SEQUENCE, ONE_SEQUENCE);
      lora.training(false);
      float noDropout = losses(model, lora, false);
      assertThat(losses[0]).as("dropout changed the loss, so the masks matter").isNotCloseTo(noDropout, within(1e-4f));
    }
  }

  @Test
  void loraMlaMoe() {
    try (Transformer model = Transformer.random(MLA_MOE, 5, ModelOptions.cpu());
        LoraAdapter lora = LoraAdapter.attach(model, new LoraConfig(4, 8, 0.25, List.of("o_proj")), 3)) {
      randomiseB(lora);
      lora.training(true);
      assertSame(model, lora, lora.parameters(), ONE_SEQUENCE, ONE_SEQUENCE);
    }
  }

  /**
   * Runs the micro-batch both ways (the engine's random seed reset before each, so LoRA dropout
   * draws the same masks when both run the layers over the same chunks) and asserts equal losses and
   * equal gradients of every tensor in {@code trained}; returns both losses.
   */
  private static float[] assertSame(Transformer model, @Nullable LoraAdapter lora, Map<String, NDArray> trained,
      int tapedRows, int recomputeRows) {
    Engine.getEngine("PyTorch").setRandomSeed(11);
    float taped = pass(model, lora, false, tapedRows);
    Map<String, float[]> want = takeGradients(trained);
    Engine.getEngine("PyTorch").setRandomSeed(11);
    float recomputed = pass(model, lora, true, recomputeRows);
    Map<String, float[]> got = takeGradients(trained);
    assertThat(recomputed).as("loss").isCloseTo(taped, within(1e-5f));
    assertThat(got.keySet()).isEqualTo(want.keySet());
    long nonZero = 0;
    for (var e : got.entrySet()) {
      float[] w = want.get(e.getKey());
      float[] g = e.getValue();
      for (int i = 0; i < g.length; i++) {
        assertThat(g[i]).as("%s[%d]", e.getKey(), i).isCloseTo(w[i], within(1e-5f + 1e-4f * Math.abs(w[i])));
        nonZero += w[i] != 0 ? 1 : 0;
      }
    }
    assertThat(nonZero).as("gradients to compare").isPositive();
    return new float[] {taped, recomputed};
  }

  private static float losses(Transformer model, LoraAdapter lora, boolean recompute) {
    float loss = pass(model, lora, recompute, ONE_SEQUENCE);
    takeGradients(lora.parameters());
    return loss;
  }

  private static float pass(Transformer model, @Nullable LoraAdapter lora, boolean recompute, int layerRows) {
    LmBatch b = batch();
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray ids = Trainer.ids(m, b.inputs());
      NDArray targets = Trainer.ids(m, b.targets()).reshape(-1);
      NDArray mask = Trainer.mask(m, b.mask()).reshape(-1);
      return recompute
          ? LayerRecompute.backward(model, lora, ids, targets, mask, 1f, gc, 4, layerRows, true)
          : LmHeadChunks.backward(model, model.trunk(ids, lora).chunkRows(layerRows).hidden(), targets, mask, 1f,
              gc, 4, false);
    } finally {
      Trainer.noGrad();
    }
  }

  private static void randomiseB(LoraAdapter lora) {
    Trainer.noGrad();
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      m.getEngine().setRandomSeed(5);
      lora.parameters().forEach((name, p) -> {
        if (name.endsWith("lora_B.weight")) {
          p.set(new ai.djl.ndarray.index.NDIndex(":"), m.randomUniform(-0.2f, 0.2f, p.getShape()));
        }
      });
    }
  }

  /** Copies each tensor's gradient and zeroes it for the next pass. */
  private static Map<String, float[]> takeGradients(Map<String, NDArray> trained) {
    Map<String, float[]> out = new LinkedHashMap<>();
    trained.forEach((name, p) -> {
      NDArray g = p.getGradient();
      out.put(name, g.toFloatArray());
      Trainer.zero(g);
      g.close();
    });
    return out;
  }
}
