package dev.latent.ml.llm.bench;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.HfConfig;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.cache.KvFormat;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.List;
import java.util.Locale;

/**
 * KV cache per token for a DeepSeek-V2-Lite-shaped model with MLA and with MHA/GQA/MQA of the
 * same heads and layers: allocates real pools and divides their bytes by their slots, beside the
 * formula. One JSON line per variant.
 */
final class KvSizes {

  /** DeepSeek-V2-Lite's attention fields (27 layers, 16 heads, kv_lora_rank 512, rope 64). */
  static final String V2_LITE = """
      {"architectures": ["DeepseekV2ForCausalLM"], "hidden_size": 2048, "intermediate_size": 10944,
       "num_hidden_layers": 27, "num_attention_heads": 16, "vocab_size": 102400,
       "max_position_embeddings": 163840, "q_lora_rank": null, "kv_lora_rank": 512,
       "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128}""";

  private KvSizes() {}

  static void print() {
    TransformerConfig mla = HfConfig.parse(V2_LITE);
    int heads = mla.numHeads();
    int headDim = 128; // the per-head size an MHA of this width would use
    for (var variant : List.of(
        new Object[] {"mla", mla},
        new Object[] {"mha", shaped(mla, heads, headDim)},
        new Object[] {"gqa-4", shaped(mla, 4, headDim)},
        new Object[] {"mqa", shaped(mla, 1, headDim)})) {
      TransformerConfig c = (TransformerConfig) variant[1];
      for (DataType dtype : List.of(DataType.BFLOAT16, DataType.FLOAT16, DataType.FLOAT32)) {
        int blockSize = 16;
        try (PagedKvCache cache = new PagedKvCache(c, 1, blockSize, dtype, Device.cpu())) {
          long measured = cache.poolBytes() / blockSize;
          System.out.println(String.format(Locale.ROOT,
              "{\"bench\": \"kv\", \"shape\": \"deepseek-v2-lite\", \"attention\": \"%s\", \"dtype\": \"%s\","
                  + " \"layers\": %d, \"kv_bytes_per_token\": %d, \"formula_bytes_per_token\": %d,"
                  + " \"mib_per_4k_tokens\": %.1f}",
              variant[0], KvFormat.of(dtype).name().toLowerCase(Locale.ROOT), c.numLayers(), measured,
              PagedKvCache.bytesPerToken(c, dtype), measured * 4096 / 1048576.0));
        }
      }
    }
  }

  private static TransformerConfig shaped(TransformerConfig base, int kvHeads, int headDim) {
    return new TransformerConfig(TransformerConfig.Architecture.LLAMA, base.vocabSize(), base.hiddenSize(),
        base.intermediateSize(), base.numLayers(), base.numHeads(), kvHeads, headDim, base.maxPositions(),
        base.rmsNormEps(), base.ropeTheta(), null, false, false, null, 1, List.of(2), null, null);
  }
}
