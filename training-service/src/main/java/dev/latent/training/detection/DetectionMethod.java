package dev.latent.training.detection;

import ai.djl.Device;
import dev.latent.ml.vision.detr.DetrConfig;
import dev.latent.ml.vision.detr.DetrTrainer;
import dev.latent.ml.vision.detr.DetrTraining;
import dev.latent.ml.vision.detr.MeanAp;
import dev.latent.ml.vision.detr.ShapesDataset;
import dev.latent.support.problem.ProblemException;
import dev.latent.training.jobs.Hyperparameters;
import dev.latent.training.jobs.TrainingMethod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * {@code method.type: detection}: trains a DETR ({@link DetrConfig#small}) on the generated shapes
 * dataset ({@link ShapesDataset}, named by the job's {@code seed} and {@code train_size}) with
 * AdamW, reports loss per step and held-out mAP@0.5 at every checkpoint, and writes the model to
 * {@code $LATENT_HOME/models/<model>[-<suffix>]/} ({@code config.json}, {@code model.safetensors},
 * {@code eval.json}). {@code training_file} is not used.
 */
@Component
public class DetectionMethod implements TrainingMethod {

  /** The keys of {@code method.detection.hyperparameters}. */
  static final Set<String> KEYS = Set.of("n_epochs", "batch_size", "learning_rate", "weight_decay", "warmup_steps",
      "max_grad_norm", "train_size", "held_out_size", "max_objects", "eval_every");

  @Override
  public String type() {
    return "detection";
  }

  @Override
  public void validate(@Nullable String model, @Nullable String trainingFile, Map<String, Object> block) {
    if (model == null || !model.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw ProblemException.invalidParameter("model",
          "model names the detector to train (letters, digits, '.', '_', '-'), e.g. detr-shapes");
    }
    if (trainingFile != null) {
      throw ProblemException.invalidParameter("training_file",
          "detection jobs train on the generated shapes dataset (seed and train_size); give no training_file");
    }
    settings(0, block);
  }

  /** The run's settings from the hyperparameters (defaults: {@link DetrTraining#defaults}); 400 on a bad value. */
  static DetrTraining settings(long seed, Map<String, Object> block) {
    Hyperparameters h = Hyperparameters.of("detection", block, KEYS);
    DetrTraining d = DetrTraining.defaults(seed);
    return new DetrTraining(seed, h.integer("train_size", d.trainSize(), 1, 1_000_000),
        h.integer("held_out_size", d.heldOutSize(), 1, 100_000),
        h.integer("max_objects", d.maxObjects(), 1, DetrConfig.small(ShapesDataset.LABELS).queries()),
        h.integer("n_epochs", d.epochs(), 1, 1000), h.integer("batch_size", d.batchSize(), 1, 1024),
        h.number("learning_rate", d.learningRate(), 1e-8, 1), h.number("weight_decay", d.weightDecay(), 0, 1),
        h.integer("warmup_steps", d.warmupSteps(), 0, 1_000_000), h.number("max_grad_norm", d.maxGradNorm(), 0, 1e6),
        h.integer("eval_every", d.evalEvery(), 1, 1_000_000));
  }

  @Override
  public String execute(Context c, Listener listener) {
    DetrTraining t = settings(c.job().seed(), c.block());
    String name = c.job().model() + (c.job().suffix() == null ? "" : "-" + c.job().suffix());
    Device device = "gpu".equalsIgnoreCase(c.props().device()) ? Device.gpu() : Device.cpu();
    Path target = c.modelStore().resolve(name);
    Path tmp;
    try {
      Files.createDirectories(c.modelStore());
      tmp = Files.createTempDirectory(c.modelStore(), "." + name + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Resume resume = c.resume();
    if (resume == null) {
      listener.event("message", String.format(Locale.ROOT, "Training DETR on %d generated images (seed %d) for %d steps;"
          + " held-out mAP@0.5 on %d images", t.trainSize(), t.seed(), t.totalSteps(), t.heldOutSize()), null);
    } else {
      listener.event("message", "Resumed from the checkpoint at step " + resume.step(), null);
    }
    DetrTraining.Outcome outcome = t.run(DetrConfig.small(ShapesDataset.LABELS), device, tmp,
        resume == null ? null : resume.dir(), resume == null ? 0 : resume.step(), new DetrTraining.Listener() {
          private final Map<String, Object> lastLoss = new LinkedHashMap<>();

          @Override
          public void beforeStep(int step) {
            listener.checkStop();
          }

          @Override
          public void step(DetrTrainer.StepStats s, int total, double secondsPerStep) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", (int) s.step());
            m.put("total_steps", total);
            m.put("train_loss", s.loss());
            m.put("class_loss", s.classLoss());
            m.put("l1_loss", s.l1());
            m.put("giou_loss", s.giou());
            m.put("learning_rate", s.lr());
            m.put("grad_norm", s.gradNorm());
            m.put("images_per_second", t.batchSize() / Math.max(secondsPerStep, 1e-9));
            m.put("eta_seconds", Math.round(secondsPerStep * (total - s.step())));
            lastLoss.clear();
            lastLoss.put("train_loss", s.loss());
            listener.event("metrics", String.format(Locale.ROOT, "Step %d/%d: training loss=%.4f", s.step(), total, s.loss()), m);
            listener.progress((int) s.step(), total, s.step() * t.batchSize());
          }

          @Override
          public void evaluated(int step, MeanAp.Result r) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", step);
            m.put("total_steps", t.totalSteps());
            m.put("held_out_map50", r.map());
            for (int k = 0; k < r.perClass().length; k++) {
              if (!Double.isNaN(r.perClass()[k])) {
                m.put("ap50_" + ShapesDataset.LABELS.get(k), r.perClass()[k]);
              }
            }
            listener.event("metrics", String.format(Locale.ROOT, "Step %d: held-out mAP@0.5=%.4f", step, r.map()), m);
          }

          @Override
          public Path checkpointDir(int step) {
            return c.checkpointDir(step);
          }

          @Override
          public void checkpointed(int step, Path dir, double map) {
            Map<String, Object> m = new LinkedHashMap<>(lastLoss);
            m.put("held_out_map50", map);
            listener.checkpoint(step, dir, m);
          }
        });
    try {
      if (Files.exists(target)) {
        try (var walk = Files.walk(target)) {
          for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    listener.event("message", String.format(Locale.ROOT, "Wrote %s: held-out mAP@0.5=%.4f", name, outcome.map()),
        Map.of("held_out_map50", outcome.map(), "labels", List.copyOf(ShapesDataset.LABELS)));
    return name;
  }
}
