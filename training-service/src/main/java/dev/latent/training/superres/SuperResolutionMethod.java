package dev.latent.training.superres;

import ai.djl.ndarray.NDManager;
import dev.latent.ml.vision.sr.EspcnTraining;
import dev.latent.support.problem.ProblemException;
import dev.latent.training.jobs.Hyperparameters;
import dev.latent.training.jobs.TrainingMethod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code method.type: super_resolution}, {@code model: espcn}: trains the platform's ESPCN at one
 * scale ({@link EspcnTraining}: random patches of box-downscaled images, MSE, Adam) and installs it
 * as {@code $LATENT_HOME/models/vision/espcn-x<scale>/}, where the vision service's
 * {@code method: espcn} finds it. Hyperparameters ({@code method.super_resolution.hyperparameters}):
 * {@code scale} (2, 3, 4; default 2), {@code n_steps} (default 1000), {@code patterns} (rendered
 * text/shape images added to the training set, default 4), {@code train_images} and
 * {@code held_out_images} (lists of image files or directories on the service's machine; default
 * none: patterns only, no held-out score). {@code training_file} is not used. Progress: a metrics
 * event every 50 steps; the result event carries the held-out PSNR next to bicubic's.
 */
@Component
public class SuperResolutionMethod implements TrainingMethod {

  static final Set<String> KEYS = Set.of("scale", "n_steps", "patterns", "train_images", "held_out_images");

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Override
  public String type() {
    return "super_resolution";
  }

  @Override
  public void validate(@Nullable String model, @Nullable String trainingFile, Map<String, Object> block) {
    if (!"espcn".equals(model)) {
      throw ProblemException.invalidParameter("model", "super_resolution trains model espcn");
    }
    if (trainingFile != null) {
      throw ProblemException.invalidParameter("training_file",
          "super_resolution reads images from hyperparameters.train_images; give no training_file");
    }
    recipe(0, block);
  }

  static EspcnTraining.Recipe recipe(long seed, Map<String, Object> block) {
    Hyperparameters h = Hyperparameters.of("super_resolution", block, KEYS);
    int scale = h.integer("scale", 2, 2, 4);
    int steps = h.integer("n_steps", 1000, 1, 1_000_000);
    int patterns = h.integer("patterns", 4, 0, 10_000);
    List<Path> train = h.paths("train_images");
    if (train.isEmpty() && patterns == 0) {
      throw ProblemException.invalidParameter("hyperparameters.patterns",
          "with no train_images, patterns must be at least 1");
    }
    return new EspcnTraining.Recipe(train, h.paths("held_out_images"), List.of(scale), steps, patterns, 512, seed);
  }

  @Override
  public String execute(Context c, Listener listener) {
    EspcnTraining.Recipe recipe = recipe(c.job().seed(), c.block());
    int scale = recipe.scales().getFirst();
    listener.event("message", String.format(Locale.ROOT,
        "Training ESPCN x%d for %d steps on %s plus %d rendered patterns", scale, recipe.steps(),
        recipe.train(), recipe.patterns()), null);
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      List<String> results = EspcnTraining.run(recipe, c.modelStore(), manager, line -> {
        Map<String, Object> data = parse(line);
        if ("step".equals(data.get("event"))) {
          int step = ((Number) data.get("step")).intValue();
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("step", step);
          m.put("total_steps", recipe.steps());
          m.put("train_loss", data.get("loss"));
          m.put("learning_rate", data.get("lr"));
          listener.event("metrics", String.format(Locale.ROOT, "Step %d/%d: training loss=%.5f", step,
              recipe.steps(), ((Number) data.get("loss")).doubleValue()), m);
          listener.progress(step, recipe.steps(), 0);
        }
      }, () -> {
        listener.checkStop();
        return false;
      });
      Map<String, Object> done = parse(results.getFirst());
      listener.event("message", String.format(Locale.ROOT, "Wrote vision/espcn-x%d: held-out PSNR %s dB (bicubic %s)",
          scale, done.get("held_out_psnr"), done.get("held_out_psnr_bicubic")), done);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "espcn-x" + scale;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(String json) {
    return JSON.readValue(json, LinkedHashMap.class);
  }
}
