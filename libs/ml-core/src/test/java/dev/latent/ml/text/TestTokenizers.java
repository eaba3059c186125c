package dev.latent.ml.text;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real tokenizers the build fetched (src/test/scripts/fetch-tokenizers.sh). */
final class TestTokenizers {

  private TestTokenizers() {}

  static Path dir(String name) {
    Path root = Path.of(System.getProperty("latent.test.tokenizers", "target/tokenizers"));
    Path dir = root.resolve(name);
    // Fail rather than skip: CI must exercise the real files.
    if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
      throw new IllegalStateException("missing " + dir + "; run the build's generate-test-resources");
    }
    return dir;
  }

  static Tokenizer qwen3() {
    return Tokenizer.load(dir("qwen3"));
  }

  static Tokenizer llama3() {
    return Tokenizer.load(dir("llama3"));
  }
}
