package dev.latent.training.defaultmodel;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./platform train default-model}: the platform's default chat model end to end through the
 * training-service's HTTP API (files, jobs, events). Pretrain on a generated corpus, SFT on
 * think-then-answer tasks, DPO on pairs sampled from the SFT model in process (ml-core engine);
 * held-out exact-match accuracy after each stage; the final model, recipe and RESULTS.md are
 * written to {@code --out}.
 *
 * <p>Arguments: {@code --url} (the training-service), {@code --store} (its model store, where the
 * initial random model is written and the results are read), {@code --work}, {@code --out}, and any
 * recipe key of {@link #DEFAULTS} as {@code --key value}.
 */
public final class DefaultModelPipeline {

  static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put("name", "latent-chat-2m");
    DEFAULTS.put("seed", "7");
    DEFAULTS.put("dim", "192");
    DEFAULTS.put("layers", "4");
    DEFAULTS.put("heads", "6");
    DEFAULTS.put("kv_heads", "3");
    DEFAULTS.put("hidden", "576");
    DEFAULTS.put("max_positions", "512");
    DEFAULTS.put("pretrain_docs", "2000");
    DEFAULTS.put("facts_per_doc", "4");
    DEFAULTS.put("pretrain_epochs", "1");
    DEFAULTS.put("pretrain_batch", "16");
    DEFAULTS.put("pretrain_lr", "0.002");
    DEFAULTS.put("sft_examples", "20000");
    DEFAULTS.put("sft_epochs", "1");
    DEFAULTS.put("sft_batch", "32");
    DEFAULTS.put("sft_lr", "0.001");
    // the pretrain and SFT jobs' layer_chunk_rows: whole batches (16x512, 32 short tasks) in one
    // chunk; the trainer's 256 costs this small model 30-70% more CPU per step (docs/training.md)
    DEFAULTS.put("layer_chunk_rows", "16384");
    DEFAULTS.put("dpo_prompts", "1000");
    DEFAULTS.put("dpo_samples", "4");
    DEFAULTS.put("dpo_temperature", "0.8");
    DEFAULTS.put("dpo_epochs", "2");
    DEFAULTS.put("dpo_batch", "8");
    DEFAULTS.put("dpo_lr", "0.00003");
    DEFAULTS.put("dpo_beta", "0.1");
    DEFAULTS.put("dpo_warmup", "10");
    // cosine | linear | constant
    DEFAULTS.put("dpo_scheduler", "cosine");
    // fresh: a new AdamW; sft: the SFT job's optimizer moments and step count (optimizer_state_from)
    DEFAULTS.put("dpo_optimizer", "fresh");
    // weight of the chosen responses' NLL per token added to the DPO loss (the job's rpo_alpha)
    DEFAULTS.put("dpo_rpo_alpha", "10");
    // true: a prompt with no correct sample pairs the worked solution (off-policy) with a wrong one
    DEFAULTS.put("dpo_worked_chosen", "false");
    // sampled: wrong samples are the rejected responses; greedy: the greedy completion when wrong
    DEFAULTS.put("dpo_rejected", "sampled");
    // true: a rejected response ends after its first token that differs from the chosen one
    DEFAULTS.put("dpo_cut_rejected", "false");
    // answer: a chosen sample needs the right answer; worked: its reasoning must be the worked one too
    DEFAULTS.put("dpo_chosen", "answer");
    DEFAULTS.put("eval_tasks", "500");
    DEFAULTS.put("max_tokens", "40");
    DEFAULTS.put("eval_batch", "128");
    // Restart at a later stage with a model already in the store (e.g. after a failed DPO job).
    DEFAULTS.put("resume_pretrained", "");
    DEFAULTS.put("resume_sft", "");
  }

  private final JobsClient client;
  private final Path store;
  private final Path work;
  private final Path out;
  private final Map<String, String> recipe;
  private final List<String> log = new ArrayList<>();

  DefaultModelPipeline(String url, Path store, Path work, Path out, Map<String, String> recipe) {
    this.client = new JobsClient(url, this::say);
    this.store = store;
    this.work = work;
    this.out = out;
    this.recipe = recipe;
  }

  /** How often a running job is polled (tests poll fast). */
  DefaultModelPipeline pollEvery(long millis) {
    client.pollEvery(millis);
    return this;
  }

  JobsClient client() {
    return client;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>(DEFAULTS);
    String url = "http://127.0.0.1:8083";
    Path store = null;
    Path work = Path.of("target/default-model");
    Path out = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String key = args[i].replaceFirst("^--", "").replace('-', '_');
      String value = args[i + 1];
      switch (key) {
        case "url" -> url = value;
        case "store" -> store = Path.of(value);
        case "work" -> work = Path.of(value);
        case "out" -> out = Path.of(value);
        default -> {
          if (!DEFAULTS.containsKey(key)) {
            throw new IllegalArgumentException("unknown option --" + key + "; known: url, store, work, out, " + DEFAULTS.keySet());
          }
          opts.put(key, value);
        }
      }
    }
    if (store == null || out == null) {
      throw new IllegalArgumentException("--store and --out are required");
    }
    new DefaultModelPipeline(url, store, work, out, opts).run();
  }

  private int i(String key) {
    return Integer.parseInt(recipe.get(key));
  }

  private double d(String key) {
    return Double.parseDouble(recipe.get(key));
  }

  private void say(String line) {
    String stamped = Instant.now().toString().substring(11, 19) + " " + line;
    System.out.println(stamped);
    log.add(stamped);
  }

  void run() throws Exception {
    long began = System.nanoTime();
    String loadAtStart = ResultsReport.loadAverage();
    Files.createDirectories(work);
    long seed = Long.parseLong(recipe.get("seed"));
    String name = recipe.get("name");
    say("recipe " + recipe);

    // Data: training tasks, and held-out tasks whose prompts never occur in training.
    StageData data = StageData.generate(seed, i("pretrain_docs"), i("facts_per_doc"), i("sft_examples"),
        i("dpo_prompts"), i("eval_tasks"));
    List<Tasks.Task> heldOut = data.heldOut();
    Path pretrainFile = data.writePretrain(work.resolve("pretrain.jsonl"), i("facts_per_doc"));
    Path sftFile = StageData.writeChat(work.resolve("sft.jsonl"), data.sft());
    Path sftValid = StageData.writeChat(work.resolve("sft-valid.jsonl"), Tasks.generate(seed * 31 + 5, 100));
    say("data: " + i("pretrain_docs") + " pretraining documents, " + data.sft().size() + " SFT tasks, "
        + heldOut.size() + " held-out tasks");

    // Stage 0: the initial random model in the store (the service has no API for a new base model).
    String init = name + "-init";
    ModelFiles.writeInitial(store.resolve(init), ModelFiles.config(i("dim"), i("layers"), i("heads"),
        i("kv_heads"), i("hidden"), i("max_positions")), seed);
    Map<String, Evaluator.Accuracy> results = new LinkedHashMap<>();
    Map<String, Double> seconds = new LinkedHashMap<>();

    // Stage 1: pretrain.
    long t0 = System.nanoTime();
    String pretrained = recipe.get("resume_pretrained");
    if (pretrained.isEmpty()) {
      pretrained = client.job(init, client.upload(pretrainFile), null, "pretrain", chunked(hp(i("pretrain_epochs"),
          i("pretrain_batch"), d("pretrain_lr"), null)), seed, "pt").model();
      seconds.put("pretrain", secs(t0));
    }
    results.put("pretrain", evaluate(pretrained, heldOut));

    // Stage 2: SFT.
    t0 = System.nanoTime();
    String sftModel = recipe.get("resume_sft");
    String sftJob;
    if (sftModel.isEmpty()) {
      JobsClient.Finished sft = client.job(pretrained, client.upload(sftFile), client.upload(sftValid), "supervised",
          chunked(hp(i("sft_epochs"), i("sft_batch"), d("sft_lr"), null)), seed, "sft");
      sftModel = sft.model();
      sftJob = sft.id();
      seconds.put("sft", secs(t0));
    } else {
      sftJob = client.jobThatMade(sftModel);
    }
    results.put("sft", evaluate(sftModel, heldOut));

    // Stage 3: DPO on the SFT model's own samples.
    t0 = System.nanoTime();
    Path dpoFile = work.resolve("dpo.jsonl");
    int pairs = PairSampler.write(store.resolve(sftModel), data.dpoPrompts(), dpoFile, seed, recipe, this::say);
    seconds.put("dpo sampling", secs(t0));
    t0 = System.nanoTime();
    String dpoModel = client.job(sftModel, client.upload(dpoFile), null, "dpo", dpoHyperparameters(sftJob), seed, "dpo")
        .model();
    seconds.put("dpo", secs(t0));
    results.put("dpo", evaluate(dpoModel, heldOut));

    // The committed model: weights, config, tokenizer of the DPO model.
    copyModel(store.resolve(dpoModel), out);
    seconds.put("total", secs(began));
    new ResultsReport(recipe, results, seconds, pairs, heldOut.size(), data.sft().size(), dpoModel, loadAtStart,
        ResultsReport.loadAverage(), log).write(out);
    say("wrote " + out);
  }

  /**
   * The DPO job's hyperparameters: {@code dpo_warmup} steps, {@code dpo_scheduler}, and with
   * {@code dpo_optimizer} sft the SFT job's optimizer moments and step count instead of a fresh AdamW.
   */
  JsonObject dpoHyperparameters(String sftJob) {
    JsonObject h = hp(i("dpo_epochs"), i("dpo_batch"), d("dpo_lr"), d("dpo_beta"));
    h.addProperty("warmup_steps", i("dpo_warmup"));
    h.addProperty("lr_scheduler", recipe.get("dpo_scheduler"));
    h.addProperty("rpo_alpha", d("dpo_rpo_alpha"));
    switch (recipe.get("dpo_optimizer")) {
      case "sft" -> h.addProperty("optimizer_state_from", sftJob);
      case "fresh" -> { }
      default -> throw new IllegalArgumentException("dpo_optimizer must be fresh or sft, not " + recipe.get("dpo_optimizer"));
    }
    return h;
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private Evaluator.Accuracy evaluate(String model, List<Tasks.Task> tasks) {
    long t0 = System.nanoTime();
    try (Evaluator e = new Evaluator(store.resolve(model), i("max_tokens"))) {
      Evaluator.Accuracy a = e.accuracy(tasks, i("eval_batch"));
      List<String> sample = e.complete(List.of(tasks.get(0).prompt(), tasks.get(1).prompt()), 0, null, 2);
      say(String.format(Locale.ROOT, "eval %s: %d/%d = %.1f%% (%.0f s); e.g. %s -> %s", model, a.correct(),
          a.total(), 100 * a.value(), secs(t0), tasks.get(0).prompt(), sample.get(0)));
      return a;
    }
  }

  /** {@code h} with the recipe's {@code layer_chunk_rows} (pretrain and SFT: the layers' activation recomputation). */
  private JsonObject chunked(JsonObject h) {
    h.addProperty("layer_chunk_rows", i("layer_chunk_rows"));
    return h;
  }

  static JsonObject hp(int epochs, int batch, double lr, Double beta) {
    JsonObject h = new JsonObject();
    h.addProperty("n_epochs", epochs);
    h.addProperty("batch_size", batch);
    h.addProperty("learning_rate", lr);
    h.addProperty("warmup_steps", 10);
    h.addProperty("lr_scheduler", "cosine");
    h.addProperty("weight_decay", 0.01);
    h.addProperty("optimizer", "adamw");
    h.addProperty("max_grad_norm", 1.0);
    if (beta != null) {
      h.addProperty("beta", beta);
    }
    return h;
  }

  private static void copyModel(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (String f : ResultsReport.MODEL_FILES) {
      Files.copy(from.resolve(f), to.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
