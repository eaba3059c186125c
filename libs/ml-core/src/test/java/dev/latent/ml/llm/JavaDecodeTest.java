package dev.latent.ml.llm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.block.Weights;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.kernel.F32Matrix;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decode step on arrays ({@link Network#decode}): which models take it, and a full batch of
 * {@link F32Matrix#MAX_KERNEL_ROWS} sequences at different positions against full recomputation
 * (odd sizes: dim 40, head 10, hidden 72). {@link KvCacheConsistencyTest} covers the family.
 */
class JavaDecodeTest {

  @Test
  void denseGroupedQueryModelsDecodeInJavaOthersOnDjl() {
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      for (TransformerConfig c : List.of(TinyModels.mha(), TinyModels.gqa(), TinyModels.mqa(),
          TinyModels.gqa().withArchitecture(TransformerConfig.Architecture.QWEN2))) {
        Network n = network(c, m);
        assertThat(n.decodesInJava(1)).isTrue();
        assertThat(n.decodesInJava(F32Matrix.MAX_KERNEL_ROWS)).isTrue();
        assertThat(n.decodesInJava(F32Matrix.MAX_KERNEL_ROWS + 1)).as("a batch past the kernel's rows").isFalse();
      }
      assertThat(network(TinyModels.mla(), m).decodesInJava(1)).isFalse();
      assertThat(network(TinyModels.moe(), m).decodesInJava(1)).isFalse();
    }
  }

  @Test
  void fullBatchAtDifferentPositionsEqualsFullRecomputation() {
    int batch = F32Matrix.MAX_KERNEL_ROWS;
    TransformerConfig config = TransformerConfig.llama(40, 2, 4, 2, 72, TinyModels.VOCAB);
    try (Transformer model = Transformer.random(config, 5, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(batch * 3, 4)) {
      List<KvSequence> seqs = new ArrayList<>();
      int[][] prompts = new int[batch][];
      int[] next = new int[batch];
      for (int s = 0; s < batch; s++) {
        prompts[s] = new int[1 + s % 5];
        for (int i = 0; i < prompts[s].length; i++) {
          prompts[s][i] = (s * 13 + i * 7) % TinyModels.VOCAB;
        }
        KvSequence seq = cache.newSequence();
        cache.reserve(seq, prompts[s].length + 1);
        model.prefill(seq, prompts[s]);
        seqs.add(seq);
        next[s] = (s * 5 + 3) % TinyModels.VOCAB;
      }
      float[][] logits = model.decode(seqs, next);
      for (int s = 0; s < batch; s++) {
        int[] all = java.util.Arrays.copyOf(prompts[s], prompts[s].length + 1);
        all[prompts[s].length] = next[s];
        KvCacheConsistencyTest.assertClose(logits[s], KvCacheConsistencyTest.fullLogits(model, all));
      }
    }
  }

  /**
   * Long enough contexts that decode attention reads more than {@code 2 × 256 KB} of keys and
   * values, so with two or more engine threads (PyTorch's default: one per core) the sequences are
   * split over threads.
   */
  @Test
  void longContextsSplitOverThreadsEqualFullRecomputation() {
    TransformerConfig config = TransformerConfig.llama(128, 1, 4, 4, 96, TinyModels.VOCAB);
    int length = 300; // 300 tokens × 1 KB of K+V per sequence
    try (Transformer model = Transformer.random(config, 3, ModelOptions.cpu());
        PagedKvCache cache = model.newKvCache(4 * 20, 16)) {
      List<KvSequence> seqs = new ArrayList<>();
      int[][] prompts = new int[4][length];
      for (int s = 0; s < 4; s++) {
        for (int i = 0; i < length; i++) {
          prompts[s][i] = (s * 31 + i * 11) % TinyModels.VOCAB;
        }
        KvSequence seq = cache.newSequence();
        cache.reserve(seq, length + 1);
        model.prefill(seq, prompts[s]);
        seqs.add(seq);
      }
      int[] next = {1, 2, 3, 4};
      float[][] logits = model.decode(seqs, next);
      for (int s = 0; s < 4; s++) {
        int[] all = java.util.Arrays.copyOf(prompts[s], length + 1);
        all[length] = next[s];
        KvCacheConsistencyTest.assertClose(logits[s], KvCacheConsistencyTest.fullLogits(model, all));
      }
    }
  }

  private static Network network(TransformerConfig c, NDManager m) {
    return new Network(c, new Weights(m, DataType.FLOAT32, new RandomWeights(1)), DataType.FLOAT32, true);
  }
}
