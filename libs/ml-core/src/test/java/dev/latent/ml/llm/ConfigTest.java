package dev.latent.ml.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.TransformerConfig.Architecture;
import dev.latent.ml.llm.TransformerConfig.AttentionKind;
import dev.latent.ml.llm.cache.PagedKvCache;
import org.junit.jupiter.api.Test;

/** HF config.json parsing, validation and the KV cache size formulas. */
class ConfigTest {

  static final String LLAMA = """
      {"architectures": ["LlamaForCausalLM"], "hidden_size": 2048, "intermediate_size": 8192,
       "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
       "max_position_embeddings": 131072, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
       "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
         "original_max_position_embeddings": 8192, "rope_type": "llama3"},
       "tie_word_embeddings": true, "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009]}""";

  /** DeepSeek-V2-Lite's config.json (the fields the engine reads). */
  static final String DEEPSEEK_V2_LITE = """
      {"architectures": ["DeepseekV2ForCausalLM"], "hidden_size": 2048, "intermediate_size": 10944,
       "num_hidden_layers": 27, "num_attention_heads": 16, "num_key_value_heads": 16, "vocab_size": 102400,
       "max_position_embeddings": 163840, "rms_norm_eps": 1e-6, "rope_theta": 10000,
       "q_lora_rank": null, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
       "v_head_dim": 128, "n_routed_experts": 64, "n_shared_experts": 2, "num_experts_per_tok": 6,
       "moe_intermediate_size": 1408, "first_k_dense_replace": 1, "moe_layer_freq": 1,
       "routed_scaling_factor": 1.0, "norm_topk_prob": false, "topk_method": "greedy", "scoring_func": "softmax",
       "rope_scaling": {"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096,
         "beta_fast": 32, "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707},
       "tie_word_embeddings": false, "bos_token_id": 100000, "eos_token_id": 100001}""";

  @Test
  void readsLlamaWithGqaAndLlama3Rope() {
    TransformerConfig c = HfConfig.parse(LLAMA);
    assertThat(c.architecture()).isEqualTo(Architecture.LLAMA);
    assertThat(c.attentionKind()).isEqualTo(AttentionKind.GQA);
    assertThat(c.headDim()).isEqualTo(64);
    assertThat(c.ropeScaling().type()).isEqualTo("llama3");
    assertThat(c.eosTokenIds()).containsExactly(128001, 128008, 128009);
    assertThat(c.tieWordEmbeddings()).isTrue();
    // 2 * kvHeads * headDim * layers * bytes
    assertThat(PagedKvCache.bytesPerToken(c, DataType.FLOAT16)).isEqualTo(2L * 8 * 64 * 16 * 2);
  }

  @Test
  void readsDeepSeekV2LiteWithMlaAndMoe() {
    TransformerConfig c = HfConfig.parse(DEEPSEEK_V2_LITE);
    assertThat(c.attentionKind()).isEqualTo(AttentionKind.MLA);
    assertThat(c.mla().qLoraRank()).isZero();
    assertThat(c.moe().numRoutedExperts()).isEqualTo(64);
    assertThat(c.isMoeLayer(0)).isFalse();
    assertThat(c.isMoeLayer(1)).isTrue();
    // (kv_lora_rank + qk_rope_head_dim) * layers * bytes
    assertThat(PagedKvCache.bytesPerToken(c, DataType.FLOAT16)).isEqualTo((512L + 64) * 27 * 2);
    assertThat(HfConfig.parse(HfConfig.toJson(c))).isEqualTo(c);
  }

  @Test
  void readsQwen2AndMistral() {
    String qwen = LLAMA.replace("LlamaForCausalLM", "Qwen2ForCausalLM");
    assertThat(HfConfig.parse(qwen).attentionBias()).isTrue();
    String mistral = LLAMA.replace("LlamaForCausalLM", "MistralForCausalLM").replace("\"tie_word", "\"sliding_window\": 4096, \"tie_word");
    assertThat(HfConfig.parse(mistral).slidingWindow()).isEqualTo(4096);
    String mqa = LLAMA.replace("\"num_key_value_heads\": 8", "\"num_key_value_heads\": 1");
    assertThat(HfConfig.parse(mqa).attentionKind()).isEqualTo(AttentionKind.MQA);
    assertThat(PagedKvCache.bytesPerToken(HfConfig.parse(mqa), DataType.FLOAT32)).isEqualTo(2L * 64 * 16 * 4);
  }

  @Test
  void rejectsBadConfigsWithClearMessages() {
    assertThatThrownBy(() -> HfConfig.parse(LLAMA.replace("LlamaForCausalLM", "GPT2LMHeadModel")))
        .isInstanceOf(InvalidConfigException.class).hasMessageContaining("unknown architecture 'GPT2LMHeadModel'");
    assertThatThrownBy(() -> HfConfig.parse(LLAMA.replace("\"num_key_value_heads\": 8", "\"num_key_value_heads\": 5")))
        .hasMessageContaining("multiple of num_key_value_heads");
    assertThatThrownBy(() -> HfConfig.parse(LLAMA.replace("\"hidden_size\": 2048", "\"hidden_size\": 2050")))
        .hasMessageContaining("not divisible");
    assertThatThrownBy(() -> HfConfig.parse(LLAMA.replace("\"vocab_size\": 128256,", "")))
        .hasMessageContaining("'vocab_size'");
    assertThatThrownBy(() -> HfConfig.parse(DEEPSEEK_V2_LITE.replace("\"num_experts_per_tok\": 6", "\"num_experts_per_tok\": 65")))
        .hasMessageContaining("num_experts_per_tok");
    assertThatThrownBy(() -> HfConfig.parse(DEEPSEEK_V2_LITE.replace("\"greedy\"", "\"noaux_tc\"")))
        .hasMessageContaining("noaux_tc");
    assertThatThrownBy(() -> HfConfig.parse(DEEPSEEK_V2_LITE.replace("\"greedy\"", "\"group_limited_greedy\"")))
        .hasMessageContaining("'n_group'");
    TransformerConfig grouped = HfConfig.parse(DEEPSEEK_V2_LITE.replace("\"greedy\"", "\"group_limited_greedy\", \"n_group\": 8, \"topk_group\": 3"));
    assertThat(grouped.moe().numGroups()).isEqualTo(8);
    assertThat(HfConfig.parse(HfConfig.toJson(grouped))).isEqualTo(grouped);
    assertThatThrownBy(() -> HfConfig.parse("[1, 2]")).hasMessageContaining("not a JSON object");
  }
}
