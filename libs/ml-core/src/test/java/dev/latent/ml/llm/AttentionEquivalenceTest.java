package dev.latent.ml.llm;

import static dev.latent.ml.llm.KvCacheConsistencyTest.assertClose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.io.Checkpoint;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Members of the attention family that must agree with each other. */
class AttentionEquivalenceTest {

  @TempDir
  Path dir;

  @Test
  void mlaAbsorbedEqualsNaive() {
    int[] prompt = {4, 8, 15, 16, 23};
    TransformerConfig config = TinyModels.moe();
    try (Transformer absorbed = Transformer.random(config, 3, ModelOptions.cpu());
        Transformer naive = Transformer.random(config, 3, ModelOptions.cpu().withAbsorbedMla(false));
        PagedKvCache ca = absorbed.newKvCache(8, 4);
        PagedKvCache cn = naive.newKvCache(8, 4)) {
      KvSequence sa = ca.newSequence();
      KvSequence sn = cn.newSequence();
      assertClose(absorbed.prefill(sa, prompt), naive.prefill(sn, prompt));
      for (int token : new int[] {42, 7, 1}) {
        assertClose(absorbed.decode(List.of(sa), new int[] {token})[0], naive.decode(List.of(sn), new int[] {token})[0]);
      }
    }
  }

  /**
   * A GQA model and the MHA model whose K/V heads are the GQA heads repeated for each query head
   * of their group compute the same function: the grouping is the only difference.
   */
  @Test
  void gqaEqualsMhaWithRepeatedKvHeads() {
    TransformerConfig gqa = TinyModels.gqa();
    TransformerConfig mha = TransformerConfig.llama(gqa.hiddenSize(), gqa.numLayers(), gqa.numHeads(),
        gqa.numHeads(), gqa.intermediateSize(), gqa.vocabSize());
    int groups = gqa.numHeads() / gqa.numKvHeads();
    int[] prompt = {9, 33, 2, 71, 5};
    try (Transformer grouped = Transformer.random(gqa, 5, ModelOptions.cpu());
        NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      for (String name : grouped.tensorNames()) {
        NDArray t = grouped.tensor(name, m);
        if (name.endsWith("k_proj.weight") || name.endsWith("v_proj.weight")) {
          NDList rows = new NDList();
          for (int h = 0; h < gqa.numKvHeads(); h++) {
            NDArray head = t.get(new NDIndex((h * gqa.headDim()) + ":" + ((h + 1) * gqa.headDim())));
            for (int g = 0; g < groups; g++) {
              rows.add(head);
            }
          }
          t = NDArrays.concat(rows, 0);
        }
        tensors.put(name, t);
      }
      HfConfig.write(mha, dir);
      Checkpoint.write(dir, tensors, Long.MAX_VALUE);
      try (Transformer full = Transformer.load(dir, ModelOptions.cpu());
          PagedKvCache cg = grouped.newKvCache(8, 4);
          PagedKvCache cf = full.newKvCache(8, 4)) {
        KvSequence sg = cg.newSequence();
        KvSequence sf = cf.newSequence();
        assertClose(grouped.prefill(sg, prompt), full.prefill(sf, prompt));
        assertClose(grouped.decode(List.of(sg), new int[] {17})[0], full.decode(List.of(sf), new int[] {17})[0]);
      }
    }
  }
}
