package dev.latent.ml.llm;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The shape of a decoder-only transformer, as a Hugging Face {@code config.json} describes it.
 *
 * <p>Attention is data, not a fork: {@code numKvHeads == numHeads} is MHA, {@code 1} is MQA, a
 * divisor is GQA, and a non-null {@link #mla()} is DeepSeek-V2 multi-head latent attention. A
 * non-null {@link #moe()} turns the FFN of layers {@code >= firstKDenseReplace} into a DeepSeekMoE
 * layer. Read one with {@link HfConfig#read}; build one for tests with {@link #llama}.
 *
 * @param architecture the HF architecture this config came from (decides weight names and quirks)
 * @param headDim per-head size of q/k/v for MHA/GQA/MQA (ignored by MLA, which has its own dims)
 * @param attentionBias q/k/v projections carry a bias (Qwen2)
 * @param slidingWindow Mistral's window; null when attention sees the whole context
 */
public record TransformerConfig(
    Architecture architecture,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int maxPositions,
    double rmsNormEps,
    double ropeTheta,
    @Nullable RopeScaling ropeScaling,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    @Nullable Integer slidingWindow,
    int bosTokenId,
    List<Integer> eosTokenIds,
    @Nullable Mla mla,
    @Nullable Moe moe) {

  /** Model families with their HF names; the name decides tensor names and small quirks. */
  public enum Architecture {
    LLAMA("LlamaForCausalLM", "llama"),
    QWEN2("Qwen2ForCausalLM", "qwen2"),
    MISTRAL("MistralForCausalLM", "mistral"),
    DEEPSEEK_V2("DeepseekV2ForCausalLM", "deepseek_v2");

    private final String hfName;
    private final String modelType;

    Architecture(String hfName, String modelType) {
      this.hfName = hfName;
      this.modelType = modelType;
    }

    public String hfName() {
      return hfName;
    }

    public String modelType() {
      return modelType;
    }

    /** The architecture for an HF {@code architectures[0]} entry, or a clear error. */
    public static Architecture ofHfName(String name) {
      for (Architecture a : values()) {
        if (a.hfName.equals(name)) {
          return a;
        }
      }
      throw new InvalidConfigException("unknown architecture '" + name + "'; supported: "
          + List.of(values()).stream().map(Architecture::hfName).toList());
    }
  }

  /** Which member of the attention family a config describes. */
  public enum AttentionKind { MHA, MQA, GQA, MLA }

  /**
   * DeepSeek-V2 multi-head latent attention: the cache holds {@code c_kv} ({@code kvLoraRank}) and
   * one shared RoPE key ({@code qkRopeHeadDim}) per token instead of per-head K and V.
   *
   * @param qLoraRank rank of the low-rank query; 0 means a full {@code q_proj}
   */
  public record Mla(int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim) {
    public Mla {
      require(kvLoraRank > 0, "kv_lora_rank must be > 0, got " + kvLoraRank);
      require(qLoraRank >= 0, "q_lora_rank must be >= 0 or null, got " + qLoraRank);
      require(qkNopeHeadDim > 0 && vHeadDim > 0, "qk_nope_head_dim and v_head_dim must be > 0");
      require(qkRopeHeadDim > 0 && qkRopeHeadDim % 2 == 0,
          "qk_rope_head_dim must be a positive even number, got " + qkRopeHeadDim);
    }

    public int qHeadDim() {
      return qkNopeHeadDim + qkRopeHeadDim;
    }
  }

  /**
   * DeepSeekMoE FFN: softmax router over {@code numRoutedExperts}, the top {@code numExpertsPerTok}
   * are mixed, plus {@code numSharedExperts} always-on experts; layers below
   * {@code firstKDenseReplace} keep a dense MLP. With {@code numGroups > 1} routing is
   * DeepSeek-V2's group-limited greedy: experts come only from the {@code topkGroups} groups with
   * the best single expert.
   */
  public record Moe(int numRoutedExperts, int numSharedExperts, int numExpertsPerTok,
      int moeIntermediateSize, int firstKDenseReplace, int moeLayerFreq,
      double routedScalingFactor, boolean normTopkProb, int numGroups, int topkGroups) {
    public Moe {
      require(numRoutedExperts > 0, "n_routed_experts must be > 0");
      require(numExpertsPerTok > 0 && numExpertsPerTok <= numRoutedExperts,
          "num_experts_per_tok must be in 1..n_routed_experts, got " + numExpertsPerTok);
      require(numSharedExperts >= 0, "n_shared_experts must be >= 0");
      require(moeIntermediateSize > 0, "moe_intermediate_size must be > 0");
      require(firstKDenseReplace >= 0 && moeLayerFreq >= 1, "first_k_dense_replace/moe_layer_freq out of range");
      require(numGroups >= 1 && numRoutedExperts % numGroups == 0,
          "n_group (" + numGroups + ") must divide n_routed_experts (" + numRoutedExperts + ")");
      require(topkGroups >= 1 && topkGroups <= numGroups, "topk_group must be in 1..n_group, got " + topkGroups);
      require(numGroups == 1 || topkGroups * (numRoutedExperts / numGroups) >= numExpertsPerTok,
          "topk_group groups hold fewer experts than num_experts_per_tok");
    }

    /** Plain greedy top-k routing (DeepSeek-V2-Lite). */
    public Moe(int numRoutedExperts, int numSharedExperts, int numExpertsPerTok, int moeIntermediateSize,
        int firstKDenseReplace, int moeLayerFreq, double routedScalingFactor, boolean normTopkProb) {
      this(numRoutedExperts, numSharedExperts, numExpertsPerTok, moeIntermediateSize, firstKDenseReplace,
          moeLayerFreq, routedScalingFactor, normTopkProb, 1, 1);
    }
  }

  /**
   * HF {@code rope_scaling}: {@code linear}, {@code dynamic} (applied as static NTK-aware base
   * scaling, so cached keys stay valid), {@code yarn} (DeepSeek) or {@code llama3}.
   */
  public record RopeScaling(String type, double factor, int originalMaxPositions, double betaFast,
      double betaSlow, double mscale, double mscaleAllDim, double lowFreqFactor, double highFreqFactor) {
    public RopeScaling {
      require(List.of("linear", "dynamic", "yarn", "llama3", "default").contains(type),
          "rope_scaling type must be linear, dynamic, yarn or llama3, got " + type);
      require(factor >= 1.0 || type.equals("default"), "rope_scaling factor must be >= 1, got " + factor);
    }
  }

  public TransformerConfig {
    eosTokenIds = List.copyOf(eosTokenIds);
    require(vocabSize > 0, "vocab_size must be > 0");
    require(hiddenSize > 0 && numLayers > 0 && intermediateSize > 0,
        "hidden_size, num_hidden_layers, intermediate_size must be > 0");
    require(numHeads > 0, "num_attention_heads must be > 0");
    require(rmsNormEps > 0, "rms_norm_eps must be > 0");
    require(maxPositions > 0, "max_position_embeddings must be > 0");
    if (mla == null) {
      require(numKvHeads > 0 && numHeads % numKvHeads == 0, "num_attention_heads (" + numHeads
          + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
      require(headDim > 0 && headDim % 2 == 0, "head_dim must be a positive even number, got " + headDim);
    } else {
      require(architecture == Architecture.DEEPSEEK_V2, "MLA fields are only read for DeepseekV2ForCausalLM");
    }
    require(moe == null || architecture == Architecture.DEEPSEEK_V2,
        "MoE fields are only read for DeepseekV2ForCausalLM");
  }

  /** A Llama-shaped config (MHA when {@code kvHeads == heads}); for tests and benches. */
  public static TransformerConfig llama(int dim, int layers, int heads, int kvHeads, int hidden, int vocab) {
    require(heads > 0 && dim % heads == 0, "hidden_size (" + dim + ") must be divisible by heads (" + heads + ")");
    return new TransformerConfig(Architecture.LLAMA, vocab, dim, hidden, layers, heads, kvHeads,
        dim / heads, 2048, 1e-5, 10000.0, null, false, false, null, 1, List.of(2), null, null);
  }

  /** This config as DeepSeek-V2 with MLA (and optionally MoE); keeps the other dimensions. */
  public TransformerConfig withMla(Mla mla, @Nullable Moe moe) {
    return new TransformerConfig(Architecture.DEEPSEEK_V2, vocabSize, hiddenSize, intermediateSize,
        numLayers, numHeads, numHeads, headDim, maxPositions, rmsNormEps, ropeTheta, ropeScaling,
        tieWordEmbeddings, false, null, bosTokenId, eosTokenIds, mla, moe);
  }

  /** The same config with another architecture (for Qwen2: biases on q/k/v). */
  public TransformerConfig withArchitecture(Architecture arch) {
    return new TransformerConfig(arch, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads,
        numKvHeads, headDim, maxPositions, rmsNormEps, ropeTheta, ropeScaling, tieWordEmbeddings,
        arch == Architecture.QWEN2 || attentionBias, slidingWindow, bosTokenId, eosTokenIds, mla, moe);
  }

  public TransformerConfig withTiedEmbeddings(boolean tied) {
    return new TransformerConfig(architecture, vocabSize, hiddenSize, intermediateSize, numLayers,
        numHeads, numKvHeads, headDim, maxPositions, rmsNormEps, ropeTheta, ropeScaling, tied,
        attentionBias, slidingWindow, bosTokenId, eosTokenIds, mla, moe);
  }

  public TransformerConfig withRope(double theta, @Nullable RopeScaling scaling) {
    return new TransformerConfig(architecture, vocabSize, hiddenSize, intermediateSize, numLayers,
        numHeads, numKvHeads, headDim, maxPositions, rmsNormEps, theta, scaling, tieWordEmbeddings,
        attentionBias, slidingWindow, bosTokenId, eosTokenIds, mla, moe);
  }

  public AttentionKind attentionKind() {
    if (mla != null) {
      return AttentionKind.MLA;
    }
    if (numKvHeads == numHeads) {
      return AttentionKind.MHA;
    }
    return numKvHeads == 1 ? AttentionKind.MQA : AttentionKind.GQA;
  }

  /** Layer {@code i} uses the MoE FFN (DeepSeek: past the first dense layers, every freq-th). */
  public boolean isMoeLayer(int layer) {
    return moe != null && layer >= moe.firstKDenseReplace() && layer % moe.moeLayerFreq() == 0;
  }

  /** Elements of KV cache per token over all layers: the formulas of the issue, before dtype. */
  public long kvElementsPerToken() {
    if (mla != null) {
      return (long) (mla.kvLoraRank() + mla.qkRopeHeadDim()) * numLayers;
    }
    return 2L * numKvHeads * headDim * numLayers;
  }

  /** Dimension RoPE rotates: the whole head, or MLA's decoupled rope part. */
  public int ropeDim() {
    return mla != null ? mla.qkRopeHeadDim() : headDim;
  }

  static void require(boolean condition, String message) {
    if (!condition) {
      throw new InvalidConfigException(message);
    }
  }
}
