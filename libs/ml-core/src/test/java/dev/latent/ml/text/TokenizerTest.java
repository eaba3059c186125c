package dev.latent.ml.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TokenizerTest {

  @Test
  void qwen3RoundTripsTextAndKnowsItsSpecialTokens() {
    try (Tokenizer tokenizer = TestTokenizers.qwen3()) {
      String text = "Hello, world! Grüße, 你好 🙂";
      int[] ids = tokenizer.encode(text);
      assertThat(ids.length).isBetween(8, 20);
      assertThat(tokenizer.decode(ids, true)).isEqualTo(text);
      assertThat(tokenizer.specialTokenId("<|im_end|>")).contains(151645);
      assertThat(tokenizer.eosToken()).contains("<|im_end|>");
      assertThat(tokenizer.bosToken()).isEmpty();
      assertThat(tokenizer.stopTokenIds()).contains(151645, 151643);
      assertThat(tokenizer.vocabSize()).isGreaterThan(151645);
      // Special-token text in a prompt becomes its single id.
      assertThat(tokenizer.encode("<|im_start|>user")).startsWith(151644);
      assertThat(tokenizer.chatTemplate()).isPresent();
    }
  }

  @Test
  void llama3EndsATurnWithEotAndStartsWithBos() {
    try (Tokenizer tokenizer = TestTokenizers.llama3()) {
      assertThat(tokenizer.bosToken()).contains("<|begin_of_text|>");
      assertThat(tokenizer.stopTokenIds()).contains(128009, 128001);
      assertThat(tokenizer.vocabSize()).isEqualTo(128256);
      int[] ids = tokenizer.encode("The quick brown fox");
      assertThat(tokenizer.decode(ids, false)).isEqualTo("The quick brown fox");
    }
  }

  @Test
  void aDirectoryWithoutTokenizerJsonIsAClearError() {
    assertThatThrownBy(() -> Tokenizer.load(Path.of("target/no-such-model")))
        .hasMessageContaining("no tokenizer.json");
  }
}
