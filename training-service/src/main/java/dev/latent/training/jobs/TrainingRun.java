package dev.latent.training.jobs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.io.SafetensorsFile;
import dev.latent.ml.llm.io.SafetensorsWriter;
import dev.latent.ml.text.Tokenizer;
import dev.latent.ml.train.AdamOptimizer;
import dev.latent.ml.train.LmBatch;
import dev.latent.ml.train.LoraAdapter;
import dev.latent.ml.train.LoraConfig;
import dev.latent.ml.train.LrSchedule;
import dev.latent.ml.train.Trainer;
import dev.latent.training.files.DataFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/**
 * One job's training on the calling (runner) thread: loads the base model and tokenizer from the
 * store, builds the data, runs the optimizer steps with events, checkpoints every
 * {@code checkpointEvery} steps (model or adapter in HF/PEFT layout plus optimizer moments), and
 * writes the result to the model store. Resumes from a checkpoint when given one: the batch order
 * is a function of the seed and the step, so the remaining steps are exactly those not yet done.
 */
final class TrainingRun {

  /** Where the run reports to; {@link #stop} is asked before every step. */
  interface Listener extends TrainingMethod.Listener {}

  /** Thrown when {@link Listener#stop} returns a reason (cancelled, shutting down). */
  static final class Stopped extends TrainingMethod.Stopped {
    Stopped(String reason) {
      super(reason);
    }
  }

  /** A checkpoint to resume from. */
  record Resume(int step, Path dir, long trainedTokens) {}

  /** Another job's checkpoint whose optimizer moments and step count start this job's optimizer. */
  record OptimizerStart(String jobId, int step, Path dir) {}

  private final JobWire.Job job;
  private final Path baseDir;
  private final Path trainingFile;
  private final @Nullable Path validationFile;
  private final DataFormat format;
  private final Path modelStore;
  private final JobsProperties props;

  TrainingRun(JobWire.Job job, Path baseDir, Path trainingFile, @Nullable Path validationFile, DataFormat format,
      Path modelStore, JobsProperties props) {
    this.job = job;
    this.baseDir = baseDir;
    this.trainingFile = trainingFile;
    this.validationFile = validationFile;
    this.format = format;
    this.modelStore = modelStore;
    this.props = props;
  }

