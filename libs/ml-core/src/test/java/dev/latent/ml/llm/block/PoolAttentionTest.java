package dev.latent.ml.llm.block;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Java decode attention against plain DJL softmax(q·kᵀ)·v, GQA with two query heads per kv head. */
class PoolAttentionTest {

  @Test
  void equalsDjlAttentionPerSequence() {
    int heads = 4;
    int kvHeads = 2;
    int hd = 16;
    TransformerConfig c = TransformerConfig.llama(heads * hd, 1, heads, kvHeads, 32, 50);
    try (PagedKvCache cache = new PagedKvCache(c, 8, 4, DataType.FLOAT32, Device.cpu());
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      m.getEngine().setRandomSeed(7);
      long slots = 32;
      cache.write(0, m.arange(0L, slots), m.randomNormal(new Shape(slots, kvHeads, hd)),
          m.randomNormal(new Shape(slots, kvHeads, hd)));
      List<Step.Keys> seqs = List.of(new Step.Keys(5, 3, null, null), new Step.Keys(17, 12, null, null));
      NDArray q = m.randomNormal(new Shape(2, 1, heads, hd));
      NDArray table = m.zeros(new Shape(2, 1, 1, hd));
      Step step = new Step(m, 2, 1, table, table, null, cache, null, null, null, seqs);
      assertThat(PoolAttention.applies(step, cache, 0)).isTrue();

      float[] got = PoolAttention.attend(q, cache, 0, step, heads, kvHeads, hd).toFloatArray();

      for (int i = 0; i < seqs.size(); i++) {
        Step.Keys seq = seqs.get(i);
        NDIndex rows = new NDIndex().addSliceDim(seq.start(), seq.start() + seq.length());
        NDArray k = cache.keys(0).get(rows).transpose(1, 2, 0); // [Hkv, hd, L]
        NDArray v = cache.values(0).get(rows).transpose(1, 0, 2); // [Hkv, L, hd]
        NDArray qi = q.get(i).reshape(kvHeads, heads / kvHeads, hd); // query heads grouped per kv head
        float[] want = qi.matMul(k).softmax(-1).matMul(v).reshape(-1).toFloatArray();
        for (int j = 0; j < want.length; j++) {
          assertThat(got[i * want.length + j]).isCloseTo(want[j], org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
    }
  }
}
