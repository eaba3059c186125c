package dev.latent.training.defaultmodel;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * {@code RESULTS.md} and {@code recipe.json} of a default-model run: the accuracy per stage and task
 * family, whether each stage beat the previous one, the command that reproduces the run, the stage
 * times and load average, the sha256 of the model files, the recipe and the log.
 */
record ResultsReport(Map<String, String> recipe, Map<String, Evaluator.Accuracy> results, Map<String, Double> seconds,
    int pairs, int heldOut, int sftExamples, String finalModel, String loadAtStart, String loadAtEnd, List<String> log) {

  static final List<String> MODEL_FILES = List.of("config.json", "model.safetensors", "tokenizer.json",
      "tokenizer_config.json");

  /** The command with every recipe key that differs from {@link DefaultModelPipeline#DEFAULTS}. */
  String command() {
    StringBuilder c = new StringBuilder("./platform train default-model");
    recipe.forEach((k, v) -> {
      if (!Objects.equals(DefaultModelPipeline.DEFAULTS.get(k), v)) {
        c.append(" --").append(k).append(' ').append(v);
      }
    });
    return c.toString();
  }

  /**
   * "sft 58 > pretrain 0: yes (+58 −0, p = 6.9e-18); dpo 57 > sft 58: NO (+3 −4, p = 1.00)" — the recipe
   * asks each stage to beat the previous one; the paired test ({@link McNemar}) says whether the
   * difference is more than chance.
   */
  String stageRule() {
    StringBuilder s = new StringBuilder();
    Evaluator.Accuracy previous = null;
    String previousStage = null;
    for (Map.Entry<String, Evaluator.Accuracy> e : results.entrySet()) {
      if (previous != null) {
        int now = e.getValue().correct();
        int before = previous.correct();
        s.append(s.isEmpty() ? "" : "; ").append(String.format(Locale.ROOT, "%s %d > %s %d: %s (%s)", e.getKey(), now,
            previousStage, before, now > before ? "yes" : now == before ? "equal" : "NO",
            McNemar.of(previous.outcomes(), e.getValue().outcomes())));
      }
      previous = e.getValue();
      previousStage = e.getKey();
    }
    return s.toString();
  }

  void write(Path out) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# ").append(recipe.get("name")).append(": results\n\n");
    md.append("Written by `./platform train default-model` (").append(Instant.now().toString(), 0, 16)
        .append(" UTC). Held-out exact match: ").append(heldOut)
        .append(" generated tasks whose prompts occur in no training file, greedy decoding, the answer is the text after `</think>`.\n\n");
    md.append("| stage | accuracy | add | compare | count | sort | reverse |\n|---|---|---|---|---|---|---|\n");
    results.forEach((stage, a) -> {
      md.append("| ").append(stage).append(" | ").append(String.format(Locale.ROOT, "%.1f%% (%d/%d)", 100 * a.value(),
          a.correct(), a.total()));
      for (Tasks.Kind k : Tasks.Kind.values()) {
        int[] c = a.perKind().getOrDefault(k, new int[2]);
        md.append(" | ").append(c[0]).append('/').append(c[1]);
      }
      md.append(" |\n");
    });
    md.append("\nEach stage beats the previous (correct answers; in brackets the paired McNemar test on the same tasks: ")
        .append("tasks gained, tasks lost, two-sided p): ").append(stageRule()).append(".\n");
    md.append("\nDPO pairs sampled from the SFT model: ").append(pairs).append(". SFT examples: ").append(sftExamples)
        .append(".\n\nCommand: `").append(command()).append("`\n\nLoad average (1, 5, 15 min) at start: ")
        .append(loadAtStart).append("; at end: ").append(loadAtEnd)
        .append(".\n\n| step | seconds |\n|---|---|\n");
    seconds.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(String.format(Locale.ROOT, "%.0f", v)).append(" |\n"));
    md.append("\nFinal model: `").append(finalModel).append("` (copied here).\n\n| file | sha256 |\n|---|---|\n");
    for (String f : MODEL_FILES) {
      md.append("| ").append(f).append(" | `").append(sha256(out.resolve(f))).append("` |\n");
    }
    md.append("\n## Recipe\n\n```\n");
    recipe.forEach((k, v) -> md.append(k).append(" = ").append(v).append('\n'));
    md.append("```\n\n## Log\n\n```\n");
    log.forEach(l -> md.append(l).append('\n'));
    md.append("```\n");
    Files.writeString(out.resolve("RESULTS.md"), md);
    JsonObject r = new JsonObject();
    recipe.forEach(r::addProperty);
    Files.writeString(out.resolve("recipe.json"), new GsonBuilder().setPrettyPrinting().create().toJson(r) + "\n");
  }

  static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        d.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code /proc/loadavg}'s first three fields, or "n/a" off Linux. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }
}
