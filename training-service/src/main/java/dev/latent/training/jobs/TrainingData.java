package dev.latent.training.jobs;

import dev.latent.ml.text.ChatMessage;
import dev.latent.ml.text.ChatTemplate;
import dev.latent.ml.text.Tokenizer;
import dev.latent.ml.train.LmBatch.Sequence;
import dev.latent.training.files.DataFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns a validated JSONL file into token sequences with per-token loss flags: pretraining text
 * trains every token; Alpaca and chat train only the responses (prompt masked); DPO gives a
 * chosen and a rejected sequence sharing the prompt. Chat and DPO use the model's chat template
 * (ChatML when it has none).
 */
final class TrainingData {

  static final String ALPACA_WITH_INPUT = "Below is an instruction that describes a task, paired with an input that "
      + "provides further context. Write a response that appropriately completes the request.\n\n"
      + "### Instruction:\n%s\n\n### Input:\n%s\n\n### Response:\n";
  static final String ALPACA = "Below is an instruction that describes a task. Write a response that appropriately "
      + "completes the request.\n\n### Instruction:\n%s\n\n### Response:\n";

  /** A DPO pair. */
  record Pair(Sequence chosen, Sequence rejected) {}

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Tokenizer tokenizer;
  private final ChatTemplate template;
  private final int maxTokens;
  private final int vocab;
  private final @Nullable Integer eos;

  TrainingData(Tokenizer tokenizer, int maxSeqLen, int vocab) {
    this.tokenizer = tokenizer;
    this.template = tokenizer.chatTemplate().orElseGet(() -> new ChatTemplate(ChatTemplate.CHATML,
        tokenizer.bosToken().orElse(null), tokenizer.eosToken().orElse(null)));
    this.maxTokens = maxSeqLen + 1;
    this.vocab = vocab;
    this.eos = tokenizer.eosToken().flatMap(tokenizer::specialTokenId).orElse(null);
  }

  int padId() {
    return eos == null ? 0 : eos;
  }

  List<Sequence> sequences(Path file, DataFormat format) {
    List<Sequence> out = new ArrayList<>();
    for (JsonNode n : records(file)) {
      Sequence s = switch (format) {
        case TEXT -> withEos(tokenizer.encode(n.get("text").asString()));
        case ALPACA -> {
          String input = n.has("input") && n.get("input").isString() ? n.get("input").asString() : "";
          String prompt = input.isEmpty() ? ALPACA.formatted(n.get("instruction").asString())
              : ALPACA_WITH_INPUT.formatted(n.get("instruction").asString(), input);
          yield build(List.of(prompt), List.of(n.get("output").asString()), true);
        }
        case CHAT -> chat(messages(n.get("messages")));
        case DPO -> throw new IllegalArgumentException("DPO data gives pairs");
      };
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  List<Pair> pairs(Path file) {
    List<Pair> out = new ArrayList<>();
    for (JsonNode n : records(file)) {
      List<ChatMessage> prompt = n.get("prompt").isString()
          ? List.of(new ChatMessage("user", n.get("prompt").asString())) : messages(n.get("prompt"));
      Sequence c = chat(append(prompt, response(n.get("chosen"))));
      Sequence r = chat(append(prompt, response(n.get("rejected"))));
      if (c != null && r != null) {
        out.add(new Pair(c, r));
      }
    }
    return out;
  }

  /** Masked prompt pieces and trained response pieces alternate: p0 r0 p1 r1 … */
  private @Nullable Sequence chat(List<ChatMessage> messages) {
    List<String> prompts = new ArrayList<>();
    List<String> responses = new ArrayList<>();
    String done = "";
    for (int i = 0; i < messages.size(); i++) {
      if (!"assistant".equals(messages.get(i).role())) {
        continue;
      }
      String withPrompt = template.render(messages.subList(0, i), true);
      String withAnswer = template.render(messages.subList(0, i + 1), false);
      if (!withPrompt.startsWith(done) || !withAnswer.startsWith(withPrompt)) {
        throw new IllegalArgumentException("the chat template does not render conversations prefix by prefix");
      }
      prompts.add(withPrompt.substring(done.length()));
      responses.add(withAnswer.substring(withPrompt.length()));
      done = withAnswer;
    }
    return build(prompts, responses, false);
  }

  private @Nullable Sequence build(List<String> prompts, List<String> responses, boolean addEos) {
    List<Integer> ids = new ArrayList<>();
    List<Boolean> trained = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      add(ids, trained, tokenizer.encode(prompts.get(i)), false);
      add(ids, trained, tokenizer.encode(responses.get(i)), true);
    }
    if (addEos && eos != null) {
      add(ids, trained, new int[] {eos}, true);
    }
    return finish(ids, trained);
  }

  private @Nullable Sequence withEos(int[] tokens) {
    List<Integer> ids = new ArrayList<>();
    List<Boolean> trained = new ArrayList<>();
    add(ids, trained, tokens, true);
    if (eos != null) {
      add(ids, trained, new int[] {eos}, true);
    }
    return finish(ids, trained);
  }

  private void add(List<Integer> ids, List<Boolean> trained, int[] tokens, boolean train) {
    for (int t : tokens) {
      if (t >= vocab) {
        throw new IllegalArgumentException("token id " + t + " is outside the model's vocabulary of " + vocab);
      }
      ids.add(t);
      trained.add(train);
    }
  }

  private @Nullable Sequence finish(List<Integer> ids, List<Boolean> trained) {
    int n = Math.min(ids.size(), maxTokens);
    int[] tokens = new int[n];
    boolean[] flags = new boolean[n];
    boolean any = false;
    for (int i = 0; i < n; i++) {
      tokens[i] = ids.get(i);
      flags[i] = trained.get(i);
      any |= i > 0 && flags[i];
    }
    return n < 2 || !any ? null : new Sequence(tokens, flags);
  }

  private static List<ChatMessage> append(List<ChatMessage> prompt, ChatMessage answer) {
    List<ChatMessage> all = new ArrayList<>(prompt);
    all.add(answer);
    return all;
  }

  private static ChatMessage response(JsonNode n) {
    if (n.isString()) {
      return new ChatMessage("assistant", n.asString());
    }
    List<ChatMessage> ms = messages(n);
    return new ChatMessage("assistant", ms.getLast().content());
  }

  private static List<ChatMessage> messages(JsonNode array) {
    List<ChatMessage> out = new ArrayList<>();
    for (JsonNode m : array) {
      out.add(new ChatMessage(m.get("role").asString(), m.get("content").asString()));
    }
    return out;
  }

  private static List<JsonNode> records(Path file) {
    try {
      List<JsonNode> out = new ArrayList<>();
      for (String line : Files.readAllLines(file)) {
        if (!line.isBlank()) {
          out.add(JSON.readTree(line));
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
