package dev.latent.training.defaultmodel;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

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
    DEFAULTS.put("name", "latent-chat-1m");
    DEFAULTS.put("seed", "7");
    DEFAULTS.put("dim", "128");
    DEFAULTS.put("layers", "3");
    DEFAULTS.put("heads", "4");
    DEFAULTS.put("kv_heads", "2");
    DEFAULTS.put("hidden", "384");
    DEFAULTS.put("max_positions", "512");
    DEFAULTS.put("pretrain_docs", "2000");
    DEFAULTS.put("facts_per_doc", "4");
    DEFAULTS.put("pretrain_epochs", "1");
    DEFAULTS.put("pretrain_batch", "16");
    DEFAULTS.put("pretrain_lr", "0.002");
    DEFAULTS.put("sft_examples", "5000");
    DEFAULTS.put("sft_epochs", "1");
    DEFAULTS.put("sft_batch", "32");
    DEFAULTS.put("sft_lr", "0.001");
    DEFAULTS.put("dpo_prompts", "250");
    DEFAULTS.put("dpo_samples", "4");
    DEFAULTS.put("dpo_temperature", "0.8");
    DEFAULTS.put("dpo_epochs", "2");
    DEFAULTS.put("dpo_batch", "8");
    DEFAULTS.put("dpo_lr", "0.00005");
    DEFAULTS.put("dpo_beta", "0.1");
    // weight of the chosen responses' NLL per token added to the DPO loss (the job's rpo_alpha)
    DEFAULTS.put("dpo_rpo_alpha", "0");
    // true: a prompt with no correct sample pairs the worked solution (off-policy) with a wrong one
    DEFAULTS.put("dpo_worked_chosen", "false");
    // sampled: wrong samples are the rejected responses; greedy: the greedy completion when wrong
    DEFAULTS.put("dpo_rejected", "sampled");
    // true: a rejected response ends after its first token that differs from the chosen one
    DEFAULTS.put("dpo_cut_rejected", "false");
    // answer: a chosen sample needs the right answer; worked: its reasoning must be the worked one too
    DEFAULTS.put("dpo_chosen", "answer");
    DEFAULTS.put("eval_tasks", "150");
    DEFAULTS.put("max_tokens", "40");
    DEFAULTS.put("eval_batch", "128");
    // Restart at a later stage with a model already in the store (e.g. after a failed DPO job).
    DEFAULTS.put("resume_pretrained", "");
    DEFAULTS.put("resume_sft", "");
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final Gson gson = new Gson();
  private final String url;
  private final Path store;
  private final Path work;
  private final Path out;
  private final Map<String, String> recipe;
  private final List<String> log = new ArrayList<>();
  private long pollMillis = 5000;

  DefaultModelPipeline(String url, Path store, Path work, Path out, Map<String, String> recipe) {
    this.url = url.replaceAll("/$", "");
    this.store = store;
    this.work = work;
    this.out = out;
    this.recipe = recipe;
  }

  /** How often a running job is polled (tests poll fast). */
  DefaultModelPipeline pollEvery(long millis) {
    this.pollMillis = millis;
    return this;
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
    List<Tasks.Task> sft = Tasks.generate(seed * 31 + 1, i("sft_examples"));
    List<Tasks.Task> pretrainFacts = Tasks.generate(seed * 31 + 2, i("pretrain_docs") * i("facts_per_doc"));
    List<Tasks.Task> dpoPrompts = Tasks.generate(seed * 31 + 3, i("dpo_prompts"));
    Set<String> seen = new HashSet<>();
    sft.forEach(t -> seen.add(t.prompt()));
    pretrainFacts.forEach(t -> seen.add(t.prompt()));
    dpoPrompts.forEach(t -> seen.add(t.prompt()));
    List<Tasks.Task> heldOut = new ArrayList<>();
    for (Tasks.Task t : Tasks.generate(seed * 31 + 4, i("eval_tasks") * 4)) {
      if (heldOut.size() < i("eval_tasks") && seen.add(t.prompt())) {
        heldOut.add(t);
      }
    }
    Path pretrainFile = work.resolve("pretrain.jsonl");
    StringBuilder sb = new StringBuilder();
    int per = i("facts_per_doc");
    for (int d = 0; d < i("pretrain_docs"); d++) {
      StringBuilder doc = new StringBuilder();
      for (int k = 0; k < per; k++) {
        doc.append(k == 0 ? "" : " ").append(pretrainFacts.get(d * per + k).fact());
      }
      sb.append(text(doc.toString())).append('\n');
    }
    Files.writeString(pretrainFile, sb);
    Path sftFile = work.resolve("sft.jsonl");
    Files.writeString(sftFile, chatLines(sft));
    Path sftValid = work.resolve("sft-valid.jsonl");
    Files.writeString(sftValid, chatLines(Tasks.generate(seed * 31 + 5, 100)));
    say("data: " + i("pretrain_docs") + " pretraining documents, " + sft.size() + " SFT tasks, "
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
      pretrained = job(init, upload(pretrainFile), null, "pretrain", hp(i("pretrain_epochs"),
          i("pretrain_batch"), d("pretrain_lr"), null), seed, "pt");
      seconds.put("pretrain", secs(t0));
    }
    results.put("pretrain", evaluate(pretrained, heldOut));

    // Stage 2: SFT.
    t0 = System.nanoTime();
    String sftModel = recipe.get("resume_sft");
    if (sftModel.isEmpty()) {
      sftModel = job(pretrained, upload(sftFile), upload(sftValid), "supervised",
          hp(i("sft_epochs"), i("sft_batch"), d("sft_lr"), null), seed, "sft");
      seconds.put("sft", secs(t0));
    }
    results.put("sft", evaluate(sftModel, heldOut));

    // Stage 3: DPO on the SFT model's own samples.
    t0 = System.nanoTime();
    Path dpoFile = work.resolve("dpo.jsonl");
    int pairs = samplePairs(sftModel, dpoPrompts, dpoFile, seed);
    seconds.put("dpo sampling", secs(t0));
    t0 = System.nanoTime();
    JsonObject dpoHp = hp(i("dpo_epochs"), i("dpo_batch"), d("dpo_lr"), d("dpo_beta"));
    dpoHp.addProperty("rpo_alpha", d("dpo_rpo_alpha"));
    String dpoModel = job(sftModel, upload(dpoFile), null, "dpo", dpoHp, seed, "dpo");
    seconds.put("dpo", secs(t0));
    results.put("dpo", evaluate(dpoModel, heldOut));

    // The committed model: weights, config, tokenizer of the DPO model (or the best stage).
    String finalModel = dpoModel;
    copyModel(store.resolve(finalModel), out);
    seconds.put("total", secs(began));
    new ResultsReport(recipe, results, seconds, pairs, heldOut.size(), sft.size(), finalModel, loadAtStart,
        ResultsReport.loadAverage(), log).write(out);
    say("wrote " + out);
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

  /**
   * Samples {@code dpo_samples} completions per prompt (and the greedy one when {@code dpo_rejected}
   * is greedy) and writes the {@link PreferencePairs} to {@code file}.
   */
  private int samplePairs(String model, List<Tasks.Task> tasks, Path file, long seed) throws IOException {
    int k = i("dpo_samples");
    PreferencePairs.Rejected mode = PreferencePairs.Rejected.of(recipe.get("dpo_rejected"));
    List<String> prompts = new ArrayList<>();
    for (Tasks.Task t : tasks) {
      for (int j = 0; j < k; j++) {
        prompts.add(t.prompt());
      }
    }
    List<String> completions;
    List<String> greedy = null;
    try (Evaluator e = new Evaluator(store.resolve(model), i("max_tokens"))) {
      completions = e.complete(prompts, d("dpo_temperature"), seed * 1000 + 17, i("eval_batch"));
      if (mode == PreferencePairs.Rejected.GREEDY) {
        greedy = e.complete(tasks.stream().map(Tasks.Task::prompt).toList(), 0, null, i("eval_batch"));
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
      sb.append(gson.toJson(o)).append('\n');
    }
    Files.writeString(file, sb);
    String greedyRight = greedy == null ? "" : String.format(Locale.ROOT, ", greedy %.1f%% correct",
        100.0 * Evaluator.score(tasks, greedy).value());
    say(String.format(Locale.ROOT, "dpo sampling: %d samples, %.1f%% correct%s, %d pairs (rejected: %s)",
        prompts.size(), 100.0 * right / prompts.size(), greedyRight, pairs.size(), recipe.get("dpo_rejected")));
    return pairs.size();
  }

  private static String text(String s) {
    JsonObject o = new JsonObject();
    o.addProperty("text", s);
    return o.toString();
  }

  private static String chatLines(List<Tasks.Task> tasks) {
    StringBuilder sb = new StringBuilder();
    for (Tasks.Task t : tasks) {
      JsonArray messages = new JsonArray();
      JsonObject user = new JsonObject();
      user.addProperty("role", "user");
      user.addProperty("content", t.prompt());
      JsonObject assistant = new JsonObject();
      assistant.addProperty("role", "assistant");
      assistant.addProperty("content", t.completion());
      messages.add(user);
      messages.add(assistant);
      JsonObject o = new JsonObject();
      o.add("messages", messages);
      sb.append(o).append('\n');
    }
    return sb.toString();
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

  String upload(Path file) throws IOException, InterruptedException {
    String boundary = "latent" + System.nanoTime();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
        + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + file.getFileName()
        + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(Files.readAllBytes(file));
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    JsonObject r = send(HttpRequest.newBuilder(URI.create(url + "/v1/files"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
    say("uploaded " + file.getFileName() + " as " + r.get("id").getAsString());
    return r.get("id").getAsString();
  }

  /** Creates a job, follows it until it finishes, returns {@code fine_tuned_model}. */
  String job(String model, String trainingFile, String validationFile, String type, JsonObject hp,
      long seed, String suffix) throws IOException, InterruptedException {
    JsonObject method = new JsonObject();
    method.addProperty("type", type);
    JsonObject inner = new JsonObject();
    inner.add("hyperparameters", hp);
    method.add(type, inner);
    JsonObject req = new JsonObject();
    req.addProperty("model", model);
    req.addProperty("training_file", trainingFile);
    if (validationFile != null) {
      req.addProperty("validation_file", validationFile);
    }
    req.addProperty("suffix", suffix);
    req.addProperty("seed", seed);
    req.add("method", method);
    JsonObject job = send(HttpRequest.newBuilder(URI.create(url + "/v1/fine_tuning/jobs"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(req.toString())).build());
    String id = job.get("id").getAsString();
    say(type + " job " + id + " on " + model + " " + hp);
    String last = "";
    while (true) {
      Thread.sleep(pollMillis);
      job = send(HttpRequest.newBuilder(URI.create(url + "/v1/fine_tuning/jobs/" + id)).GET().build());
      String status = job.get("status").getAsString();
      JsonObject events = send(HttpRequest.newBuilder(URI.create(url + "/v1/fine_tuning/jobs/" + id + "/events?limit=1"))
          .GET().build());
      JsonArray data = events.getAsJsonArray("data");
      if (!data.isEmpty()) {
        JsonObject e = data.get(0).getAsJsonObject();
        String line = e.get("message").getAsString()
            + (e.has("data") && !e.get("data").isJsonNull() ? " " + e.get("data") : "");
        if (!line.equals(last)) {
          say("  " + type + " " + status + ": " + line);
          last = line;
        }
      }
      switch (status) {
        case "succeeded" -> {
          String ft = job.get("fine_tuned_model").getAsString();
          say(type + " succeeded: " + ft + " (" + job.get("trained_tokens") + " tokens)");
          return ft;
        }
        case "failed", "cancelled" -> throw new IllegalStateException(type + " job " + id + " " + status + ": " + job.get("error"));
        default -> { }
      }
    }
  }

  private JsonObject send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(request.method() + " " + request.uri() + " answered " + r.statusCode() + ": " + r.body());
    }
    return JsonParser.parseString(r.body()).getAsJsonObject();
  }

  private static void copyModel(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (String f : ResultsReport.MODEL_FILES) {
      Files.copy(from.resolve(f), to.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
