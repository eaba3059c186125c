package dev.latent.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.train.AdamOptimizer.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Releasing freed native memory between a step's phases changes nothing but the resident memory. */
class FreedMemoryTest {

  @Test
  void releasesOnLinuxWithNativeAccess() {
    assumeTrue(System.getProperty("os.name", "").startsWith("Linux"));
    // the tests run with --enable-native-access=ALL-UNNAMED, as the services and benches do
    assertThat(FreedMemory.available()).isTrue();
  }

  @Test
  void releasesWhenTheResidentMemoryGrew() {
    assumeTrue(FreedMemory.available());
    FreedMemory.release();
    assertThat(FreedMemory.releaseIfGrown()).as("nothing grew").isFalse();
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      long before = FreedMemory.resident();
      m.ones(new Shape(16L << 20)).getFloat(0); // 64 MB, every page written
      assertThat(FreedMemory.resident() - before).isGreaterThan(FreedMemory.GROWTH);
      assertThat(FreedMemory.releaseIfGrown()).as("64 MB grew").isTrue();
      assertThat(FreedMemory.releaseIfGrown()).as("nothing grew since").isFalse();
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void stepsAreBitIdenticalWithAndWithoutReleasing(boolean lora) {
    Run released = train(lora, true);
    Run kept = train(lora, false);
    assertThat(released.releasing()).isEqualTo(FreedMemory.available());
    assertThat(kept.releasing()).isFalse();
    assertThat(released.losses()).containsExactlyElementsOf(kept.losses());
    assertThat(released.tensors().keySet()).isEqualTo(kept.tensors().keySet());
    released.tensors().forEach((name, values) -> assertThat(values).as(name).containsExactly(kept.tensors().get(name)));
  }

  private record Run(boolean releasing, List<Double> losses, Map<String, float[]> tensors) {}

  /** Five steps from the same seeded model and data; the losses and every trained tensor after them. */
  private static Run train(boolean withLora, boolean release) {
    try (Transformer model = Transformer.random(TrainerTest.TINY, 7, ModelOptions.cpu());
        NDManager m = NDManager.newBaseManager("PyTorch")) {
      @Nullable LoraAdapter lora = withLora
          ? LoraAdapter.attach(model, new LoraConfig(4, 8, 0, List.of("q_proj", "v_proj", "down_proj")), 3)
          : null;
      List<Double> losses = new ArrayList<>();
      boolean releasing;
      try (Trainer trainer = new Trainer(model, lora, null, AdamOptimizer.Settings.of(Kind.ADAMW, 0.01f),
          LrSchedule.of(LrSchedule.Kind.CONSTANT, 2e-2, 0, 5), 1.0, 0)) {
        trainer.releaseFreedMemory(release).lmHeadChunkRows(5).layerChunkRows(12);
        releasing = trainer.releasesFreedMemory();
        for (int i = 0; i < 5; i++) {
          losses.add(trainer.step(TrainerTest.counting()).loss());
        }
      }
      Map<String, float[]> tensors = new HashMap<>();
      if (lora != null) {
        lora.parameters().forEach((name, p) -> tensors.put(name, p.toFloatArray()));
        lora.close();
      } else {
        for (String name : model.tensorNames()) {
          tensors.put(name, model.tensor(name, m).toFloatArray());
        }
      }
      return new Run(releasing, losses, tensors);
    }
  }
}
