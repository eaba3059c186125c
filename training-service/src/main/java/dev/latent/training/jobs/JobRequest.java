package dev.latent.training.jobs;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.latent.support.problem.ProblemException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** {@code POST /v1/fine_tuning/jobs}, validated as it is read (400 naming the field). */
public record JobRequest(
    @Nullable String model,
    @JsonProperty("training_file") @Nullable String trainingFile,
    @JsonProperty("validation_file") @Nullable String validationFile,
    @Nullable String suffix,
    @Nullable Long seed,
    @Nullable Method method) {

  public JobRequest {
    if (model == null || model.isBlank()) {
      throw ProblemException.invalidParameter("model", "model is required");
    }
    if (suffix != null && !suffix.matches("[A-Za-z0-9_-]{1,40}")) {
      throw ProblemException.invalidParameter("suffix", "suffix must be 1-40 letters, digits, '-' or '_'");
    }
    if (method == null) {
      method = new Method("supervised", null, null, null, null);
    }
    if (method.builtIn() && (trainingFile == null || trainingFile.isBlank())) {
      throw ProblemException.invalidParameter("training_file", "training_file is required");
    }
  }

  /**
   * {@code method}: the type and the matching {@code {hyperparameters}} block. A type other than
   * the built-in ones is a {@link TrainingMethod} (checked by {@link TrainingMethods}); its block
   * {@code method.<type>} is kept raw in {@code others}.
   */
  public record Method(@Nullable String type, @Nullable Block supervised, @Nullable Block dpo, @Nullable Block pretrain,
      @JsonAnySetter @JsonAnyGetter @Nullable Map<String, Object> others) {
    public Method {
      if (type == null || !(TrainingMethods.BUILT_IN.contains(type) || type.matches("[a-z][a-z0-9_]{0,39}"))) {
        throw ProblemException.invalidParameter("method.type", "method.type must be supervised, dpo or pretrain");
      }
      others = others == null ? new LinkedHashMap<>() : others;
    }

    /** A type {@link TrainingRun} trains (supervised, dpo, pretrain). */
    public boolean builtIn() {
      return TrainingMethods.BUILT_IN.contains(type);
    }

    /** {@code method.<type>} of a non-built-in type, raw; empty when absent. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> block() {
      Object b = others == null ? null : others.get(type);
      return b instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    public Hyperparameters hyperparameters() {
      if (!builtIn()) {
        return Hyperparameters.EMPTY;
      }
      Block b = switch (type) {
        case "dpo" -> dpo;
        case "pretrain" -> pretrain;
        default -> supervised;
      };
      Hyperparameters h = b == null || b.hyperparameters() == null ? Hyperparameters.EMPTY : b.hyperparameters();
      if (!"dpo".equals(type) && h.beta() != null) {
        throw ProblemException.invalidParameter("hyperparameters.beta", "beta applies to dpo only");
      }
      if (!"dpo".equals(type) && h.rpoAlpha() != null) {
        throw ProblemException.invalidParameter("hyperparameters.rpo_alpha", "rpo_alpha applies to dpo only");
      }
      return h;
    }
  }

  /** {@code {"hyperparameters": {...}}}. */
  public record Block(@Nullable Hyperparameters hyperparameters) {}

  /** Training hyperparameters; null means the default. */
  public record Hyperparameters(
      @JsonProperty("n_epochs") @Nullable Integer nEpochs,
      @JsonProperty("batch_size") @Nullable Integer batchSize,
      @JsonProperty("learning_rate") @Nullable Double learningRate,
      @JsonProperty("learning_rate_multiplier") @Nullable Double learningRateMultiplier,
      @JsonProperty("warmup_steps") @Nullable Integer warmupSteps,
      @JsonProperty("lr_scheduler") @Nullable String lrScheduler,
      @JsonProperty("weight_decay") @Nullable Double weightDecay,
      @Nullable String optimizer,
      @JsonProperty("max_grad_norm") @Nullable Double maxGradNorm,
      @JsonProperty("gradient_accumulation_steps") @Nullable Integer gradientAccumulationSteps,
      @Nullable Lora lora,
      @Nullable Double beta,
      // DPO + rpo_alpha × the chosen responses' NLL per token (RPO; TRL's name); absent or 0 = plain DPO
      @JsonProperty("rpo_alpha") @Nullable Double rpoAlpha,
      // the finished job that produced `model`: its last checkpoint's optimizer moments and step
      // count start this job's optimizer instead of a fresh one (full fine-tunes only)
      @JsonProperty("optimizer_state_from") @Nullable String optimizerStateFrom,
      // positions per layer chunk of the activation recomputation (pretrain/supervised; whole
      // sequences, at least one): fewer, larger ops for more activation memory; absent = the trainer's 256
      @JsonProperty("layer_chunk_rows") @Nullable Integer layerChunkRows) {

    static final Hyperparameters EMPTY = new Hyperparameters(null, null, null, null, null, null, null, null, null, null, null,
        null, null, null, null);

    public Hyperparameters {
      range("n_epochs", nEpochs, 1, 1000);
      range("batch_size", batchSize, 1, 4096);
      range("warmup_steps", warmupSteps, 0, 1_000_000);
      range("gradient_accumulation_steps", gradientAccumulationSteps, 1, 1024);
      range("layer_chunk_rows", layerChunkRows, 1, 1 << 20);
      positive("learning_rate", learningRate, 1.0);
      positive("learning_rate_multiplier", learningRateMultiplier, 1000.0);
      positive("beta", beta, 100.0);
      if (learningRate != null && learningRateMultiplier != null) {
        throw ProblemException.invalidParameter("hyperparameters.learning_rate",
            "give learning_rate or learning_rate_multiplier, not both");
      }
      if (weightDecay != null && (weightDecay < 0 || weightDecay > 1 || weightDecay.isNaN())) {
        throw ProblemException.invalidParameter("hyperparameters.weight_decay", "weight_decay must be in [0, 1]");
      }
      if (rpoAlpha != null && !(rpoAlpha >= 0 && rpoAlpha <= 100)) {
        throw ProblemException.invalidParameter("hyperparameters.rpo_alpha", "rpo_alpha must be in [0, 100]");
      }
      if (optimizerStateFrom != null && !optimizerStateFrom.matches("ftjob-[A-Za-z0-9]{1,64}")) {
        throw ProblemException.invalidParameter("hyperparameters.optimizer_state_from",
            "optimizer_state_from must be a fine-tuning job id (ftjob-...)");
      }
      if (optimizerStateFrom != null && lora != null) {
        throw ProblemException.invalidParameter("hyperparameters.optimizer_state_from",
            "optimizer_state_from applies to full fine-tunes only, not LoRA");
      }
      if (maxGradNorm != null && (maxGradNorm < 0 || maxGradNorm.isNaN())) {
        throw ProblemException.invalidParameter("hyperparameters.max_grad_norm", "max_grad_norm must be >= 0 (0 disables clipping)");
      }
      if (lrScheduler != null && !List.of("cosine", "linear", "constant").contains(lrScheduler)) {
        throw ProblemException.invalidParameter("hyperparameters.lr_scheduler", "lr_scheduler must be cosine, linear or constant");
      }
      if (optimizer != null && !List.of("adamw", "adam").contains(optimizer.toLowerCase(Locale.ROOT))) {
        throw ProblemException.invalidParameter("hyperparameters.optimizer", "optimizer must be adamw or adam");
      }
    }

    private static void range(String name, @Nullable Integer v, int min, int max) {
      if (v != null && (v < min || v > max)) {
        throw ProblemException.invalidParameter("hyperparameters." + name, name + " must be in [" + min + ", " + max + "]");
      }
    }

    private static void positive(String name, @Nullable Double v, double max) {
      if (v != null && !(v > 0 && v <= max)) {
        throw ProblemException.invalidParameter("hyperparameters." + name, name + " must be in (0, " + max + "]");
      }
    }
  }

  /** {@code lora}: present means LoRA, absent a full fine-tune. */
  public record Lora(@Nullable Integer r, @Nullable Double alpha, @Nullable Double dropout,
      @JsonProperty("target_modules") @Nullable List<String> targetModules) {
    public Lora {
      if (r != null && (r < 1 || r > 1024)) {
        throw ProblemException.invalidParameter("hyperparameters.lora.r", "r must be in [1, 1024]");
      }
      if (alpha != null && !(alpha > 0)) {
        throw ProblemException.invalidParameter("hyperparameters.lora.alpha", "alpha must be > 0");
      }
      if (dropout != null && !(dropout >= 0 && dropout < 1)) {
        throw ProblemException.invalidParameter("hyperparameters.lora.dropout", "dropout must be in [0, 1)");
      }
      if (targetModules != null) {
        for (String t : targetModules) {
          if (!dev.latent.ml.train.LoraConfig.SUPPORTED_TARGETS.contains(t)) {
            throw ProblemException.invalidParameter("hyperparameters.lora.target_modules",
                "unknown module " + t + "; supported: " + dev.latent.ml.train.LoraConfig.SUPPORTED_TARGETS);
          }
        }
      }
    }
  }
}
