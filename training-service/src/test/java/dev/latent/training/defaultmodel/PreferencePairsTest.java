package dev.latent.training.defaultmodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latent.training.defaultmodel.PreferencePairs.Pair;
import dev.latent.training.defaultmodel.PreferencePairs.Rejected;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreferencePairsTest {

  final Tasks.Task cmp = Tasks.compare(3, 7);
  final Tasks.Task cnt = Tasks.count('a', "aba");
  final String right = "<think>3<7</think>7";
  final String wrong = "<think>3>7</think>3";
  final String wrong2 = "<think>7</think>1";

  @Test
  void sampledPairsACorrectSampleWithUpToTwoWrongOnes() {
    List<Pair> pairs = PreferencePairs.select(List.of(cmp), List.of(List.of(wrong, right, wrong2, "<think></think>9")),
        null, Rejected.SAMPLED, false, false, false);
    assertThat(pairs).containsExactly(new Pair(cmp.prompt(), right, wrong), new Pair(cmp.prompt(), right, wrong2));
  }

  @Test
  void greedyRejectsOnlyAWrongGreedyCompletion() {
    List<List<String>> samples = List.of(List.of(wrong, right), List.of("<think>a1 b a2</think>2", "x"));
    List<Pair> pairs = PreferencePairs.select(List.of(cmp, cnt), samples,
        List.of(wrong2, "<think>a1 b a2</think>2"), Rejected.GREEDY, false, false, false);
    // cmp: greedy wrong, a correct sample → one pair against the greedy answer (not the wrong sample);
    // cnt: greedy right → no pair.
    assertThat(pairs).containsExactly(new Pair(cmp.prompt(), right, wrong2));
  }

  @Test
  void noCorrectSampleMakesNoPairUnlessTheWorkedSolutionMayBeChosen() {
    List<List<String>> samples = List.of(List.of(wrong, wrong2));
    assertThat(PreferencePairs.select(List.of(cmp), samples, List.of(wrong), Rejected.GREEDY, false, false, false)).isEmpty();
    assertThat(PreferencePairs.select(List.of(cmp), samples, List.of(wrong), Rejected.GREEDY, true, false, false))
        .containsExactly(new Pair(cmp.prompt(), cmp.completion(), wrong));
  }

  @Test
  void aRejectedCompletionWithStrayBytesIsDropped() {
    assertThat(PreferencePairs.select(List.of(cmp), List.of(List.of(right, "<think>\uFFFD</think>3")), null,
        Rejected.SAMPLED, false, false, false)).isEmpty();
    assertThat(PreferencePairs.select(List.of(cmp), List.of(List.of(right)), List.of("3\uFFFD"),
        Rejected.GREEDY, false, false, false)).isEmpty();
  }

  @Test
  void aCutRejectedResponseEndsAfterItsFirstMistake() {
    assertThat(PreferencePairs.cutAfterFirstDifference(right, wrong)).isEqualTo("<think>3>");
    assertThat(PreferencePairs.cutAfterFirstDifference("<think>a1</think>1", "<think>a1</think>12")).isEqualTo(
        "<think>a1</think>12");
    assertThat(PreferencePairs.select(List.of(cmp), List.of(List.of(right, wrong2)), null, Rejected.SAMPLED, false, true, false))
        .containsExactly(new Pair(cmp.prompt(), right, "<think>7"));
  }

  @Test
  void aStrictChosenSampleReachesTheAnswerByTheWorkedSteps() {
    String lucky = "<think>3>7</think>7"; // right answer, wrong step
    List<List<String>> samples = List.of(List.of(lucky, wrong, right));
    assertThat(PreferencePairs.select(List.of(cmp), samples, null, Rejected.SAMPLED, false, false, false).getFirst()
        .chosen()).isEqualTo(lucky);
    assertThat(PreferencePairs.select(List.of(cmp), samples, null, Rejected.SAMPLED, false, false, true))
        .containsExactly(new Pair(cmp.prompt(), right, wrong));
    assertThat(PreferencePairs.select(List.of(cmp), List.of(List.of(lucky, wrong)), null, Rejected.SAMPLED, false, false,
        true)).isEmpty();
  }

  @Test
  void modesByName() {
    assertThat(Rejected.of("greedy")).isEqualTo(Rejected.GREEDY);
    assertThat(Rejected.of("sampled")).isEqualTo(Rejected.SAMPLED);
    assertThatThrownBy(() -> Rejected.of("best")).hasMessageContaining("dpo_rejected");
    assertThatThrownBy(() -> PreferencePairs.select(List.of(cmp), List.of(List.of(right)), null, Rejected.GREEDY, false, false, false))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
