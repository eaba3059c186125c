package dev.latent.ml.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.latent.ml.llm.cache.KvCacheFullException;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.List;
import org.junit.jupiter.api.Test;

/** No NDArray outlives a request; blocks are reused; the same model trains under autograd. */
class ResourceAndTrainingTest {

  @Test
  void requestsLeaveNoLiveArraysAndReturnTheirBlocks() {
    for (TransformerConfig config : List.of(TinyModels.gqa(), TinyModels.moe())) {
      try (Transformer model = Transformer.random(config, 1, ModelOptions.cpu());
          PagedKvCache cache = model.newKvCache(8, 4)) {
        int modelArrays = model.liveArrays();
        int cacheArrays = cache.liveArrays();
        for (int request = 0; request < 3; request++) {
          KvSequence a = cache.newSequence();
          KvSequence b = cache.newSequence();
          model.prefill(a, new int[] {1, 2, 3, 4, 5});
          model.prefill(b, new int[] {6, 7});
          model.decode(List.of(a, b), new int[] {8, 9});
          model.decode(List.of(b), new int[] {10});
          cache.release(a);
          cache.release(b);
        }
        assertThat(model.liveArrays()).isEqualTo(modelArrays);
        assertThat(cache.liveArrays()).isEqualTo(cacheArrays);
        assertThat(cache.freeBlocks()).isEqualTo(8);
      }
    }
  }

  @Test
  void fullCacheAndBadInputsFailClearly() {
    try (Transformer model = Transformer.random(TinyModels.mha(), 1, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(2, 4)) {
      KvSequence s = cache.newSequence();
      assertThatThrownBy(() -> model.prefill(s, new int[9])).isInstanceOf(KvCacheFullException.class)
          .hasMessageContaining("2 free of 2").hasMessageContaining("need 3");
      assertThat(cache.freeBlocks()).isEqualTo(2);
      assertThatThrownBy(() -> model.prefill(s, new int[] {TinyModels.VOCAB})).hasMessageContaining("outside vocabulary");
      assertThatThrownBy(() -> model.decode(List.of(s, s), new int[] {1, 2})).hasMessageContaining("twice");
    }
  }

  @Test
  void parametersTrainUnderAGradientCollector() {
    try (Transformer model = Transformer.random(TinyModels.moe(), 1, ModelOptions.cpu().withAbsorbedMla(false))) {
      model.parameters().values().forEach(p -> p.setRequiresGradient(true));
      try (NDManager m = NDManager.newBaseManager(model.options().device(), "PyTorch")) {
        NDArray ids = m.create(new long[] {3, 1, 4, 1, 5, 9, 2, 6}, new Shape(2, 4));
        NDArray targets = m.create(new long[] {1, 4, 1, 5, 9, 2, 6, 5}, new Shape(8));
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
          NDArray logProbs = model.forward(ids).reshape(8, TinyModels.VOCAB).logSoftmax(-1);
          NDArray loss = logProbs.get(new ai.djl.ndarray.index.NDIndex("{}, {}", m.arange(8L), targets)).neg().mean();
          gc.backward(loss);
          assertThat(loss.getFloat()).isPositive();
        }
        for (String name : List.of("model.layers.1.self_attn.q_kv_a_proj.weight", "model.layers.2.mlp.gate.weight",
            "model.embed_tokens.weight", "model.layers.0.mlp.gate_up_proj.weight")) {
          NDArray grad = model.parameters().get(name).getGradient();
          assertThat(grad.abs().sum().getFloat()).as(name).isPositive();
        }
      }
    }
  }
}
