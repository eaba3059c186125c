package dev.latent.ml.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IncrementalDetokenizerTest {

  private static final String TEXT = "Grüße 🙂👍🏽 你好世界 — naïve café, 𝄞 done.";

  @Test
  void streamedPiecesNeverSplitACharacterAndAddUpToTheText() {
    for (Tokenizer tokenizer : List.of(TestTokenizers.qwen3(), TestTokenizers.llama3())) {
      try (tokenizer) {
        int[] ids = tokenizer.encode(TEXT);
        // The emoji take several byte-level tokens each: this is the case under test.
        assertThat(tokenizer.encode("👍🏽").length).isGreaterThan(1);
        var detokenizer = new IncrementalDetokenizer(tokenizer, true);
        List<String> pieces = new ArrayList<>();
        int empty = 0;
        for (int id : ids) {
          String piece = detokenizer.add(id);
          if (piece.isEmpty()) {
            empty++;
          }
          pieces.add(piece);
        }
        pieces.add(detokenizer.flush());
        assertThat(pieces).allSatisfy(p -> {
          assertThat(p).doesNotContain("\uFFFD");
          if (!p.isEmpty()) {
            assertThat(Character.isLowSurrogate(p.charAt(0))).isFalse();
            assertThat(Character.isHighSurrogate(p.charAt(p.length() - 1))).isFalse();
          }
        });
        assertThat(String.join("", pieces)).isEqualTo(TEXT);
        assertThat(empty).as("tokens holding part of a character release nothing").isPositive();
      }
    }
  }

  @Test
  void flushReleasesAnIncompleteTailAsReplacementCharacter() {
    try (Tokenizer tokenizer = TestTokenizers.qwen3()) {
      int partial = java.util.Arrays.stream(tokenizer.encode(TEXT))
          .filter(id -> tokenizer.decode(new int[] {id}, true).contains("\uFFFD"))
          .findFirst().orElseThrow();
      var detokenizer = new IncrementalDetokenizer(tokenizer, true);
      assertThat(detokenizer.add(partial)).isEmpty();
      assertThat(detokenizer.flush()).contains("\uFFFD");
    }
  }
}
