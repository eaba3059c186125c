package dev.latent.ml.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReasoningSplitterTest {

  private static final String OUTPUT = "<think>\nLet me add 2 and 2.\n</think>\n\nIt is 4 (not <think>).";

  @Test
  void splitsTheSpanFromTheAnswer() {
    var delta = ReasoningSplitter.split(OUTPUT);
    assertThat(delta.reasoning()).isEqualTo("Let me add 2 and 2.\n");
    assertThat(delta.content()).isEqualTo("It is 4 (not <think>).");
  }

  @Test
  void givesTheSameSplitWhereverTheStreamIsCut() {
    for (int a = 0; a <= OUTPUT.length(); a++) {
      for (int b = a; b <= OUTPUT.length(); b += 3) {
        var splitter = new ReasoningSplitter(false);
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        for (String piece : new String[] {
            OUTPUT.substring(0, a), OUTPUT.substring(a, b), OUTPUT.substring(b)}) {
          var d = splitter.accept(piece);
          reasoning.append(d.reasoning());
          content.append(d.content());
        }
        var d = splitter.finish();
        assertThat(reasoning.append(d.reasoning())).hasToString("Let me add 2 and 2.\n");
        assertThat(content.append(d.content())).hasToString("It is 4 (not <think>).");
      }
    }
  }

  @Test
  void outputWithoutASpanIsAllContent() {
    var delta = ReasoningSplitter.split("Plain <answer> with </think> inside");
    assertThat(delta.reasoning()).isEmpty();
    assertThat(delta.content()).isEqualTo("Plain <answer> with </think> inside");
  }

  @Test
  void aPromptThatOpenedTheSpanStartsInReasoning() {
    var splitter = new ReasoningSplitter(true);
    assertThat(splitter.inReasoning()).isTrue();
    var d = splitter.accept("thinking</think>answer");
    assertThat(d.reasoning()).isEqualTo("thinking");
    assertThat(d.content()).isEqualTo("answer");
    assertThat(splitter.inReasoning()).isFalse();
  }

  @Test
  void anUnclosedSpanIsAllReasoning() {
    var splitter = new ReasoningSplitter(false);
    var d = splitter.accept("<think>still going</thi");
    var end = splitter.finish();
    assertThat(d.reasoning() + end.reasoning()).isEqualTo("still going</thi");
    assertThat(d.content() + end.content()).isEmpty();
  }
}
