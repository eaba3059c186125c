package dev.latent.ml.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.block.LowRankDelta;
import dev.latent.ml.llm.io.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/**
 * LoRA on a {@link Transformer}: for each adapted weight {@code W0 [out, in]}, trainable
 * {@code A [r, in]} (Kaiming-uniform, as PEFT: U(±1/√in)) and {@code B [out, r]} (zero); the
 * projection becomes {@code y = x W0ᵀ + s·(drop(x) Aᵀ) Bᵀ} with {@code s = alpha/r}, computed
 * beside the frozen base ({@link LowRankDelta}, passed to {@link Transformer#hidden}), so the base
 * weights get no gradient and no optimizer state. Dropout ({@code config.dropout()}) acts on the
 * adapter's input only and only while {@link #training} is on (inverted: kept values are scaled
 * by {@code 1/(1-p)}), with an independent mask per adapted module as in PEFT.
 *
 * <p>The engine fuses q|k|v and gate|up into one parameter; the delta of a fused parameter puts
 * each adapted part's {@code [N, out_i]} product into its own output columns and zeros elsewhere.
 */
public final class LoraAdapter implements LowRankDelta, AutoCloseable {

  private static final Map<String, List<String>> FUSED = Map.of(
      "qkv_proj", List.of("q_proj", "k_proj", "v_proj"),
      "gate_up_proj", List.of("gate_proj", "up_proj"));

  /** One adapted HF tensor: rows {@code [from, to)} of model parameter {@code param}. */
  private record Target(String hfName, String param, long from, long to, NDArray base, NDArray a, NDArray b) {}

  private final Transformer model;
  private final LoraConfig config;
  private final NDManager manager;
  private final List<Target> targets = new ArrayList<>();
  /** Adapted parts of each model parameter, by identity of the weight the engine projects with. */
  private final Map<NDArray, List<Target>> byWeight = new IdentityHashMap<>();
  private boolean training;
  /** Dropout masks: drawn fresh each forward, drawn and kept, or replayed from the kept ones. */
  private Masks masks = Masks.FRESH;
  /** Per module, the kept masks in the order drawn (one per call: a layer runs chunk by chunk). */
  private final Map<Target, ArrayDeque<NDArray>> kept = new IdentityHashMap<>();
  private @Nullable NDManager keptIn;

  private enum Masks { FRESH, KEEP, REPLAY }

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
      for (Target t : adapter.targets) {
        t.a().setRequiresGradient(true);
        t.b().setRequiresGradient(true);
        adapter.byWeight.computeIfAbsent(params.get(t.param()), k -> new ArrayList<>()).add(t);
      }
      adapter.byWeight.values().forEach(list -> list.sort(java.util.Comparator.comparingLong(Target::from)));
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

  /** Dropout on the adapter input while on (training steps); off for evaluation. */
  public void training(boolean on) {
    this.training = on;
  }

  /**
   * From now on each adapted module's dropout mask is kept (in {@code into}) for
   * {@link #replayMasks}: activation recomputation runs the same forward twice.
   */
  void keepMasks(NDManager into) {
    freshMasks();
    keptIn = into;
    masks = Masks.KEEP;
  }

  /**
   * Each module's dropouts use the masks kept for it by {@link #keepMasks}, each once, in the order
   * they were drawn.
   */
  void replayMasks() {
    masks = Masks.REPLAY;
  }

  /** Fresh masks again; kept ones are dropped. */
  void freshMasks() {
    kept.values().forEach(masks -> masks.forEach(NDArray::close));
    kept.clear();
    keptIn = null;
    masks = Masks.FRESH;
  }

  /**
   * {@code s·(drop(x) Aᵀ) Bᵀ} for the adapted parts of {@code weight}, in their output columns
   * ({@code [N, out]}), or null when {@code weight} is not adapted. Arrays go to x's manager.
   */
  @Override
  public @Nullable NDArray apply(NDArray x, NDArray weight) {
    List<Target> parts = byWeight.get(weight);
    if (parts == null) {
      return null;
    }
    NDManager m = x.getManager();
    long n = x.getShape().get(0);
    long out = weight.getShape().get(0);
    float s = (float) config.scale();
    NDList columns = new NDList();
    long at = 0;
    for (Target t : parts) {
      if (t.from() > at) {
        columns.add(m.zeros(new Shape(n, t.from() - at), x.getDataType()));
      }
      NDArray u = Linear.linear(dropout(x, t), t.a()).singletonOrThrow().mul(s); // [N, r]
      columns.add(Linear.linear(u, t.b()).singletonOrThrow()); // [N, out_i]
      at = t.to();
    }
    if (at < out) {
      columns.add(m.zeros(new Shape(n, out - at), x.getDataType()));
    }
    return columns.size() == 1 ? columns.singletonOrThrow() : NDArrays.concat(columns, 1);
  }

  private NDArray dropout(NDArray x, Target t) {
    double p = config.dropout();
    if (!training || p == 0) {
      return x;
    }
    NDArray keep; // boolean [N, in]
    if (masks == Masks.REPLAY) {
      ArrayDeque<NDArray> queue = kept.get(t);
      keep = queue == null ? null : queue.poll();
      if (keep == null) {
        throw new IllegalStateException("no kept dropout mask for " + t.hfName());
      }
      keep.attach(x.getManager());
    } else {
      keep = x.getManager().randomUniform(0f, 1f, x.getShape(), x.getDataType()).gte((float) p);
    }
    NDArray scaled = keep.toType(x.getDataType(), false).div((float) (1 - p));
    if (masks == Masks.KEEP) {
      keep.attach(keptIn);
      kept.computeIfAbsent(t, k -> new ArrayDeque<>()).add(keep);
    }
    return x.mul(scaled);
  }

  /** The adapter's gradients after a backward pass, keyed as {@link #parameters}; handles in {@code into}. */
  public Map<String, NDArray> gradients(NDManager into) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    parameters().forEach((name, p) -> {
      NDArray g = p.getGradient();
      g.attach(into); // the handle only: the gradient tensor stays with the parameter
      out.put(name, g);
    });
    return out;
  }

  /** Writes {@code W0 + s·B·A} into the model's rows (merging; training never needs it). */
  public void applyToModel() {
    Trainer.noGrad(); // A and B are leaves that record gradients
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

  /** Puts the frozen base weights back into the model (undoes {@link #applyToModel}). */
  public void restoreBase() {
    Map<String, NDArray> params = model.parameters();
    for (Target t : targets) {
      params.get(t.param()).set(new NDIndex(t.from() + ":" + t.to()), t.base());
    }
  }

  /** Loads A and B saved by {@link #save} (for resuming). */
  public void load(Map<String, NDArray> tensors) {
    Trainer.noGrad(); // in-place writes into leaves that record gradients
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
