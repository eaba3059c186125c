package dev.latent.training.defaultmodel;

import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.sampling.SampledToken;
import dev.latent.ml.llm.sampling.Sampler;
import dev.latent.ml.llm.sampling.SamplingParams;
import dev.latent.ml.text.ChatMessage;
import dev.latent.ml.text.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Generates with the ml-core engine in process (chat template → prefill → batched decode with the
 * engine's sampler) and scores exact-match accuracy of the answers on held-out tasks.
 */
public final class Evaluator implements AutoCloseable {

  /** Correct answers, in all and per task family, and which tasks were answered right (for paired tests). */
  public record Accuracy(int correct, int total, Map<Tasks.Kind, int[]> perKind, boolean[] outcomes) {
    public double value() {
      return total == 0 ? 0 : (double) correct / total;
    }
  }

  private final Transformer model;
  private final Tokenizer tokenizer;
  private final int maxTokens;

  public Evaluator(Path modelDir, int maxTokens) {
    this.tokenizer = Tokenizer.load(modelDir);
    this.model = Transformer.load(modelDir, ModelOptions.cpu());
    this.maxTokens = maxTokens;
  }

  public int[] promptIds(String userPrompt) {
    String text = tokenizer.chatTemplate().orElseThrow()
        .render(List.of(new ChatMessage("user", userPrompt)), true);
    return tokenizer.encode(text);
  }

  /**
   * Completions of the prompts (the text the model wrote, special tokens dropped), {@code batch}
   * sequences per decode step; {@code seed} null = greedy, else sampling at {@code temperature}
   * with seed {@code seed + index}.
   */
  public List<String> complete(List<String> prompts, double temperature, Long seed, int batch) {
    List<String> out = new ArrayList<>();
    for (int from = 0; from < prompts.size(); from += batch) {
      List<String> part = prompts.subList(from, Math.min(prompts.size(), from + batch));
      out.addAll(completeBatch(part, temperature, seed == null ? null : seed + from));
    }
    return out;
  }

  private List<String> completeBatch(List<String> prompts, double temperature, Long seed) {
    int n = prompts.size();
    int[][] ids = new int[n][];
    int longest = 0;
    for (int i = 0; i < n; i++) {
      ids[i] = promptIds(prompts.get(i));
      longest = Math.max(longest, ids[i].length);
    }
    int blockSize = 16;
    int blocksPer = (longest + maxTokens + blockSize) / blockSize + 1;
    try (PagedKvCache cache = model.newKvCache(blocksPer * n, blockSize)) {
      List<KvSequence> seqs = new ArrayList<>();
      List<Sampler> samplers = new ArrayList<>();
      List<List<Integer>> generated = new ArrayList<>();
      int[] next = new int[n];
      boolean[] done = new boolean[n];
      for (int i = 0; i < n; i++) {
        KvSequence seq = cache.newSequence();
        seqs.add(seq);
        SamplingParams params = (seed == null ? SamplingParams.greedy() : SamplingParams.sample(temperature, seed + i))
            .withStopTokenIds(tokenizer.stopTokenIds());
        Sampler sampler = new Sampler(params, ids[i]);
        samplers.add(sampler);
        generated.add(new ArrayList<>());
        SampledToken t = sampler.next(model.prefill(seq, ids[i]));
        next[i] = t.id();
        done[i] = t.stop();
        if (!t.stop()) {
          generated.get(i).add(t.id());
        }
      }
      for (int step = 1; step < maxTokens; step++) {
        List<KvSequence> live = new ArrayList<>();
        List<Integer> which = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          if (!done[i]) {
            live.add(seqs.get(i));
            which.add(i);
          }
        }
        if (live.isEmpty()) {
          break;
        }
        int[] tokens = which.stream().mapToInt(i -> next[i]).toArray();
        float[][] logits = model.decode(live, tokens);
        for (int k = 0; k < which.size(); k++) {
          int i = which.get(k);
          SampledToken t = samplers.get(i).next(logits[k]);
          next[i] = t.id();
          if (t.stop()) {
            done[i] = true;
          } else {
            generated.get(i).add(t.id());
          }
        }
      }
      List<String> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        out.add(tokenizer.decode(generated.get(i), true));
      }
      return out;
    }
  }

  /** Greedy exact-match accuracy on the tasks. */
  public Accuracy accuracy(List<Tasks.Task> tasks, int batch) {
    List<String> completions = complete(tasks.stream().map(Tasks.Task::prompt).toList(), 0, null, batch);
    return score(tasks, completions);
  }

  public static Accuracy score(List<Tasks.Task> tasks, List<String> completions) {
    Map<Tasks.Kind, int[]> perKind = new EnumMap<>(Tasks.Kind.class);
    int correct = 0;
    boolean[] outcomes = new boolean[tasks.size()];
    for (int i = 0; i < tasks.size(); i++) {
      boolean ok = Tasks.correct(tasks.get(i), completions.get(i));
      outcomes[i] = ok;
      int[] c = perKind.computeIfAbsent(tasks.get(i).kind(), k -> new int[2]);
      c[1]++;
      if (ok) {
        c[0]++;
        correct++;
      }
    }
    return new Accuracy(correct, tasks.size(), perKind, outcomes);
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
  }
}
