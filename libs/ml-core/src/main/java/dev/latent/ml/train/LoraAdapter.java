package dev.latent.ml.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.io.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * LoRA on a {@link Transformer}: for each adapted weight {@code W0 [out, in]}, trainable
 * {@code A [r, in]} (Kaiming-uniform, as PEFT: U(±1/√in)) and {@code B [out, r]} (zero), and the
 * effective weight {@code W0 + (alpha/r)·B·A}; the base stays frozen.
 *
 * <p>The engine fuses q|k|v and gate|up into one parameter and runs plain GEMMs on it, so the
 * adapter is trained through the merged weight: {@link #applyToModel} writes the effective weight
 * into the model's rows, the forward/backward yields {@code G = ∂L/∂W}, and {@link #gradients}
 * turns that into the exact LoRA gradients {@code ∂L/∂B = s·G·Aᵀ}, {@code ∂L/∂A = s·Bᵀ·G}. Only
 * the parameters holding adapted rows record gradients; embeddings, norms and the rest stay frozen
 * and get no gradient or optimizer state.
 */
public final class LoraAdapter implements AutoCloseable {

  private static final Map<String, List<String>> FUSED = Map.of(
      "qkv_proj", List.of("q_proj", "k_proj", "v_proj"),
      "gate_up_proj", List.of("gate_proj", "up_proj"));

  /** One adapted HF tensor: rows {@code [from, to)} of model parameter {@code param}. */
  private record Target(String hfName, String param, long from, long to, NDArray base, NDArray a, NDArray b) {}

  private final Transformer model;
  private final LoraConfig config;
  private final NDManager manager;
  private final List<Target> targets = new ArrayList<>();

  private LoraAdapter(Transformer model, LoraConfig config, NDManager manager) {
    this.model = model;
    this.config = config;
    this.manager = manager;
  }

  /** Attaches a fresh adapter (seeded) to every target module of every layer. */
  public static LoraAdapter attach(Transformer model, LoraConfig config, long seed) {
    NDArray any = model.parameters().values().iterator().next();
    LoraAdapter adapter = new LoraAdapter(model, config, any.getManager().newSubManager());
    Random random = new Random(seed);
    try {
      Map<String, NDArray> params = model.parameters();
      for (String hfName : model.tensorNames()) {
        String module = moduleOf(hfName);
        if (module == null || !hfName.endsWith(".weight") || !config.targetModules().contains(module)) {
          continue;
        }
        adapter.addTarget(hfName, module, params, random);
      }
      if (adapter.targets.isEmpty()) {
        throw new IllegalArgumentException("no weights match target modules " + config.targetModules());
      }
      params.values().forEach(p -> p.setRequiresGradient(false));
      for (String p : adapter.trainedParameters()) {
        params.get(p).setRequiresGradient(true);
      }
      return adapter;
    } catch (RuntimeException e) {
      adapter.close();
      throw e;
    }
  }

  private void addTarget(String hfName, String module, Map<String, NDArray> params, Random random) {
    String prefix = hfName.substring(0, hfName.length() - (module + ".weight").length());
    String param = hfName;
    long from = 0;
    if (!params.containsKey(hfName)) {
      param = null;
      for (var fused : FUSED.entrySet()) {
        String candidate = prefix + fused.getKey() + ".weight";
        if (params.containsKey(candidate) && fused.getValue().contains(module)) {
          param = candidate;
          for (String part : fused.getValue()) {
            if (part.equals(module)) {
              break;
            }
            from += model.tensor(prefix + part + ".weight", manager).getShape().get(0);
          }
        }
      }
      if (param == null) {
        throw new IllegalArgumentException("LoRA cannot adapt " + hfName + " in this architecture");
      }
    }
    NDArray p = params.get(param);
    NDArray base = model.tensor(hfName, manager).duplicate();
    base.attach(manager);
    long out = base.getShape().get(0);
    long in = base.getShape().get(1);
    NDArray check = p.get(manager, new NDIndex(from + ":" + (from + out)));
    if (!check.contentEquals(base)) {
      throw new IllegalStateException("fused layout of " + param + " is not as expected for " + hfName);
    }
    float bound = (float) (1 / Math.sqrt(in));
    float[] init = new float[(int) (config.r() * in)];
    for (int i = 0; i < init.length; i++) {
      init[i] = (random.nextFloat() * 2 - 1) * bound;
    }
    NDArray a = manager.create(init, new Shape(config.r(), in)).toType(base.getDataType(), false);
    NDArray b = manager.zeros(new Shape(out, config.r()), base.getDataType());
    targets.add(new Target(hfName, param, from, from + out, base, a, b));
  }

  private static String moduleOf(String hfName) {
    String[] parts = hfName.split("\\.");
    return parts.length < 2 ? null : parts[parts.length - 2];
  }

  /** Names of the model parameters that hold adapted rows (these record gradients). */
  public Set<String> trainedParameters() {
    Set<String> out = new LinkedHashSet<>();
    targets.forEach(t -> out.add(t.param()));
    return out;
  }

  /** The trainable tensors under their PEFT names. */
  public Map<String, NDArray> parameters() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Target t : targets) {
      String stem = "base_model.model." + t.hfName().substring(0, t.hfName().length() - ".weight".length());
      out.put(stem + ".lora_A.weight", t.a());
      out.put(stem + ".lora_B.weight", t.b());
    }
    return out;
  }

  /** Writes {@code W0 + s·B·A} into the model's rows (call before each forward). */
  public void applyToModel() {
    float s = (float) config.scale();
    Map<String, NDArray> params = model.parameters();
    try (NDManager scratch = manager.newSubManager()) {
      for (Target t : targets) {
        NDArray merged = t.base().add(t.b().matMul(t.a()).mul(s));
        merged.attach(scratch);
        params.get(t.param()).set(new NDIndex(t.from() + ":" + t.to()), merged);
      }
    }
  }

  /**
   * LoRA gradients from the model's weight gradients after a backward pass, keyed as
   * {@link #parameters}; they belong to {@code into}.
   */
  public Map<String, NDArray> gradients(NDManager into) {
    float s = (float) config.scale();
    Map<String, NDArray> params = model.parameters();
    Map<String, NDArray> out = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(parameters().keySet());
    int i = 0;
    for (Target t : targets) {
      NDArray g = params.get(t.param()).getGradient().get(into, new NDIndex(t.from() + ":" + t.to()));
      NDArray gradA = t.b().transpose().matMul(g).mul(s);
      NDArray gradB = g.matMul(t.a().transpose()).mul(s);
      gradA.attach(into);
      gradB.attach(into);
      out.put(names.get(i++), gradA);
      out.put(names.get(i++), gradB);
    }
    return out;
  }

  /** Puts the frozen base weights back into the model (undoes {@link #applyToModel}). */
  public void restoreBase() {
    Map<String, NDArray> params = model.parameters();
    for (Target t : targets) {
      params.get(t.param()).set(new NDIndex(t.from() + ":" + t.to()), t.base());
    }
  }

  /** Loads A and B saved by {@link #save} (for resuming). */
  public void load(Map<String, NDArray> tensors) {
    parameters().forEach((name, mine) -> {
      NDArray saved = tensors.get(name);
      if (saved == null || !saved.getShape().equals(mine.getShape())) {
        throw new IllegalArgumentException("adapter checkpoint lacks or mis-shapes " + name);
      }
      mine.set(new NDIndex(":"), saved.toType(mine.getDataType(), false));
    });
  }

  /** Writes {@code adapter_config.json} and {@code adapter_model.safetensors} (PEFT layout). */
  public void save(Path dir, String baseModel) {
    try {
      Files.createDirectories(dir);
      JsonObject json = new JsonObject();
      json.addProperty("peft_type", "LORA");
      json.addProperty("task_type", "CAUSAL_LM");
      json.addProperty("base_model_name_or_path", baseModel);
      json.addProperty("r", config.r());
      json.addProperty("lora_alpha", config.alpha());
      json.addProperty("lora_dropout", config.dropout());
      JsonArray modules = new JsonArray();
      config.targetModules().forEach(modules::add);
      json.add("target_modules", modules);
      json.addProperty("bias", "none");
      json.addProperty("fan_in_fan_out", false);
      json.addProperty("inference_mode", true);
      Path tmp = dir.resolve("adapter_config.json.tmp");
      Files.writeString(tmp, new GsonBuilder().setPrettyPrinting().create().toJson(json));
      Files.move(tmp, dir.resolve("adapter_config.json"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), parameters(), Map.of("format", "pt"));
  }

  public LoraConfig config() {
    return config;
  }

  /** Detaches the adapter leaving the merged weights {@code W0 + s·B·A} in the model. */
  public void mergeAndClose() {
    applyToModel();
    close();
  }

  @Override
  public void close() {
    manager.close();
  }
}
