package dev.latent.ml.llm;

import static dev.latent.ml.llm.sampling.Sampler.argmax;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.train.LoraAdapter;
import dev.latent.ml.train.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LoRA served per sequence: an adapter applied beside the base weights gives the logits of the
 * merged model, and sequences of different adapters and of the base share a batch without
 * affecting each other.
 */
class LoraWeightsTest {

  @TempDir
  Path tmp;

  private static final int[] PROMPT = {5, 17, 3, 42, 8, 1, 60, 23, 11};

  /** Saves a seeded adapter (random non-zero B, so it changes the output) the way training does. */
  static void writeAdapter(Transformer model, Path dir, LoraConfig config, long seed) {
    try (LoraAdapter adapter = LoraAdapter.attach(model, config, seed)) {
      NDArray any = model.parameters().values().iterator().next();
      try (NDManager m = any.getManager().newSubManager()) {
        int i = 0;
        for (var e : adapter.parameters().entrySet()) {
          if (e.getKey().endsWith("lora_B.weight")) {
            m.getEngine().setRandomSeed((int) seed + i++);
            e.getValue().set(new NDIndex(":"), m.randomNormal(0, 0.3f, e.getValue().getShape(),
                e.getValue().getDataType()));
          }
        }
      }
      adapter.save(dir, "tiny");
    }
    model.parameters().values().forEach(p -> p.setRequiresGradient(false));
  }

  /** Logits after every prompt token of the model with the adapter merged into its weights. */
  static float[][] mergedLogits(Transformer model, LoraConfig config, long seed, int[] prompt) {
    float[][] out;
    try (LoraAdapter adapter = LoraAdapter.attach(model, config, seed)) {
      // same seed and same B as writeAdapter
      NDArray any = model.parameters().values().iterator().next();
      try (NDManager m = any.getManager().newSubManager()) {
        int i = 0;
        for (var e : adapter.parameters().entrySet()) {
          if (e.getKey().endsWith("lora_B.weight")) {
            m.getEngine().setRandomSeed((int) seed + i++);
            e.getValue().set(new NDIndex(":"), m.randomNormal(0, 0.3f, e.getValue().getShape(),
                e.getValue().getDataType()));
          }
        }
      }
      model.parameters().values().forEach(p -> p.setRequiresGradient(false));
      adapter.applyToModel();
      out = all(model, prompt, null);
      adapter.restoreBase();
    }
    model.parameters().values().forEach(p -> p.setRequiresGradient(false));
    return out;
  }

