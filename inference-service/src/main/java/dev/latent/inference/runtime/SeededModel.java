package dev.latent.inference.runtime;

import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.text.ChatTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The model the service serves until the platform has trained its own: random weights of a named
 * shape (seeded, so every start serves the same model) with a byte-level BPE tokenizer whose
 * vocabulary is padded to the shape's size, written in Hugging Face layout so it loads like any
 * model from the store. Its output is noise; it exists to exercise the whole serving path.
 */
final class SeededModel {

  /** Marks a store directory as made here; {@code /v1/models} says {@code latent-seeded}. */
  static final String MARKER = "latent-seeded.txt";
  static final String[] SPECIALS = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};

  private SeededModel() {}

  /** dim, layers, heads, hidden, vocab of the named shapes (as the engine bench names them). */
  static int[] shape(String name) {
    return switch (name) {
      case "tiny" -> new int[] {64, 2, 4, 128, 512};
      case "15m" -> new int[] {288, 6, 6, 768, 32000};
      case "110m" -> new int[] {768, 12, 12, 2048, 32000};
      default -> throw new IllegalArgumentException("seeded shape must be tiny, 15m or 110m: " + name);
    };
  }

  /** Creates {@code dir} with the model unless it is there already. */
  static void create(Path dir, String shapeName) {
    if (Files.isRegularFile(dir.resolve(MARKER))) {
      return;
    }
    int[] s = shape(shapeName);
    int vocab = s[4];
    int imEnd = 256 + 2;
    var base = TransformerConfig.llama(s[0], s[1], s[2], s[2], s[3], vocab);
    var config = new TransformerConfig(base.architecture(), vocab, base.hiddenSize(),
        base.intermediateSize(), base.numLayers(), base.numHeads(), base.numKvHeads(),
        base.headDim(), 4096, base.rmsNormEps(), base.ropeTheta(), null, false, false, null, 256,
        List.of(imEnd, 256), null, null);
    try {
      Files.createDirectories(dir);
      try (Transformer model = Transformer.random(config, 42, ModelOptions.cpu())) {
        model.save(dir);
      }
      Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson(vocab));
      var tokenizerConfig = new LinkedHashMap<String, Object>();
      tokenizerConfig.put("bos_token", null);
      tokenizerConfig.put("eos_token", "<|im_end|>");
      tokenizerConfig.put("pad_token", "<|endoftext|>");
      tokenizerConfig.put("add_bos_token", false);
      tokenizerConfig.put("model_max_length", 4096);
      tokenizerConfig.put("chat_template", ChatTemplate.CHATML);
      Files.writeString(dir.resolve("tokenizer_config.json"),
          JsonMapper.shared().writeValueAsString(tokenizerConfig));
      Files.writeString(dir.resolve(MARKER), "random weights, seed 42, shape " + shapeName + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the seeded model to " + dir, e);
    }
  }

  // GPT-2's byte-to-unicode table: printable bytes stand for themselves, the rest map past 255.
  static char[] byteChars() {
    char[] chars = new char[256];
    int next = 256;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      chars[b] = printable ? (char) b : (char) next++;
    }
    return chars;
  }

  /**
   * Byte-level BPE: ids 0–255 are the bytes, 256–258 the specials, the rest two-byte tokens that
   * encoding never produces (no merges) but that decode, so a random model's every id is text.
   */
  static String tokenizerJson(int vocabSize) {
    char[] bytes = byteChars();
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (int b = 0; b < 256; b++) {
      vocab.put(String.valueOf(bytes[b]), b);
    }
    int id = 256 + SPECIALS.length;
    outer:
    for (int a = 0; a < 256; a++) {
      for (int b = 0; b < 256; b++) {
        if (id >= vocabSize) {
          break outer;
        }
        vocab.put("" + bytes[a] + bytes[b], id++);
      }
    }
    var added = new java.util.ArrayList<Map<String, Object>>();
    for (int i = 0; i < SPECIALS.length; i++) {
      added.add(Map.of("id", 256 + i, "content", SPECIALS[i], "single_word", false,
          "lstrip", false, "rstrip", false, "normalized", false, "special", true));
    }
    var byteLevel = Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true,
        "use_regex", true);
    var model = new LinkedHashMap<String, Object>();
    model.put("type", "BPE");
    model.put("dropout", null);
    model.put("unk_token", null);
    model.put("continuing_subword_prefix", null);
    model.put("end_of_word_suffix", null);
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("vocab", vocab);
    model.put("merges", List.of());
    var json = new LinkedHashMap<String, Object>();
    json.put("version", "1.0");
    json.put("truncation", null);
    json.put("padding", null);
    json.put("added_tokens", added);
    json.put("normalizer", null);
    json.put("pre_tokenizer", byteLevel);
    json.put("post_processor", null);
    json.put("decoder", byteLevel);
    json.put("model", model);
    return JsonMapper.shared().writeValueAsString(json);
  }
}
