package dev.latent.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.io.SafetensorsFile;
import dev.latent.ml.train.AdamOptimizer.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's model trains: loss falls, LoRA touches only the adapter, DPO widens the margin. */
class TrainerTest {

  static final TransformerConfig TINY = TransformerConfig.llama(32, 2, 4, 2, 48, 61);

  static List<LmBatch> counting() {
    // Two sequences that count upwards: fully predictable from the previous token.
    return List.of(LmBatch.of(List.of(
        LmBatch.Sequence.all(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}),
        LmBatch.Sequence.all(new int[] {20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31})), 0));
  }

  @Test
  void lossFallsOnATinyDatasetWithAccumulationAndClipping() {
    try (Transformer model = Transformer.random(TINY, 7, ModelOptions.cpu());
        Trainer trainer = new Trainer(model, null, null, AdamOptimizer.Settings.of(Kind.ADAMW, 0.01f),
            LrSchedule.of(LrSchedule.Kind.COSINE, 1e-2, 3, 40), 1.0, 0)) {
      List<LmBatch> data = counting();
      double first = trainer.evalLoss(data);
      Trainer.StepStats last = trainer.step(List.of(data.getFirst(), data.getFirst()));
      int arrays = model.liveArrays(); // weights plus the optimizer's moments, created by step 1
      for (int i = 1; i < 40; i++) {
        last = trainer.step(List.of(data.getFirst(), data.getFirst()));
      }
      assertThat(last.step()).isEqualTo(40);
      assertThat(last.tokens()).isEqualTo(44);
      assertThat(last.gradNorm()).isPositive();
      assertThat(trainer.evalLoss(data)).isLessThan(first * 0.3);
      assertThat(model.liveArrays()).isEqualTo(arrays);
    }
  }

  @Test
  void loraChangesOnlyTheAdapterAndSavesAPeftAdapter(@TempDir Path dir) throws Exception {
    try (Transformer model = Transformer.random(TINY, 7, ModelOptions.cpu());
        NDManager m = NDManager.newBaseManager("PyTorch")) {
      Map<String, float[]> before = snapshot(model, m);
      LoraAdapter lora = LoraAdapter.attach(model, new LoraConfig(4, 8, 0, List.of("q_proj", "v_proj", "down_proj")), 3);
      assertThat(lora.parameters()).containsKeys(
          "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
          "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");
      List<LmBatch> data = counting();
      try (Trainer trainer = new Trainer(model, lora, null, AdamOptimizer.Settings.of(Kind.ADAMW, 0f),
          LrSchedule.of(LrSchedule.Kind.CONSTANT, 2e-2, 0, 30), 1.0, 0)) {
        double first = trainer.evalLoss(data);
        for (int i = 0; i < 30; i++) {
          trainer.step(data);
        }
        assertThat(trainer.evalLoss(data)).isLessThan(first * 0.8);
      }
      NDArray b = lora.parameters().get("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight");
      assertThat(b.abs().sum().getFloat()).isPositive();
      lora.restoreBase();
      assertThat(snapshot(model, m)).allSatisfy((name, values) ->
          assertThat(values).as(name).containsExactly(before.get(name)));
      lora.save(dir, "tiny");
      JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("adapter_config.json"))).getAsJsonObject();
      assertThat(config.get("peft_type").getAsString()).isEqualTo("LORA");
      assertThat(config.get("r").getAsInt()).isEqualTo(4);
      try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
        assertThat(f.entries()).hasSize(2 * 2 * 3);
      }
      lora.mergeAndClose();
      NDArray q = model.tensor("model.layers.0.self_attn.q_proj.weight", m);
      assertThat(q.toFloatArray()).isNotEqualTo(before.get("model.layers.0.self_attn.q_proj.weight"));
    }
  }

  @Test
  void dpoRaisesTheChosenMinusRejectedMargin() {
    try (Transformer policy = Transformer.random(TINY, 11, ModelOptions.cpu());
        Transformer reference = Transformer.random(TINY, 11, ModelOptions.cpu());
        Trainer trainer = new Trainer(policy, null, reference, AdamOptimizer.Settings.of(Kind.ADAMW, 0f),
            LrSchedule.of(LrSchedule.Kind.CONSTANT, 5e-3, 0, 20), 1.0, 0.5)) {
      List<Trainer.DpoBatch> data = preferencePairs();
      Trainer.StepStats first = trainer.dpoStep(data);
      assertThat(first.dpo().margin()).isCloseTo(0.0, org.assertj.core.api.Assertions.within(1e-4));
      assertThat(first.loss()).isCloseTo(Math.log(2), org.assertj.core.api.Assertions.within(1e-4));
      Trainer.StepStats last = first;
      for (int i = 0; i < 15; i++) {
        last = trainer.dpoStep(data);
      }
      assertThat(last.dpo().margin()).isGreaterThan(0.5);
      assertThat(last.dpo().accuracy()).isEqualTo(1.0);
      assertThat(last.loss()).isLessThan(first.loss());
    }
  }

  @Test
  void rpoAlphaKeepsTheChosenResponsesMoreLikelyThanPlainDpo() {
    List<Trainer.DpoBatch> data = preferencePairs();
    double[] firstNll = new double[2];
    double[] lastNll = new double[2];
    for (int run = 0; run < 2; run++) {
      try (Transformer policy = Transformer.random(TINY, 11, ModelOptions.cpu());
          Transformer reference = Transformer.random(TINY, 11, ModelOptions.cpu());
          Trainer trainer = new Trainer(policy, null, reference, AdamOptimizer.Settings.of(Kind.ADAMW, 0f),
              LrSchedule.of(LrSchedule.Kind.CONSTANT, 5e-3, 0, 20), 1.0, 0.5).rpoAlpha(run)) {
        Trainer.StepStats s = trainer.dpoStep(data);
        firstNll[run] = s.dpo().chosenNll();
        for (int i = 0; i < 10; i++) {
          s = trainer.dpoStep(data);
        }
        lastNll[run] = s.dpo().chosenNll();
        assertThat(s.dpo().margin()).as("margin, rpo_alpha %d", run).isPositive();
        assertThatThrownBy(() -> trainer.rpoAlpha(-1)).isInstanceOf(IllegalArgumentException.class);
      }
    }
    assertThat(firstNll[1]).isEqualTo(firstNll[0]); // same seeded model, same batch
    assertThat(lastNll[1]).isLessThan(firstNll[1] - 0.5);
    assertThat(lastNll[1]).isLessThan(lastNll[0]);
  }

  @Test
  void aNonFiniteStepFailsAloneAndTheNextStepStartsFromZeroGradients() {
    try (Transformer model = Transformer.random(TINY, 7, ModelOptions.cpu());
        Trainer trainer = new Trainer(model, null, null, AdamOptimizer.Settings.of(Kind.ADAMW, 0.01f),
            LrSchedule.of(LrSchedule.Kind.CONSTANT, 1e-2, 0, 10), 1.0, 0)) {
      List<LmBatch> data = counting();
      Trainer.noGrad(); // in-place writes into a parameter that records gradients
      NDArray embed = model.parameters().get("model.embed_tokens.weight");
      float[] row = embed.get(5).toFloatArray();
      embed.set(new NDIndex("5"), Float.POSITIVE_INFINITY); // token 5 now poisons its sequence
      assertThatThrownBy(() -> trainer.step(data)).isInstanceOf(ArithmeticException.class)
          .hasMessageContaining("non-finite loss or gradient at step 1");
      try (NDManager m = NDManager.newBaseManager("PyTorch")) {
        embed.set(new NDIndex("5"), m.create(row));
      }
      // Before: gradients were "zeroed" as g·0, which keeps NaN, so every later step failed too.
      Trainer.StepStats next = trainer.step(data);
      assertThat(next.loss()).isFinite();
      assertThat(next.gradNorm()).isFinite().isPositive();
      assertThat(next.step()).isEqualTo(1);
    }
  }

  @Test
  void loraDropoutActsOnTheAdapterInputWhileTrainingOnly() {
    try (Transformer model = Transformer.random(TINY, 7, ModelOptions.cpu());
        NDManager m = NDManager.newBaseManager("PyTorch")) {
      Trainer.noGrad();
      LoraAdapter lora = LoraAdapter.attach(model, new LoraConfig(4, 8, 0.25, List.of("q_proj", "v_proj")), 3);
      lora.parameters().forEach((name, p) -> { // a non-zero B, as after some training
        if (name.endsWith("lora_B.weight")) {
          p.set(new NDIndex(":"), 0.5f);
        }
      });
      NDArray qkv = model.parameters().get("model.layers.0.self_attn.qkv_proj.weight");
      NDArray x = m.randomUniform(-1f, 1f, new ai.djl.ndarray.types.Shape(1, 32)).repeat(0, 20000);
      lora.training(false);
      NDArray eval = lora.apply(x, qkv);
      // isEqualTo, not containsExactly: AssertJ's containsExactly took minutes on 1.9 M floats
      assertThat(eval.toFloatArray()).isEqualTo(lora.apply(x, qkv).toFloatArray());
      lora.training(true);
      NDArray train = lora.apply(x, qkv);
      assertThat(train.toFloatArray()).isNotEqualTo(eval.toFloatArray());
      // k_proj is not adapted: its columns stay 0 in both modes
      assertThat(train.get(":, 32:48").abs().sum().getFloat()).isZero();
      // inverted dropout: a dropped input is 0, a kept one scaled by 1/(1-p), so the mean is unchanged
      float[] mean = train.mean(new int[] {0}).toFloatArray();
      float[] want = eval.get(0).toFloatArray();
      for (int i = 0; i < want.length; i++) {
        assertThat(mean[i]).as("column %d", i).isCloseTo(want[i], within(0.03f + 0.03f * Math.abs(want[i])));
      }
      assertThat(lora.apply(x, model.parameters().get("model.layers.0.mlp.down_proj.weight"))).isNull();
      lora.close();
    }
  }

  @Test
  void loraWithDropoutTrainsAndLeavesTheBaseAlone() {
    try (Transformer model = Transformer.random(TINY, 7, ModelOptions.cpu());
        NDManager m = NDManager.newBaseManager("PyTorch")) {
      Map<String, float[]> before = snapshot(model, m);
      LoraAdapter lora = LoraAdapter.attach(model, new LoraConfig(4, 8, 0.1, List.of("q_proj", "v_proj", "o_proj")), 3);
      List<LmBatch> data = counting();
      try (Trainer trainer = new Trainer(model, lora, null, AdamOptimizer.Settings.of(Kind.ADAMW, 0f),
          LrSchedule.of(LrSchedule.Kind.CONSTANT, 2e-2, 0, 30), 1.0, 0)) {
        double first = trainer.evalLoss(data);
        for (int i = 0; i < 30; i++) {
          trainer.step(data);
        }
        assertThat(trainer.evalLoss(data)).isLessThan(first * 0.8);
        assertThat(trainer.evalLoss(data)).isEqualTo(trainer.evalLoss(data)); // no dropout in evaluation
      }
      assertThat(snapshot(model, m)).allSatisfy((name, values) ->
          assertThat(values).as(name).containsExactly(before.get(name)));
      for (NDArray p : model.parameters().values()) {
        assertThat(p.hasGradient()).isFalse(); // the base records no gradient at all
      }
      lora.close();
    }
  }

  private static Map<String, float[]> snapshot(Transformer model, NDManager m) {
    Map<String, float[]> out = new HashMap<>();
    for (String name : model.tensorNames()) {
      out.put(name, model.tensor(name, m).toFloatArray());
    }
    return out;
  }

  /** Two prompts, each with a chosen and a rejected two-token answer (prompt tokens masked). */
  static List<Trainer.DpoBatch> preferencePairs() {
    boolean[] prompt = {false, false, false, true, true};
    LmBatch chosen = LmBatch.of(List.of(new LmBatch.Sequence(new int[] {3, 4, 5, 9, 9}, prompt),
        new LmBatch.Sequence(new int[] {7, 1, 2, 8, 8}, prompt)), 0);
    LmBatch rejected = LmBatch.of(List.of(new LmBatch.Sequence(new int[] {3, 4, 5, 40, 41}, prompt),
        new LmBatch.Sequence(new int[] {7, 1, 2, 50, 51}, prompt)), 0);
    return List.of(new Trainer.DpoBatch(chosen, rejected));
  }
}