  static float[][] all(Transformer model, int[] prompt, LoraWeights adapter) {
    try (PagedKvCache cache = model.newKvCache(8, 4)) {
      KvSequence s = cache.newSequence();
      return model.prefillAll(s, prompt, adapter);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gqa-all-modules", "gqa-q-v", "mla-o"})
  void adapterAppliedPerRequestEqualsTheMergedModel(String which) throws Exception {
    TransformerConfig config = which.startsWith("mla") ? TinyModels.mla() : TinyModels.gqa();
    LoraConfig lora = switch (which) {
      case "gqa-all-modules" -> new LoraConfig(4, 8, 0, LoraConfig.SUPPORTED_TARGETS);
      case "gqa-q-v" -> new LoraConfig(2, 4, 0, List.of("q_proj", "v_proj"));
      default -> new LoraConfig(3, 3, 0, List.of("o_proj"));
    };
    try (Transformer model = Transformer.random(config, 7, ModelOptions.cpu())) {
      Path dir = tmp.resolve(which);
      writeAdapter(model, dir, lora, 99);
      float[][] merged = mergedLogits(model, lora, 99, PROMPT);
      float[][] base = all(model, PROMPT, null);
      try (LoraWeights adapter = LoraWeights.load("a", model, dir)) {
        assertThat(adapter.rank()).isEqualTo(lora.r());
        assertThat(adapter.scale()).isEqualTo(lora.scale());
        assertThat(adapter.baseModel()).isEqualTo("tiny");
        float[][] served = all(model, PROMPT, adapter);
        for (int i = 0; i < PROMPT.length; i++) {
          assertThat(maxDiff(served[i], merged[i])).as("position %d", i).isLessThan(1e-4f);
        }
        assertThat(maxDiff(served[PROMPT.length - 1], base[PROMPT.length - 1])).isGreaterThan(1e-2f);
      }
      // the base weights were not touched
      assertThat(maxDiff(all(model, PROMPT, null)[PROMPT.length - 1], base[PROMPT.length - 1])).isZero();
    }
  }

  @Test
  void twoAdaptersAndTheBaseInOneBatchEachGiveTheirOwnGreedyOutput() {
    LoraConfig loraA = new LoraConfig(4, 8, 0, LoraConfig.SUPPORTED_TARGETS);
    LoraConfig loraB = new LoraConfig(2, 2, 0, List.of("q_proj", "k_proj", "v_proj", "o_proj"));
    try (Transformer model = Transformer.random(TinyModels.gqa(), 7, ModelOptions.cpu())) {
      writeAdapter(model, tmp.resolve("a"), loraA, 1);
      writeAdapter(model, tmp.resolve("b"), loraB, 2);
      try (LoraWeights a = LoraWeights.load("a", model, tmp.resolve("a"));
          LoraWeights b = LoraWeights.load("b", model, tmp.resolve("b"))) {
        List<LoraWeights> who = Arrays.asList(a, null, b, a);
        int[][] prompts = {{5, 17, 3, 42}, {5, 17, 3, 42}, {5, 17, 3, 42}, {9, 2, 77}};
        int steps = 8;
        int[][] alone = new int[who.size()][];
        for (int i = 0; i < who.size(); i++) {
          alone[i] = greedy(model, List.of(prompts[i]), Arrays.asList(who.get(i)), steps)[0];
        }
        int[][] together = greedy(model, Arrays.asList(prompts), who, steps);
        for (int i = 0; i < who.size(); i++) {
          assertThat(together[i]).as("sequence %d", i).containsExactly(alone[i]);
        }
        // the same prompt under a, the base and b really does differ
        assertThat(List.of(Arrays.toString(alone[0]), Arrays.toString(alone[1]), Arrays.toString(alone[2])))
            .doesNotHaveDuplicates();
      }
    }
  }

  private static int[][] greedy(Transformer model, List<int[]> prompts, List<LoraWeights> adapters, int steps) {
    int n = prompts.size();
    try (PagedKvCache cache = model.newKvCache(32, 4)) {
      List<KvSequence> seqs = new ArrayList<>();
      int[] next = new int[n];
      int[][] out = new int[n][steps];
      for (int i = 0; i < n; i++) {
        KvSequence s = cache.newSequence();
        seqs.add(s);
        next[i] = argmax(model.prefill(s, prompts.get(i), adapters.get(i)));
      }
      for (int k = 0; k < steps; k++) {
        for (int i = 0; i < n; i++) {
          out[i][k] = next[i];
        }
        float[][] logits = model.decode(seqs, next.clone(), adapters);
        for (int i = 0; i < n; i++) {
          next[i] = argmax(logits[i]);
        }
      }
      return out;
    }
  }

  @Test
  void anAdapterThatDoesNotFitTheBaseIsRefused() throws Exception {
    LoraConfig lora = new LoraConfig(2, 4, 0, List.of("q_proj", "v_proj"));
    try (Transformer other = Transformer.random(TransformerConfig.llama(48, 2, 4, 4, 64, TinyModels.VOCAB), 3,
            ModelOptions.cpu());
        Transformer model = Transformer.random(TinyModels.gqa(), 7, ModelOptions.cpu());
        Transformer moe = Transformer.random(TinyModels.moe(), 7, ModelOptions.cpu())) {
      writeAdapter(other, tmp.resolve("wide"), lora, 1);
      assertThatThrownBy(() -> LoraWeights.load("wide", model, tmp.resolve("wide")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs lora_A");
      writeAdapter(moe, tmp.resolve("experts"), new LoraConfig(2, 4, 0, List.of("gate_proj")), 1);
      assertThatThrownBy(() -> LoraWeights.load("experts", moe, tmp.resolve("experts")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot adapt");
      Files.createDirectories(tmp.resolve("empty"));
      assertThatThrownBy(() -> LoraWeights.load("empty", model, tmp.resolve("empty")))
          .hasMessageContaining("not a PEFT adapter");
      try (LoraWeights a = LoraWeights.load("wide", other, tmp.resolve("wide"));
          PagedKvCache cache = model.newKvCache(4, 4)) {
        KvSequence s = cache.newSequence();
        assertThatThrownBy(() -> model.prefill(s, new int[] {1, 2}, a))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another model");
      }
    }
  }


  private static float maxDiff(float[] a, float[] b) {
    float d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }
}
