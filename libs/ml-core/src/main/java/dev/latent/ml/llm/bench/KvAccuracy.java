package dev.latent.ml.llm.bench;

import static dev.latent.ml.llm.sampling.Sampler.argmax;

import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.cache.KvFormat;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.text.ChatMessage;
import dev.latent.ml.text.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code --mode kv-accuracy}: what a 16-bit KV cache costs in accuracy against an f32 cache of the
 * same f32 model. On random weights of a shape: both caches are fed the same tokens (the f32
 * run's greedy ones) and the logits compared step by step. With {@code --model DIR} (e.g. the
 * committed models/latent-chat-2m): greedy generation from a few chat prompts with each cache,
 * compared token by token.
 */
final class KvAccuracy {

  static final List<String> PROMPTS = List.of("What is 27+58?", "Which is larger: 413 or 431?",
      "How many r in strawberry?", "Sort: 9 4 7 1 8", "Reverse: kitchen", "What is 6+95?");

  private KvAccuracy() {}

  static void run(Map<String, String> o) {
    DataType kv = KvFormat.parse(o.getOrDefault("kv-dtype", "bf16")).dataType();
    int tokens = Integer.parseInt(o.getOrDefault("tokens", "32"));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("bench", "kv-accuracy");
    out.put("kv_dtype", KvFormat.of(kv).name().toLowerCase(Locale.ROOT));
    String dir = o.get("model");
    if (dir != null) {
      out.put("model", dir);
      try (Transformer model = Transformer.load(Path.of(dir), ModelOptions.cpu());
          Tokenizer tokenizer = Tokenizer.load(Path.of(dir))) {
        greedyAgreement(model, tokenizer, kv, tokens, out);
      }
    } else {
      String shape = o.getOrDefault("shape", "110m");
      int prompt = Integer.parseInt(o.getOrDefault("prompt", "256"));
      out.put("shape", shape);
      out.put("prompt", prompt);
      try (Transformer model = Transformer.random(EngineBench.config(shape, o.getOrDefault("attention", "mha")), 1,
          ModelOptions.cpu())) {
        logitDiff(model, kv, prompt, tokens, new SplittableRandom(42), out);
      }
    }
    System.out.println(EngineBench.json(out));
  }

  /** Same tokens into both caches; the largest |logit difference| over the prompt's last and each step's. */
  private static void logitDiff(Transformer model, DataType kv, int prompt, int steps, SplittableRandom random,
      Map<String, Object> out) {
    int vocab = model.config().vocabSize();
    int[] ids = new int[prompt];
    for (int i = 0; i < prompt; i++) {
      ids[i] = random.nextInt(vocab);
    }
    int blocks = (prompt + steps + 16) / 16 + 1;
    try (PagedKvCache full = model.newKvCache(blocks, 16, DataType.FLOAT32);
        PagedKvCache half = model.newKvCache(blocks, 16, kv)) {
      KvSequence a = full.newSequence();
      KvSequence b = half.newSequence();
      full.reserve(a, prompt + steps);
      half.reserve(b, prompt + steps);
      float[] la = model.prefill(a, ids);
      float[] lb = model.prefill(b, ids);
      double worst = 0;
      double sumWorst = 0;
      double range = 0;
      int sameArgmax = 0;
      for (int s = 0; s <= steps; s++) {
        double stepWorst = 0;
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int i = 0; i < vocab; i++) {
          stepWorst = Math.max(stepWorst, Math.abs(la[i] - lb[i]));
          min = Math.min(min, la[i]);
          max = Math.max(max, la[i]);
        }
        worst = Math.max(worst, stepWorst);
        sumWorst += stepWorst;
        range = Math.max(range, max - min);
        int next = argmax(la);
        sameArgmax += next == argmax(lb) ? 1 : 0;
        if (s < steps) {
          la = model.decode(List.of(a), new int[] {next})[0];
          lb = model.decode(List.of(b), new int[] {next})[0];
        }
      }
      out.put("steps", steps + 1);
      out.put("max_abs_logit_diff", EngineBench.round6(worst));
      out.put("mean_step_max_abs_logit_diff", EngineBench.round6(sumWorst / (steps + 1)));
      out.put("f32_logit_range", EngineBench.round6(range));
      out.put("same_argmax_steps", sameArgmax);
    }
  }

  /** Greedy generation with each cache; tokens that agree position by position, and prompts whose outputs are identical. */
  private static void greedyAgreement(Transformer model, Tokenizer tokenizer, DataType kv, int maxTokens,
      Map<String, Object> out) {
    int agree = 0;
    int total = 0;
    int identical = 0;
    List<String> diverged = new ArrayList<>();
    for (String p : PROMPTS) {
      String text = tokenizer.chatTemplate().orElseThrow()
          .render(List.of(new ChatMessage("user", p)), true);
      int[] ids = tokenizer.encode(text);
      List<Integer> full = generate(model, ids, DataType.FLOAT32, maxTokens, tokenizer);
      List<Integer> half = generate(model, ids, kv, maxTokens, tokenizer);
      int n = Math.max(full.size(), half.size());
      for (int i = 0; i < n; i++) {
        agree += i < full.size() && i < half.size() && full.get(i).equals(half.get(i)) ? 1 : 0;
      }
      total += n;
      if (full.equals(half)) {
        identical++;
      } else {
        diverged.add(p);
      }
    }
    out.put("prompts", PROMPTS.size());
    out.put("identical_outputs", identical);
    out.put("greedy_token_agreement", EngineBench.round6((double) agree / total));
    out.put("generated_tokens", total);
    out.put("diverged", String.join(" | ", diverged));
  }

  private static List<Integer> generate(Transformer model, int[] prompt, DataType kv, int maxTokens,
      Tokenizer tokenizer) {
    List<Integer> out = new ArrayList<>();
    try (PagedKvCache cache = model.newKvCache((prompt.length + maxTokens) / 16 + 2, 16, kv)) {
      KvSequence seq = cache.newSequence();
      cache.reserve(seq, prompt.length + maxTokens);
      int next = argmax(model.prefill(seq, prompt));
      while (out.size() < maxTokens) {
        out.add(next);
        if (tokenizer.stopTokenIds().contains(next) || out.size() == maxTokens) {
          break;
        }
        next = argmax(model.decode(List.of(seq), new int[] {next})[0]);
      }
    }
    return out;
  }

}
