package dev.latent.training.defaultmodel;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The DPO stage's data: {@code dpo_samples} completions per prompt sampled from the SFT model in
 * process (and the greedy one when {@code dpo_rejected} is greedy), turned into
 * {@link PreferencePairs} and written as DPO JSONL.
 */
final class PairSampler {

  private PairSampler() {}

  /** Writes the pairs to {@code file} and returns how many there are. */
  static int write(Path modelDir, List<Tasks.Task> tasks, Path file, long seed, Map<String, String> recipe,
      Consumer<String> say) throws IOException {
    int k = Integer.parseInt(recipe.get("dpo_samples"));
    int batch = Integer.parseInt(recipe.get("eval_batch"));
    PreferencePairs.Rejected mode = PreferencePairs.Rejected.of(recipe.get("dpo_rejected"));
    List<String> prompts = new ArrayList<>();
    for (Tasks.Task t : tasks) {
      for (int j = 0; j < k; j++) {
        prompts.add(t.prompt());
      }
    }
    List<String> completions;
    List<String> greedy = null;
    try (Evaluator e = new Evaluator(modelDir, Integer.parseInt(recipe.get("max_tokens")))) {
      completions = e.complete(prompts, Double.parseDouble(recipe.get("dpo_temperature")), seed * 1000 + 17, batch);
      if (mode == PreferencePairs.Rejected.GREEDY) {
        greedy = e.complete(tasks.stream().map(Tasks.Task::prompt).toList(), 0, null, batch);
      }
    }
    List<List<String>> samples = new ArrayList<>();
    int right = 0;
    for (int t = 0; t < tasks.size(); t++) {
      samples.add(completions.subList(t * k, (t + 1) * k));
      Tasks.Task task = tasks.get(t);
      right += (int) samples.getLast().stream().filter(c -> Tasks.correct(task, c)).count();
    }
    List<PreferencePairs.Pair> pairs = PreferencePairs.select(tasks, samples, greedy, mode,
        Boolean.parseBoolean(recipe.get("dpo_worked_chosen")), Boolean.parseBoolean(recipe.get("dpo_cut_rejected")),
        "worked".equals(recipe.get("dpo_chosen")));
    StringBuilder sb = new StringBuilder();
    for (PreferencePairs.Pair p : pairs) {
      JsonObject o = new JsonObject();
      o.addProperty("prompt", p.prompt());
      o.addProperty("chosen", p.chosen());
      o.addProperty("rejected", p.rejected());
      sb.append(o).append('\n');
    }
    Files.writeString(file, sb);
    String greedyRight = greedy == null ? "" : String.format(Locale.ROOT, ", greedy %.1f%% correct",
        100.0 * Evaluator.score(tasks, greedy).value());
    say.accept(String.format(Locale.ROOT, "dpo sampling: %d samples, %.1f%% correct%s, %d pairs (rejected: %s)",
        prompts.size(), 100.0 * right / prompts.size(), greedyRight, pairs.size(), recipe.get("dpo_rejected")));
    return pairs.size();
  }
}
