package dev.latent.ml.llm;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.latent.ml.llm.TransformerConfig.Architecture;
import dev.latent.ml.llm.TransformerConfig.Mla;
import dev.latent.ml.llm.TransformerConfig.Moe;
import dev.latent.ml.llm.TransformerConfig.RopeScaling;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Reads and writes Hugging Face {@code config.json} for the supported architectures. */
public final class HfConfig {

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  private HfConfig() {}

  /** Reads {@code dir/config.json} (or the file itself when given one). */
  public static TransformerConfig read(Path path) {
    Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
    try {
      return parse(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (InvalidConfigException e) {
      throw new InvalidConfigException(file + ": " + e.getMessage(), e);
    }
  }

  /** Parses the JSON text of a config.json. */
  public static TransformerConfig parse(String json) {
    JsonObject o;
    try {
      o = JsonParser.parseString(json).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new InvalidConfigException("config.json is not a JSON object: " + e.getMessage(), e);
    }
    JsonArray archs = o.has("architectures") ? o.getAsJsonArray("architectures") : null;
    if (archs == null || archs.isEmpty()) {
      throw new InvalidConfigException("config.json has no 'architectures' entry");
    }
    Architecture arch = Architecture.ofHfName(archs.get(0).getAsString());
    int hidden = integer(o, "hidden_size", null);
    int heads = integer(o, "num_attention_heads", null);
    int kvHeads = integer(o, "num_key_value_heads", heads);
    int headDim = integer(o, "head_dim", heads > 0 ? hidden / heads : 0);
    if (!o.has("head_dim") && heads > 0 && hidden % heads != 0 && arch != Architecture.DEEPSEEK_V2) {
      throw new InvalidConfigException("hidden_size (" + hidden + ") is not divisible by num_attention_heads ("
          + heads + ") and no head_dim is given");
    }
    if (bool(o, "mlp_bias", false)) {
      throw new InvalidConfigException("mlp_bias=true is not supported");
    }
    Mla mla = null;
    Moe moe = null;
    if (arch == Architecture.DEEPSEEK_V2) {
      mla = new Mla(integer(o, "q_lora_rank", 0), integer(o, "kv_lora_rank", null),
          integer(o, "qk_nope_head_dim", null), integer(o, "qk_rope_head_dim", null),
          integer(o, "v_head_dim", null));
      String topk = string(o, "topk_method", "greedy");
      String scoring = string(o, "scoring_func", "softmax");
      boolean grouped = topk.equals("group_limited_greedy");
      if (!(topk.equals("greedy") || grouped) || !scoring.equals("softmax")) {
        throw new InvalidConfigException("DeepSeek router topk_method=" + topk + ", scoring_func=" + scoring
            + " is not supported (greedy or group_limited_greedy with softmax are)");
      }
      if (integer(o, "n_routed_experts", 0) > 0) {
        moe = new Moe(integer(o, "n_routed_experts", null), integer(o, "n_shared_experts", 0),
            integer(o, "num_experts_per_tok", null), integer(o, "moe_intermediate_size", null),
            integer(o, "first_k_dense_replace", 0), integer(o, "moe_layer_freq", 1),
            dbl(o, "routed_scaling_factor", 1.0), bool(o, "norm_topk_prob", false),
            grouped ? integer(o, "n_group", null) : 1, grouped ? integer(o, "topk_group", null) : 1);
      }
      kvHeads = heads;
    }
    Integer window = o.has("sliding_window") && !o.get("sliding_window").isJsonNull()
        && bool(o, "use_sliding_window", arch == Architecture.MISTRAL) ? o.get("sliding_window").getAsInt() : null;
    return new TransformerConfig(arch, integer(o, "vocab_size", null), hidden,
        integer(o, "intermediate_size", null), integer(o, "num_hidden_layers", null), heads, kvHeads,
        headDim, integer(o, "max_position_embeddings", 2048), dbl(o, "rms_norm_eps", 1e-6),
        dbl(o, "rope_theta", 10000.0), ropeScaling(o), bool(o, "tie_word_embeddings", false),
        arch == Architecture.QWEN2 || bool(o, "attention_bias", false), window,
        integer(o, "bos_token_id", 1), eosIds(o), mla, moe);
  }

  /** Writes {@code dir/config.json} in HF naming, so HF tooling can read what we save. */
  public static void write(TransformerConfig c, Path dir) {
    write(c, dir, "float32");
  }

  /** Writes {@code dir/config.json} with {@code torch_dtype} naming the dtype of the saved weights. */
  public static void write(TransformerConfig c, Path dir, String torchDtype) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("config.json"), toJson(c, torchDtype));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write config.json to " + dir, e);
    }
  }

  public static String toJson(TransformerConfig c) {
    return toJson(c, "float32");
  }

  /** The config.json text, naming {@code torchDtype} as the dtype of the weights saved beside it. */
  public static String toJson(TransformerConfig c, String torchDtype) {
    JsonObject o = new JsonObject();
    JsonArray archs = new JsonArray();
    archs.add(c.architecture().hfName());
    o.add("architectures", archs);
    o.addProperty("model_type", c.architecture().modelType());
    o.addProperty("vocab_size", c.vocabSize());
    o.addProperty("hidden_size", c.hiddenSize());
    o.addProperty("intermediate_size", c.intermediateSize());
    o.addProperty("num_hidden_layers", c.numLayers());
    o.addProperty("num_attention_heads", c.numHeads());
    o.addProperty("num_key_value_heads", c.numKvHeads());
    o.addProperty("head_dim", c.headDim());
    o.addProperty("max_position_embeddings", c.maxPositions());
    o.addProperty("rms_norm_eps", c.rmsNormEps());
    o.addProperty("rope_theta", c.ropeTheta());
    o.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
    o.addProperty("attention_bias", c.attentionBias());
    o.addProperty("hidden_act", "silu");
    o.addProperty("bos_token_id", c.bosTokenId());
    JsonArray eos = new JsonArray();
    c.eosTokenIds().forEach(eos::add);
    o.add("eos_token_id", eos);
    o.addProperty("torch_dtype", torchDtype);
    if (c.slidingWindow() != null) {
      o.addProperty("sliding_window", c.slidingWindow());
      o.addProperty("use_sliding_window", true);
    }
    RopeScaling rs = c.ropeScaling();
    if (rs != null) {
      JsonObject r = new JsonObject();
      r.addProperty("type", rs.type());
      r.addProperty("rope_type", rs.type());
      r.addProperty("factor", rs.factor());
      r.addProperty("original_max_position_embeddings", rs.originalMaxPositions());
      r.addProperty("beta_fast", rs.betaFast());
      r.addProperty("beta_slow", rs.betaSlow());
      r.addProperty("mscale", rs.mscale());
      r.addProperty("mscale_all_dim", rs.mscaleAllDim());
      r.addProperty("low_freq_factor", rs.lowFreqFactor());
      r.addProperty("high_freq_factor", rs.highFreqFactor());
      o.add("rope_scaling", r);
    }
    Mla mla = c.mla();
    if (mla != null) {
      if (mla.qLoraRank() > 0) {
        o.addProperty("q_lora_rank", mla.qLoraRank());
      } else {
        o.add("q_lora_rank", null);
      }
      o.addProperty("kv_lora_rank", mla.kvLoraRank());
      o.addProperty("qk_nope_head_dim", mla.qkNopeHeadDim());
      o.addProperty("qk_rope_head_dim", mla.qkRopeHeadDim());
      o.addProperty("v_head_dim", mla.vHeadDim());
      o.addProperty("topk_method", c.moe() != null && c.moe().numGroups() > 1 ? "group_limited_greedy" : "greedy");
      o.addProperty("scoring_func", "softmax");
    }
    Moe moe = c.moe();
    if (moe != null) {
      o.addProperty("n_routed_experts", moe.numRoutedExperts());
      o.addProperty("n_shared_experts", moe.numSharedExperts());
      o.addProperty("num_experts_per_tok", moe.numExpertsPerTok());
      o.addProperty("moe_intermediate_size", moe.moeIntermediateSize());
      o.addProperty("first_k_dense_replace", moe.firstKDenseReplace());
      o.addProperty("moe_layer_freq", moe.moeLayerFreq());
      o.addProperty("routed_scaling_factor", moe.routedScalingFactor());
      o.addProperty("norm_topk_prob", moe.normTopkProb());
      o.addProperty("n_group", moe.numGroups());
      o.addProperty("topk_group", moe.topkGroups());
    }
    return GSON.toJson(o);
  }

  private static @Nullable RopeScaling ropeScaling(JsonObject o) {
    if (!o.has("rope_scaling") || o.get("rope_scaling").isJsonNull()) {
      return null;
    }
    JsonObject r = o.getAsJsonObject("rope_scaling");
    String type = string(r, "rope_type", string(r, "type", "default"));
    return new RopeScaling(type, dbl(r, "factor", 1.0),
        integer(r, "original_max_position_embeddings", integer(o, "max_position_embeddings", 2048)),
        dbl(r, "beta_fast", 32), dbl(r, "beta_slow", 1), dbl(r, "mscale", 1), dbl(r, "mscale_all_dim", 0),
        dbl(r, "low_freq_factor", 1), dbl(r, "high_freq_factor", 4));
  }

  private static List<Integer> eosIds(JsonObject o) {
    List<Integer> ids = new ArrayList<>();
    JsonElement e = o.get("eos_token_id");
    if (e != null && e.isJsonArray()) {
      e.getAsJsonArray().forEach(x -> ids.add(x.getAsInt()));
    } else if (e != null && !e.isJsonNull()) {
      ids.add(e.getAsInt());
    }
    return ids;
  }

  private static int integer(JsonObject o, String key, @Nullable Integer fallback) {
    JsonElement e = o.get(key);
    if (e == null || e.isJsonNull()) {
      if (fallback == null) {
        throw new InvalidConfigException("config.json lacks required field '" + key + "'");
      }
      return fallback;
    }
    try {
      return e.getAsInt();
    } catch (RuntimeException ex) {
      throw new InvalidConfigException("config.json field '" + key + "' must be an integer, got " + e);
    }
  }

  private static double dbl(JsonObject o, String key, double fallback) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? fallback : e.getAsDouble();
  }

  private static boolean bool(JsonObject o, String key, boolean fallback) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? fallback : e.getAsBoolean();
  }

  private static String string(JsonObject o, String key, String fallback) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? fallback : e.getAsString();
  }
}
