package dev.latent.training.defaultmodel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TransformerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The default model's files before training: a byte-level BPE {@code tokenizer.json} without merges
 * (one token per byte, GPT-2's byte alphabet) plus ChatML specials and {@code <think>}/{@code </think>}
 * as single tokens, a {@code tokenizer_config.json} whose chat template replays reasoning, and a
 * seeded random Llama (GQA) in Hugging Face layout.
 */
public final class ModelFiles {

  /** Special tokens (ids 256…): never produced by plain text, dropped by skip-special decoding. */
  public static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
  /** Added but not special (kept when decoding, as in Qwen3), so {@code <think>} reaches the splitter. */
  public static final List<String> THINK = List.of("<think>", "</think>");
  public static final int VOCAB = 256 + SPECIALS.size() + THINK.size();
  public static final int EOS_ID = 258;

  /**
   * ChatML; an assistant message with {@code reasoning_content} is replayed as
   * {@code <think>…</think>content}; the generation prompt opens the assistant turn (the model
   * then writes {@code <think>} itself).
   */
  public static final String CHAT_TEMPLATE = "{%- for message in messages %}"
      + "{%- if message.role == 'assistant' and message.reasoning_content is defined and message.reasoning_content %}"
      + "{{- '<|im_start|>assistant\\n<think>' + message.reasoning_content + '</think>' + message.content + '<|im_end|>\\n' }}"
      + "{%- else %}"
      + "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
      + "{%- endif %}"
      + "{%- endfor %}"
      + "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

  private ModelFiles() {}

  /** A Llama config with grouped-query attention, vocabulary {@link #VOCAB}, eos {@code <|im_end|>}. */
  public static TransformerConfig config(int dim, int layers, int heads, int kvHeads, int hidden, int maxPositions) {
    return new TransformerConfig(TransformerConfig.Architecture.LLAMA, VOCAB, dim, hidden, layers, heads, kvHeads,
        dim / heads, maxPositions, 1e-5, 10000.0, null, false, false, null, 256, List.of(EOS_ID), null, null);
  }

  /** Writes seeded random weights, config and tokenizer files into {@code dir}. */
  public static void writeInitial(Path dir, TransformerConfig config, long seed) throws IOException {
    Files.createDirectories(dir);
    try (Transformer t = Transformer.random(config, seed, ModelOptions.cpu())) {
      t.save(dir);
    }
    writeTokenizer(dir);
  }

  public static void writeTokenizer(Path dir) throws IOException {
    JsonObject vocab = new JsonObject();
    String alphabet = byteAlphabet();
    for (int b = 0; b < 256; b++) {
      vocab.addProperty(String.valueOf(alphabet.charAt(b)), b);
    }
    JsonArray added = new JsonArray();
    int id = 256;
    for (String s : SPECIALS) {
      added.add(addedToken(id, s, true));
      vocab.addProperty(s, id++);
    }
    for (String s : THINK) {
      added.add(addedToken(id, s, false));
      vocab.addProperty(s, id++);
    }
    JsonObject byteLevel = new JsonObject();
    byteLevel.addProperty("type", "ByteLevel");
    byteLevel.addProperty("add_prefix_space", false);
    byteLevel.addProperty("trim_offsets", true);
    byteLevel.addProperty("use_regex", true);
    JsonObject model = new JsonObject();
    model.addProperty("type", "BPE");
    model.add("vocab", vocab);
    model.add("merges", new JsonArray());
    JsonObject tok = new JsonObject();
    tok.addProperty("version", "1.0");
    tok.add("added_tokens", added);
    tok.add("pre_tokenizer", byteLevel);
    tok.add("decoder", byteLevel);
    tok.add("model", model);
    Files.writeString(dir.resolve("tokenizer.json"), tok.toString());
    JsonObject cfg = new JsonObject();
    cfg.addProperty("bos_token", "<|endoftext|>");
    cfg.addProperty("eos_token", "<|im_end|>");
    cfg.addProperty("pad_token", "<|endoftext|>");
    cfg.addProperty("add_bos_token", false);
    cfg.addProperty("model_max_length", 512);
    cfg.addProperty("chat_template", CHAT_TEMPLATE);
    Files.writeString(dir.resolve("tokenizer_config.json"), cfg.toString());
  }

  private static JsonObject addedToken(int id, String content, boolean special) {
    JsonObject a = new JsonObject();
    a.addProperty("id", id);
    a.addProperty("content", content);
    a.addProperty("single_word", false);
    a.addProperty("lstrip", false);
    a.addProperty("rstrip", false);
    a.addProperty("normalized", false);
    a.addProperty("special", special);
    return a;
  }

  /** GPT-2's bytes-to-unicode table: printable bytes map to themselves, the rest to 256+. */
  static String byteAlphabet() {
    StringBuilder out = new StringBuilder();
    int extra = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      out.appendCodePoint(printable ? b : 256 + extra++);
    }
    return out.toString();
  }
}
