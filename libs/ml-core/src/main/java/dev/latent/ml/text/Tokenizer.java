package dev.latent.ml.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A Hugging Face tokenizer ({@code tokenizer.json} through DJL's native HuggingFaceTokenizer) with
 * what {@code tokenizer_config.json} says about it: bos/eos tokens and the chat template.
 * Thread-safe: the native tokenizer is immutable once loaded.
 */
public final class Tokenizer implements AutoCloseable {

  private final HuggingFaceTokenizer tokenizer;
  private final Map<String, Integer> addedTokens;
  private final int vocabSize;
  private final @Nullable String bosToken;
  private final @Nullable String eosToken;
  private final boolean addBosToken;
  private final @Nullable ChatTemplate chatTemplate;

  private Tokenizer(HuggingFaceTokenizer tokenizer, Map<String, Integer> addedTokens, int vocabSize,
      @Nullable String bosToken, @Nullable String eosToken, boolean addBosToken,
      @Nullable String template) {
    this.tokenizer = tokenizer;
    this.addedTokens = Map.copyOf(addedTokens);
    this.vocabSize = vocabSize;
    this.bosToken = bosToken;
    this.eosToken = eosToken;
    this.addBosToken = addBosToken;
    this.chatTemplate = template == null ? null : new ChatTemplate(template, bosToken, eosToken);
  }

  /**
   * Loads {@code tokenizer.json} and, when present, {@code tokenizer_config.json} from a model
   * directory in Hugging Face layout.
   */
  public static Tokenizer load(Path directory) {
    Path json = directory.resolve("tokenizer.json");
    if (!Files.isRegularFile(json)) {
      throw new IllegalArgumentException("no tokenizer.json in " + directory);
    }
    try {
      // Special tokens are placed by the chat template, never implicitly by encode().
      var native_ = HuggingFaceTokenizer.newInstance(json, Map.of(
          "addSpecialTokens", "false", "truncation", "false", "padding", "false",
          "modelMaxLength", Integer.toString(Integer.MAX_VALUE)));
      JsonObject spec;
      try (Reader reader = Files.newBufferedReader(json)) {
        spec = JsonParser.parseReader(reader).getAsJsonObject();
      }
      Map<String, Integer> added = new HashMap<>();
      int maxId = -1;
      if (spec.has("added_tokens")) {
        for (JsonElement token : spec.getAsJsonArray("added_tokens")) {
          JsonObject t = token.getAsJsonObject();
          int id = t.get("id").getAsInt();
          added.put(t.get("content").getAsString(), id);
          maxId = Math.max(maxId, id);
        }
      }
      JsonObject model = spec.getAsJsonObject("model");
      if (model != null && model.has("vocab")) {
        JsonElement vocab = model.get("vocab");
        if (vocab.isJsonObject()) {
          for (var e : vocab.getAsJsonObject().entrySet()) {
            maxId = Math.max(maxId, e.getValue().getAsInt());
          }
        } else if (vocab.isJsonArray()) {
          maxId = Math.max(maxId, vocab.getAsJsonArray().size() - 1);
        }
      }
      Path configFile = directory.resolve("tokenizer_config.json");
      JsonObject config = new JsonObject();
      if (Files.isRegularFile(configFile)) {
        try (Reader reader = Files.newBufferedReader(configFile)) {
          config = JsonParser.parseReader(reader).getAsJsonObject();
        }
      }
      String bos = tokenText(config.get("bos_token"));
      String eos = tokenText(config.get("eos_token"));
      boolean addBos = config.has("add_bos_token") && config.get("add_bos_token").getAsBoolean();
      return new Tokenizer(native_, added, maxId + 1, bos, eos, addBos, template(config));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenizer in " + directory, e);
    }
  }

  // A special token is written either as its text or as {"content": text, ...} (older files).
  private static @Nullable String tokenText(@Nullable JsonElement element) {
    if (element == null || element.isJsonNull()) {
      return null;
    }
    if (element.isJsonObject()) {
      return tokenText(element.getAsJsonObject().get("content"));
    }
    return element.getAsString();
  }

  // chat_template is a string, or a list of {name, template} of which "default" is the chat one.
  private static @Nullable String template(JsonObject config) {
    JsonElement t = config.get("chat_template");
    if (t == null || t.isJsonNull()) {
      return null;
    }
    if (t.isJsonArray()) {
      for (JsonElement named : t.getAsJsonArray()) {
        JsonObject o = named.getAsJsonObject();
        if ("default".equals(o.get("name").getAsString())) {
          return o.get("template").getAsString();
        }
      }
      return null;
    }
    return t.getAsString();
  }

  /** Token ids of a text; special-token text in it (e.g. {@code <|im_start|>}) maps to its id. */
  public int[] encode(String text) {
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /** The text of token ids; {@code skipSpecial} drops control tokens such as end-of-turn. */
  public String decode(int[] ids, boolean skipSpecial) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      longs[i] = ids[i];
    }
    return tokenizer.decode(longs, skipSpecial);
  }

  public String decode(List<Integer> ids, boolean skipSpecial) {
    return decode(ids.stream().mapToInt(Integer::intValue).toArray(), skipSpecial);
  }

  /** Ids 0 … vocabSize-1 are valid (the model's embedding may be padded beyond). */
  public int vocabSize() {
    return vocabSize;
  }

  /** The id of an added (special) token such as {@code <|im_end|>}. */
  public Optional<Integer> specialTokenId(String token) {
    return Optional.ofNullable(addedTokens.get(token));
  }

  /**
   * Ids that end a generation: the eos token and the end-of-turn tokens of the common chat
   * formats that this vocabulary has (Llama 3 ends a turn with {@code <|eot_id|>}, not its eos).
   */
  public java.util.Set<Integer> stopTokenIds() {
    var ids = new java.util.TreeSet<Integer>();
    if (eosToken != null) {
      specialTokenId(eosToken).ifPresent(ids::add);
    }
    for (String t : END_OF_TURN) {
      specialTokenId(t).ifPresent(ids::add);
    }
    return ids;
  }

  private static final List<String> END_OF_TURN =
      List.of("<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|endoftext|>", "</s>",
          "<end_of_turn>", "<｜end▁of▁sentence｜>");

  public Optional<String> bosToken() {
    return Optional.ofNullable(bosToken);
  }

  public Optional<String> eosToken() {
    return Optional.ofNullable(eosToken);
  }

  /** Whether plain-text prompts (completions) start with the bos token. */
  public boolean addBosToken() {
    return addBosToken;
  }

  public Optional<ChatTemplate> chatTemplate() {
    return Optional.ofNullable(chatTemplate);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
