package dev.latent.ml.vision.detr;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.io.SafetensorsFile;
import dev.latent.ml.llm.io.SafetensorsWriter;
import dev.latent.ml.train.AdamOptimizer;
import dev.latent.ml.train.LrSchedule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/**
 * A whole DETR training run on {@link ShapesDataset}: seeded data (training and held-out splits),
 * AdamW with warmup + cosine decay, clipping, mAP@0.5 on the held-out split every
 * {@code evalEvery} steps and at the end, checkpoints (weights + Adam moments) and resume. Used by
 * the training-service's {@code detection} jobs and runnable alone ({@link #main}).
 *
 * @param seed dataset and initialisation seed
 * @param trainSize training images (an epoch)
 * @param heldOutSize held-out images for mAP
 * @param maxObjects most shapes per image (at most the model's queries)
 */
public record DetrTraining(long seed, int trainSize, int heldOutSize, int maxObjects, int epochs, int batchSize,
    double learningRate, double weightDecay, int warmupSteps, double maxGradNorm, int evalEvery) {

  public DetrTraining {
    if (trainSize < 1 || heldOutSize < 1 || maxObjects < 1 || epochs < 1 || batchSize < 1 || learningRate <= 0
        || weightDecay < 0 || warmupSteps < 0 || maxGradNorm < 0 || evalEvery < 1) {
      throw new IllegalArgumentException("invalid DETR training settings " + this);
    }
  }

  /** Updates skipped for a non-finite loss before a run fails. */
  static final int MAX_SKIPPED = 10;

  /**
   * The loss the platform trains with: the paper's, with the class terms (loss and matching cost)
   * weighted 2 as Deformable DETR does, for short CPU runs where the class head lags the boxes.
   */
  public static final DetrLoss LOSS = new DetrLoss(new SetMatcher(2, 5, 2), 2, 5, 2, 0.1, true);

  public static DetrTraining defaults(long seed) {
    return new DetrTraining(seed, 8000, 300, 3, 4, 16, 5e-4, 1e-4, 100, 0.1, 500);
  }

  public int stepsPerEpoch() {
    return (trainSize + batchSize - 1) / batchSize;
  }

  public int totalSteps() {
    return stepsPerEpoch() * epochs;
  }

  /** Where a run reports to. */
  public interface Listener {
    /** Called before every step; throw to stop. */
    default void beforeStep(int step) {}

    void step(DetrTrainer.StepStats stats, int totalSteps, double secondsPerStep);

    /** Held-out mAP@0.5 after {@code step}. */
    void evaluated(int step, MeanAp.Result result);

    /** Where to write the checkpoint of {@code step}, or null for none. */
    default @Nullable Path checkpointDir(int step) {
      return null;
    }

    default void checkpointed(int step, Path dir, double map) {}
  }

  /** The trained model's held-out mAP and the step it reached. */
  public record Outcome(double map, double[] perClass, int steps) {}

  /**
   * Trains {@code config} (or resumes from {@code resumeDir} at {@code resumeStep}) and writes the
   * model to {@code out}.
   */
  public Outcome run(DetrConfig config, Device device, Path out, @Nullable Path resumeDir, int resumeStep,
      Listener listener) {
    if (maxObjects > config.queries()) {
      throw new IllegalArgumentException("max_objects " + maxObjects + " exceeds the model's " + config.queries() + " queries");
    }
    ShapesDataset data = new ShapesDataset(seed, config.imageSize(), maxObjects);
    List<ShapesDataset.Sample> heldOut = data.samples(ShapesDataset.Split.HELD_OUT, 0, heldOutSize);
    int total = totalSteps();
    LrSchedule schedule = new LrSchedule(LrSchedule.Kind.COSINE, learningRate, Math.min(warmupSteps, total - 1),
        total, 0.05);
    try (Detr model = resumeDir == null ? Detr.create(config, seed, device) : Detr.load(resumeDir, device);
        DetrTrainer trainer = new DetrTrainer(model, LOSS,
            AdamOptimizer.Settings.of(AdamOptimizer.Kind.ADAMW, (float) weightDecay), schedule, maxGradNorm)) {
      int step = 0;
      if (resumeDir != null) {
        restoreOptimizer(trainer, resumeDir, resumeStep, model.manager());
        step = resumeStep;
      }
      MeanAp.Result last = null;
      int skipped = 0;
      long began = System.nanoTime();
      int done = 0;
      while (step < total) {
        listener.beforeStep(step);
        List<ShapesDataset.Sample> batch = new ArrayList<>();
        for (int i : indexes(step)) {
          batch.add(data.sample(ShapesDataset.Split.TRAIN, i));
        }
        step++;
        done++;
        try {
          DetrTrainer.StepStats stats = trainer.step(batch);
          listener.step(stats, total, (System.nanoTime() - began) / 1e9 / done);
        } catch (ArithmeticException e) {
          // a non-finite loss or gradient: that batch's update is skipped (gradients zeroed), a few times at most
          if (++skipped > MAX_SKIPPED) {
            throw e;
          }
        }
        boolean end = step == total;
        if (step % evalEvery == 0 || end) {
          last = DetrTrainer.evaluate(model, heldOut, 32);
          listener.evaluated(step, last);
          Path dir = listener.checkpointDir(step);
          if (dir != null) {
            writeCheckpoint(dir, model, trainer, step);
            listener.checkpointed(step, dir, last.map());
          }
        }
      }
      if (last == null) {
        last = DetrTrainer.evaluate(model, heldOut, 32);
      }
      try {
        model.save(out);
        Files.writeString(out.resolve("eval.json"), String.format(Locale.ROOT,
            "{\"map50\": %.4f, \"per_class\": %s, \"held_out_images\": %d, \"steps\": %d, \"seed\": %d}%n",
            last.map(), perClassJson(config, last.perClass()), heldOutSize, total, seed));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new Outcome(last.map(), last.perClass(), total);
    }
  }

  private static String perClassJson(DetrConfig config, double[] ap) {
    List<String> parts = new ArrayList<>();
    for (int c = 0; c < ap.length; c++) {
      parts.add(String.format(Locale.ROOT, "\"%s\": %s", config.labels().get(c),
          Double.isNaN(ap[c]) ? "null" : String.format(Locale.ROOT, "%.4f", ap[c])));
    }
    return "{" + String.join(", ", parts) + "}";
  }

  /** The training indexes of {@code step}: an epoch-wise shuffle seeded by seed and epoch. */
  List<Integer> indexes(int step) {
    int epoch = step / stepsPerEpoch();
    List<Integer> order = new ArrayList<>(trainSize);
    for (int i = 0; i < trainSize; i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
    int from = (step % stepsPerEpoch()) * batchSize;
    return order.subList(from, Math.min(trainSize, from + batchSize));
  }

  private static void writeCheckpoint(Path dir, Detr model, DetrTrainer trainer, int step) {
    try {
      model.save(dir);
      SafetensorsWriter.write(dir.resolve("optimizer.safetensors"), trainer.optimizer().state(),
          Map.of("step", Integer.toString(step)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void restoreOptimizer(DetrTrainer trainer, Path dir, int step, NDManager parent) {
    try (NDManager m = parent.newSubManager(); SafetensorsFile f = SafetensorsFile.open(dir.resolve("optimizer.safetensors"))) {
      Map<String, NDArray> state = new LinkedHashMap<>();
      for (String name : f.entries().keySet()) {
        state.put(name, f.load(name, m, DataType.FLOAT32));
      }
      trainer.optimizer().restore(state, step);
    }
  }

  /**
   * Trains in this process: {@code DetrTraining <out dir> [key=value…]} with keys seed, train_size,
   * held_out_size, max_objects, n_epochs, batch_size, learning_rate, weight_decay, warmup_steps,
   * max_grad_norm, eval_every. Prints one JSON line per step and evaluation.
   */
  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: DetrTraining <out dir> [seed=1 n_epochs=4 batch_size=16 …]");
      System.exit(2);
    }
    Map<String, String> kv = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i++) {
      String[] p = args[i].split("=", 2);
      kv.put(p[0], p[1]);
    }
    DetrTraining d = defaults(Long.parseLong(kv.getOrDefault("seed", "1")));
    DetrTraining t = new DetrTraining(d.seed(), i(kv, "train_size", d.trainSize()), i(kv, "held_out_size", d.heldOutSize()),
        i(kv, "max_objects", d.maxObjects()), i(kv, "n_epochs", d.epochs()), i(kv, "batch_size", d.batchSize()),
        dbl(kv, "learning_rate", d.learningRate()), dbl(kv, "weight_decay", d.weightDecay()),
        i(kv, "warmup_steps", d.warmupSteps()), dbl(kv, "max_grad_norm", d.maxGradNorm()), i(kv, "eval_every", d.evalEvery()));
    long t0 = System.nanoTime();
    Outcome o = t.run(DetrConfig.small(ShapesDataset.LABELS), Device.cpu(), Path.of(args[0]), null, 0, new Listener() {
      @Override
      public void step(DetrTrainer.StepStats s, int total, double secondsPerStep) {
        if (s.step() % 10 == 0 || s.step() == 1) {
          System.out.printf(Locale.ROOT, "{\"step\": %d, \"total_steps\": %d, \"train_loss\": %.4f, \"class_loss\": %.4f, "
              + "\"l1\": %.4f, \"giou_loss\": %.4f, \"learning_rate\": %.6f, \"grad_norm\": %.3f, \"seconds_per_step\": %.3f}%n",
              s.step(), total, s.loss(), s.classLoss(), s.l1(), s.giou(), s.lr(), s.gradNorm(), secondsPerStep);
        }
      }

      @Override
      public Path checkpointDir(int step) {
        return Path.of(args[0] + "-checkpoints", "step-" + step);
      }

      @Override
      public void evaluated(int step, MeanAp.Result r) {
        System.out.printf(Locale.ROOT, "{\"step\": %d, \"held_out_map50\": %.4f, \"elapsed_s\": %.0f}%n", step, r.map(),
            (System.nanoTime() - t0) / 1e9);
      }
    });
    System.out.printf(Locale.ROOT, "{\"done\": true, \"held_out_map50\": %.4f, \"steps\": %d, \"elapsed_s\": %.0f}%n",
        o.map(), o.steps(), (System.nanoTime() - t0) / 1e9);
  }

  private static int i(Map<String, String> kv, String k, int def) {
    return kv.containsKey(k) ? Integer.parseInt(kv.get(k)) : def;
  }

  private static double dbl(Map<String, String> kv, String k, double def) {
    return kv.containsKey(k) ? Double.parseDouble(kv.get(k)) : def;
  }
}
