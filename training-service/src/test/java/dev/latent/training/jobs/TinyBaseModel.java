package dev.latent.training.jobs;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.text.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny seeded Llama (vocab 260) with a real byte-level BPE {@code tokenizer.json} (GPT-2's byte
 * alphabet, no merges: one token per byte) and ChatML specials, written into a model store.
 */
public final class TinyBaseModel {

  static final TransformerConfig CONFIG = TransformerConfig.llama(32, 2, 4, 2, 48, 260);

  private TinyBaseModel() {}

  public static void write(Path store, String name) throws IOException {
    Path dir = store.resolve(name);
    Files.createDirectories(dir);
    try (Transformer t = Transformer.random(CONFIG, 5, ModelOptions.cpu())) {
      t.save(dir);
    }
    JsonObject vocab = new JsonObject();
    List<Integer> printable = new ArrayList<>();
    for (int b = '!'; b <= '~'; b++) {
      printable.add(b);
    }
    for (int b = 0xA1; b <= 0xAC; b++) {
      printable.add(b);
    }
    for (int b = 0xAE; b <= 0xFF; b++) {
      printable.add(b);
    }
    int extra = 0;
    for (int b = 0; b < 256; b++) {
      int cp = printable.contains(b) ? b : 256 + extra++;
      vocab.addProperty(new String(Character.toChars(cp)), b);
    }
    JsonArray added = new JsonArray();
    String[] specials = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
    for (int i = 0; i < specials.length; i++) {
      JsonObject a = new JsonObject();
      a.addProperty("id", 256 + i);
      a.addProperty("content", specials[i]);
      a.addProperty("single_word", false);
      a.addProperty("lstrip", false);
      a.addProperty("rstrip", false);
      a.addProperty("normalized", false);
      a.addProperty("special", true);
      added.add(a);
      vocab.addProperty(specials[i], 256 + i);
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
    cfg.addProperty("eos_token", "<|im_end|>");
    cfg.addProperty("chat_template", ChatTemplate.CHATML);
    Files.writeString(dir.resolve("tokenizer_config.json"), cfg.toString());
  }
}
