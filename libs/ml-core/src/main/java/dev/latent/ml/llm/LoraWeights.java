package dev.latent.ml.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.latent.ml.llm.block.LowRankDelta;
import dev.latent.ml.llm.block.Weights;
import dev.latent.ml.llm.io.CheckpointException;
import dev.latent.ml.llm.io.SafetensorsFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A LoRA adapter in PEFT layout ({@code adapter_config.json}, {@code adapter_model.safetensors})
 * held beside its base {@link Transformer} and applied per sequence, never merged into the base
 * weights: each adapted projection computes {@code y = x Wᵀ + s·(x Aᵀ) Bᵀ} ({@code s = alpha/r},
 * or {@code alpha/√r} with rsLoRA) for the rows of the sequences that use this adapter, so the
 * base and several adapters run in one batched step ({@link Transformer#decode(List, int[], List)}).
 *
 * <p>The engine fuses q|k|v and gate|up into one matrix; the adapter's factors are fused the same
 * way: {@code Aᵀ} of the parts side by side ({@code [in, Σr]}) and {@code s·Bᵀ} block-diagonal
 * into the fused output columns ({@code [Σr, out]}), so one low-rank product serves the fused
 * projection. Adaptable: q/k/v/o projections of standard attention, o_proj of MLA, and the dense
 * MLP's gate/up/down (not MoE experts, whose rows are permuted).
 */
public final class LoraWeights implements LowRankDelta, AutoCloseable {

  public static final String CONFIG = "adapter_config.json";
  public static final String WEIGHTS = "adapter_model.safetensors";

  private static final Pattern ADAPTABLE = Pattern.compile(
      "model\\.layers\\.\\d+\\.(self_attn\\.(qkv_proj|q_proj|k_proj|v_proj|o_proj)"
          + "|mlp\\.(gate_up_proj|gate_proj|up_proj|down_proj))\\.weight");
  private static final String PREFIX = "base_model.model.";

  /** {@code at [in, R]}, {@code bt [R, out]} (scale folded in). */
  private record Factors(NDArray at, NDArray bt) {}

  private final String name;
  private final Transformer model;
  private final int rank;
  private final double alpha;
  private final double scale;
  private final List<String> targetModules;
  private final @Nullable String baseModel;
  private final NDManager manager;
  private final Map<NDArray, Factors> factors = new IdentityHashMap<>();
  private long parameterCount;

  private LoraWeights(String name, Transformer model, int rank, double alpha, double scale,
      List<String> targetModules, @Nullable String baseModel) {
    this.name = name;
    this.model = model;
    this.rank = rank;
    this.alpha = alpha;
    this.scale = scale;
    this.targetModules = targetModules;
    this.baseModel = baseModel;
    this.manager = model.manager().newSubManager();
  }

  /**
   * Reads a PEFT adapter directory for {@code model}.
   *
   * @throws IllegalArgumentException when the adapter does not fit the model (a tensor for a
   *     weight the model lacks or cannot adapt, mis-shaped factors, an unsupported option)
   * @throws CheckpointException for missing, truncated or corrupt files
   */
  public static LoraWeights load(String name, Transformer model, Path dir) {
    JsonObject json;
    try {
      Path config = dir.resolve(CONFIG);
      if (!Files.isRegularFile(config) || !Files.isRegularFile(dir.resolve(WEIGHTS))) {
        throw new CheckpointException(dir + ": not a PEFT adapter (needs " + CONFIG + " and " + WEIGHTS + ")");
      }
      json = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      if (e instanceof CheckpointException) {
        throw e;
      }
      throw new CheckpointException(dir + ": unreadable " + CONFIG + ": " + e.getMessage());
    }
    String peftType = string(json, "peft_type");
    if (peftType != null && !peftType.equalsIgnoreCase("LORA")) {
      throw new IllegalArgumentException("adapter " + name + " is " + peftType + ", only LORA is served");
    }
    if (json.has("fan_in_fan_out") && json.get("fan_in_fan_out").getAsBoolean()) {
      throw new IllegalArgumentException("adapter " + name + ": fan_in_fan_out is not supported");
    }
    String bias = string(json, "bias");
    if (bias != null && !bias.equals("none")) {
      throw new IllegalArgumentException("adapter " + name + ": bias '" + bias + "' is not supported");
    }
    if (!json.has("r") || !json.has("lora_alpha")) {
      throw new IllegalArgumentException("adapter " + name + ": " + CONFIG + " lacks r or lora_alpha");
    }
    int r = json.get("r").getAsInt();
    double alpha = json.get("lora_alpha").getAsDouble();
    if (r < 1) {
      throw new IllegalArgumentException("adapter " + name + ": r must be >= 1");
    }
    boolean rs = json.has("use_rslora") && json.get("use_rslora").getAsBoolean();
    double scale = rs ? alpha / Math.sqrt(r) : alpha / r;
    List<String> modules = new ArrayList<>();
    JsonElement t = json.get("target_modules");
    if (t != null && t.isJsonArray()) {
      t.getAsJsonArray().forEach(e -> modules.add(e.getAsString()));
    } else if (t != null && t.isJsonPrimitive()) {
      modules.add(t.getAsString());
    }
    LoraWeights adapter = new LoraWeights(name, model, r, alpha, scale, List.copyOf(modules),
        string(json, "base_model_name_or_path"));
    try (SafetensorsFile file = SafetensorsFile.open(dir.resolve(WEIGHTS))) {
      adapter.read(file);
      return adapter;
    } catch (RuntimeException e) {
      adapter.close();
      throw e;
    }
  }

  private static @Nullable String string(JsonObject json, String key) {
    JsonElement e = json.get(key);
    return e == null || e.isJsonNull() ? null : e.getAsString();
  }

  /** One adapted HF tensor: its rows in the fused parameter and its factors. */
  private record Part(long from, long to, NDArray a, NDArray b) {}

  private void read(SafetensorsFile file) {
    try (NDManager tmp = manager.newSubManager()) {
      read(file, tmp);
    }
  }

  private void read(SafetensorsFile file, NDManager tmp) {
    Map<String, List<Part>> byParam = new LinkedHashMap<>();
    TreeSet<String> stems = new TreeSet<>();
    for (String tensor : file.entries().keySet()) {
      String n = tensor.replace(".default.", ".");
      if (n.endsWith(".lora_A.weight") || n.endsWith(".lora_B.weight")) {
        stems.add(n.substring(0, n.length() - ".lora_A.weight".length()));
      } else {
        throw new IllegalArgumentException("adapter " + name + ": unexpected tensor " + tensor
            + " (only lora_A/lora_B weights are served)");
      }
    }
    if (stems.isEmpty()) {
      throw new IllegalArgumentException("adapter " + name + " has no lora_A/lora_B tensors");
    }
    Map<String, String> original = new LinkedHashMap<>();
    file.entries().keySet().forEach(k -> original.put(k.replace(".default.", "."), k));
    for (String stem : stems) {
      String hfName = (stem.startsWith(PREFIX) ? stem.substring(PREFIX.length()) : stem) + ".weight";
      Weights.Slot slot = model.slot(hfName);
      if (slot == null) {
        throw new IllegalArgumentException("adapter " + name + " adapts " + hfName
            + ", which the base model does not have");
      }
      if (!ADAPTABLE.matcher(slot.param()).matches()) {
        throw new IllegalArgumentException("adapter " + name + " adapts " + hfName
            + ", which the engine cannot adapt per request (q/k/v/o and dense gate/up/down only)");
      }
      String aName = original.get(stem + ".lora_A.weight");
      String bName = original.get(stem + ".lora_B.weight");
      if (aName == null || bName == null) {
        throw new IllegalArgumentException("adapter " + name + " lacks lora_A or lora_B for " + hfName);
      }
      NDArray weight = model.parameters().get(slot.param());
      long in = weight.getShape().get(1);
      long out = slot.to() - slot.from();
      Shape aShape = file.entries().get(aName).shape();
      Shape bShape = file.entries().get(bName).shape();
      if (!aShape.equals(new Shape(rank, in)) || !bShape.equals(new Shape(out, rank))) {
        throw new IllegalArgumentException("adapter " + name + ": " + hfName + " needs lora_A " + new Shape(rank, in)
            + " and lora_B " + new Shape(out, rank) + " but has " + aShape + " and " + bShape);
      }
      NDArray a = file.load(aName, tmp, DataType.FLOAT32);
      NDArray b = file.load(bName, tmp, DataType.FLOAT32);
      parameterCount += aShape.size() + bShape.size();
      byParam.computeIfAbsent(slot.param(), k -> new ArrayList<>()).add(new Part(slot.from(), slot.to(), a, b));
    }
    DataType dtype = model.options().dtype();
    for (var e : byParam.entrySet()) {
      NDArray weight = model.parameters().get(e.getKey());
      long outTotal = weight.getShape().get(0);
      List<Part> parts = e.getValue();
      NDList aTs = new NDList();
      parts.forEach(p -> aTs.add(p.a().transpose()));
      NDArray at = (aTs.size() == 1 ? aTs.head() : NDArrays.concat(aTs, 1)).toType(dtype, true);
      NDArray bt = tmp.zeros(new Shape((long) rank * parts.size(), outTotal), DataType.FLOAT32);
      for (int i = 0; i < parts.size(); i++) {
        Part p = parts.get(i);
        bt.set(new NDIndex((long) i * rank + ":" + (long) (i + 1) * rank + ", " + p.from() + ":" + p.to()),
            p.b().transpose().mul((float) scale));
      }
      bt = bt.toType(dtype, true);
      at.attach(manager);
      bt.attach(manager);
      factors.put(weight, new Factors(at, bt));
    }
  }

  @Override
  public @Nullable NDArray apply(NDArray x, NDArray weight) {
    Factors f = factors.get(weight);
    if (f == null) {
      return null;
    }
    return x.matMul(f.at()).matMul(f.bt());
  }

  boolean belongsTo(Transformer transformer) {
    return transformer == model;
  }

  public String name() {
    return name;
  }

  public int rank() {
    return rank;
  }

  public double alpha() {
    return alpha;
  }

  /** The update's scale: {@code alpha / r} ({@code alpha / √r} with rsLoRA). */
  public double scale() {
    return scale;
  }

  public List<String> targetModules() {
    return targetModules;
  }

  /** {@code base_model_name_or_path} from the adapter config, if any. */
  public @Nullable String baseModel() {
    return baseModel;
  }

  /** Number of adapter parameters (A and B of every adapted weight). */
  public long parameterCount() {
    return parameterCount;
  }

  @Override
  public void close() {
    manager.close();
  }
}