  /** Trains to the end and returns the {@code fine_tuned_model} name. */
  String execute(@Nullable Resume resume, @Nullable OptimizerStart optimizerStart, Listener listener) {
    String type = job.method().type();
    boolean dpo = "dpo".equals(type);
    JobRequest.Hyperparameters h = job.hyperparameters();
    boolean lora = h.lora() != null;
    ModelOptions options = ModelOptions.of(props.device(), "f32");
    Path start = resume != null && !lora ? resume.dir() : baseDir;
    try (Tokenizer tokenizer = Tokenizer.load(baseDir);
        Transformer model = Transformer.load(start, options);
        Transformer reference = dpo ? Transformer.load(baseDir, options) : null) {
      TrainingData data = new TrainingData(tokenizer, Math.min(props.maxSeqLen(), model.config().maxPositions() - 1),
          model.config().vocabSize());
      List<LmBatch.Sequence> sequences = dpo ? List.of() : data.sequences(trainingFile, format);
      List<TrainingData.Pair> pairs = dpo ? data.pairs(trainingFile) : List.of();
      int n = dpo ? pairs.size() : sequences.size();
      if (n == 0) {
        throw new IllegalArgumentException("the training file gives no trainable sequences");
      }
      List<LmBatch> validation = validationFile == null || dpo ? List.of()
          : chunk(data.sequences(validationFile, format), Math.max(1, batchSize(h)), data.padId());
      int micro = batchSize(h);
      int accumulation = h.gradientAccumulationSteps() == null ? 1 : h.gradientAccumulationSteps();
      int perStep = micro * accumulation;
      int stepsPerEpoch = (n + perStep - 1) / perStep;
      int epochs = h.nEpochs() == null ? 3 : h.nEpochs();
      int total = stepsPerEpoch * epochs;
      LrSchedule schedule = new LrSchedule(LrSchedule.Kind.valueOf(
          (h.lrScheduler() == null ? "cosine" : h.lrScheduler()).toUpperCase(Locale.ROOT)),
          learningRate(h, lora, type), h.warmupSteps() == null ? 0 : h.warmupSteps(), total, 0);
      AdamOptimizer.Settings settings = AdamOptimizer.Settings.of(
          "adam".equalsIgnoreCase(h.optimizer()) ? AdamOptimizer.Kind.ADAM : AdamOptimizer.Kind.ADAMW,
          h.weightDecay() == null ? 0f : h.weightDecay().floatValue());
      LoraAdapter adapter = !lora ? null : LoraAdapter.attach(model, new LoraConfig(
          h.lora().r() == null ? 8 : h.lora().r(), h.lora().alpha() == null ? 16 : h.lora().alpha(),
          h.lora().dropout() == null ? 0 : h.lora().dropout(),
          h.lora().targetModules() == null ? List.of() : h.lora().targetModules()), job.seed());
      try (Trainer trainer = new Trainer(model, adapter, reference, settings, schedule,
          h.maxGradNorm() == null ? 1.0 : h.maxGradNorm(), h.beta() == null ? 0.1 : h.beta())
          .rpoAlpha(h.rpoAlpha() == null ? 0 : h.rpoAlpha())) {
        if (h.layerChunkRows() != null) {
          trainer.layerChunkRows(h.layerChunkRows());
        }
        int step = 0;
        long tokens = 0;
        if (optimizerStart != null) {
          // the other job's updates count in Adam's bias correction; this job's schedule starts at 0
          trainer.optimizer().priorSteps(optimizerStart.step());
        }
        if (resume != null) {
          restore(resume, adapter, trainer, model);
          step = resume.step();
          tokens = resume.trainedTokens();
          listener.event("message", "Resumed from the checkpoint at step " + step, null);
        } else if (optimizerStart != null) {
          restoreOptimizer(trainer, model, optimizerStart.dir(), 0);
          listener.event("message", "Optimizer state (moments, step count " + optimizerStart.step() + ") from job "
              + optimizerStart.jobId(), null);
        }
        listener.event("message", "Training " + n + (dpo ? " pairs" : " sequences") + " for " + total + " steps ("
            + epochs + " epochs, " + (lora ? "LoRA" : "full") + ")", null);
        long began = System.nanoTime();
        int stepsThisRun = 0;
        long recomputed = 0;
        while (step < total) {
          String stop = listener.stop();
          if (stop != null) {
            throw new Stopped(stop);
          }
          long t0 = System.nanoTime();
          List<Integer> idx = indexes(step, stepsPerEpoch, perStep, n);
          Trainer.StepStats stats;
          if (dpo) {
            List<Trainer.DpoBatch> batches = new ArrayList<>();
            for (List<Integer> part : split(idx, micro)) {
              batches.add(new Trainer.DpoBatch(LmBatch.of(part.stream().map(i -> pairs.get(i).chosen()).toList(), data.padId()),
                  LmBatch.of(part.stream().map(i -> pairs.get(i).rejected()).toList(), data.padId())));
            }
            stats = trainer.dpoStep(batches);
          } else {
            List<LmBatch> batches = new ArrayList<>();
            for (List<Integer> part : split(idx, micro)) {
              batches.add(LmBatch.of(part.stream().map(sequences::get).toList(), data.padId()));
            }
            stats = trainer.step(batches);
          }
          step++;
          stepsThisRun++;
          if (trainer.recomputedSteps() > recomputed) {
            recomputed = trainer.recomputedSteps();
            listener.event("message", "Step " + step + ": non-finite gradient with a finite loss, recomputed ("
                + recomputed + " so far)", null);
          }
          tokens += stats.tokens();
          double secs = (System.nanoTime() - t0) / 1e9;
          double avg = (System.nanoTime() - began) / 1e9 / stepsThisRun;
          Map<String, Object> metrics = new LinkedHashMap<>();
          metrics.put("step", step);
          metrics.put("total_steps", total);
          metrics.put("train_loss", stats.loss());
          metrics.put("learning_rate", stats.lr());
          metrics.put("grad_norm", stats.gradNorm());
          metrics.put("tokens_per_second", stats.tokens() / Math.max(secs, 1e-9));
          metrics.put("eta_seconds", Math.round(avg * (total - step)));
          if (stats.dpo() != null) {
            metrics.put("chosen_reward", stats.dpo().chosenReward());
            metrics.put("rejected_reward", stats.dpo().rejectedReward());
            metrics.put("reward_margin", stats.dpo().margin());
            metrics.put("reward_accuracy", stats.dpo().accuracy());
            metrics.put("chosen_nll", stats.dpo().chosenNll());
          }
          boolean checkpoint = step % props.checkpointEvery() == 0 || step == total;
          if (checkpoint && !validation.isEmpty()) {
            metrics.put("valid_loss", trainer.evalLoss(validation));
          }
          listener.event("metrics", String.format(Locale.ROOT, "Step %d/%d: training loss=%.4f", step, total, stats.loss()),
              metrics);
          listener.progress(step, total, tokens);
          if (checkpoint) {
            Path dir = props.checkpointDir().resolve(job.id()).resolve("step-" + step);
            String stepText = Integer.toString(step);
            String tokenText = Long.toString(tokens);
            writeAtomically(dir, tmp -> {
              saveWeights(tmp, model, adapter);
              Map<String, NDArray> state = trainer.optimizer().state();
              SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), state,
                  Map.of("step", stepText, "trained_tokens", tokenText));
            });
            listener.checkpoint(step, dir, metrics);
          }
        }
        String name = outputName();
        writeAtomically(modelStore.resolve(name), tmp -> saveWeights(tmp, model, adapter));
        if (adapter != null) {
          adapter.close();
        }
        return lora ? job.model() + ":" + name : name;
      }
    }
  }

  private void saveWeights(Path dir, Transformer model, @Nullable LoraAdapter adapter) throws IOException {
    if (adapter == null) {
      model.save(dir);
    } else {
      adapter.save(dir, job.model());
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      if (Files.exists(baseDir.resolve(f))) {
        Files.copy(baseDir.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private void restore(Resume resume, @Nullable LoraAdapter adapter, Trainer trainer, Transformer model) {
    NDArray any = model.parameters().values().iterator().next();
    try (NDManager m = any.getManager().newSubManager()) {
      if (adapter != null) {
        adapter.load(load(resume.dir().resolve("adapter_model.safetensors"), m));
      }
    }
    restoreOptimizer(trainer, model, resume.dir(), resume.step());
  }

  private static void restoreOptimizer(Trainer trainer, Transformer model, Path checkpoint, int step) {
    NDArray any = model.parameters().values().iterator().next();
    try (NDManager m = any.getManager().newSubManager()) {
      trainer.optimizer().restore(load(checkpoint.resolve("optimizer.safetensors"), m), step);
    }
  }

  private static Map<String, NDArray> load(Path file, NDManager m) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      for (String name : f.entries().keySet()) {
        out.put(name, f.load(name, m, DataType.FLOAT32));
      }
    }
    return out;
  }

  /** {@code <base>-ft[-suffix]-<job id tail>}: a directory name, and never containing ':'. */
  String outputName() {
    String base = job.model().replaceAll("[^A-Za-z0-9._-]", "_");
    return base + "-ft" + (job.suffix() == null ? "" : "-" + job.suffix()) + "-" + job.id().substring(job.id().length() - 8);
  }

  /** The data indexes of update {@code step}: epoch-wise shuffles seeded by the job's seed. */
  private List<Integer> indexes(int step, int stepsPerEpoch, int perStep, int n) {
    int epoch = step / stepsPerEpoch;
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(job.seed() * 1_000_003L + epoch));
    int from = (step % stepsPerEpoch) * perStep;
    return order.subList(from, Math.min(n, from + perStep));
  }

  private static <T> List<List<T>> split(List<T> all, int size) {
    List<List<T>> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i += size) {
      out.add(all.subList(i, Math.min(all.size(), i + size)));
    }
    return out;
  }

  private static List<LmBatch> chunk(List<LmBatch.Sequence> seqs, int size, int pad) {
    return split(seqs, size).stream().map(part -> LmBatch.of(part, pad)).toList();
  }

  private static int batchSize(JobRequest.Hyperparameters h) {
    return h.batchSize() == null ? 4 : h.batchSize();
  }

  private static double learningRate(JobRequest.Hyperparameters h, boolean lora, String type) {
    if (h.learningRate() != null) {
      return h.learningRate();
    }
    double base = "pretrain".equals(type) ? 1e-3 : lora ? 1e-3 : 1e-4;
    return base * (h.learningRateMultiplier() == null ? 1.0 : h.learningRateMultiplier());
  }

  @FunctionalInterface
  private interface Writer {
    void write(Path dir) throws IOException;
  }

  /** Writes into a sibling temp directory, then renames it into place (replacing an older one). */
  private static void writeAtomically(Path dir, Writer writer) {
    try {
      Files.createDirectories(dir.getParent());
      Path tmp = Files.createTempDirectory(dir.getParent(), "." + dir.getFileName() + "-");
      writer.write(tmp);
      if (Files.exists(dir)) {
        deleteTree(dir);
      }
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
