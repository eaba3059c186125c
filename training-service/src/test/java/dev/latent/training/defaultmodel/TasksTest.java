package dev.latent.training.defaultmodel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TasksTest {

  @Test
  void generationIsSeeded() {
    assertThat(Tasks.generate(3, 50)).isEqualTo(Tasks.generate(3, 50));
    assertThat(Tasks.generate(3, 50)).isNotEqualTo(Tasks.generate(4, 50));
  }

  @Test
  void cyclesThroughEveryKind() {
    assertThat(Tasks.generate(1, 10).stream().map(Tasks.Task::kind).distinct()).hasSize(Tasks.Kind.values().length);
  }

  @Test
  void answersAreRight() {
    for (Tasks.Task t : Tasks.generate(11, 500)) {
      String p = t.prompt();
      switch (t.kind()) {
        case ADD -> {
          String[] ab = p.substring("What is ".length(), p.length() - 1).split("\\+");
          assertThat(Integer.parseInt(t.answer())).isEqualTo(Integer.parseInt(ab[0]) + Integer.parseInt(ab[1]));
        }
        case COMPARE -> {
          String[] ab = p.substring(p.indexOf(':') + 2, p.length() - 1).split(" or ");
          assertThat(Integer.parseInt(t.answer())).isEqualTo(Math.max(Integer.parseInt(ab[0]), Integer.parseInt(ab[1])));
          assertThat(ab[0]).isNotEqualTo(ab[1]);
        }
        case COUNT -> {
          char c = p.charAt("How many ".length());
          String word = p.substring(p.indexOf(" in ") + 4, p.length() - 1);
          assertThat(Integer.parseInt(t.answer())).isEqualTo(word.chars().filter(x -> x == c).count());
        }
        case SORT -> assertThat(t.answer().split(" "))
            .isSorted()
            .containsExactlyInAnyOrder(p.substring("Sort: ".length()).split(" "));
        case REVERSE -> assertThat(new StringBuilder(t.answer()).reverse().toString())
            .isEqualTo(p.substring("Reverse: ".length()));
      }
    }
  }

  @Test
  void workedStepsCarry() {
    assertThat(Tasks.add(47, 38).think()).isEqualTo("7+8=15, 4+3+1=8");
    assertThat(Tasks.add(5, 3).think()).isEqualTo("5+3=8, 0+0=0");
    assertThat(Tasks.add(99, 99).answer()).isEqualTo("198");
    assertThat(Tasks.count('a', "abca").think()).isEqualTo("a1 b c a2");
    assertThat(Tasks.sort(List.of(5, 2, 8)).completion()).isEqualTo("<think>smallest first: 2, 5, 8</think>2 5 8");
  }

  @Test
  void answerIsTheTextAfterTheLastThink() {
    Tasks.Task t = Tasks.reverse("abc");
    assertThat(Tasks.correct(t, "<think>c b a</think>cba")).isTrue();
    assertThat(Tasks.correct(t, "<think>c b a</think> cba \n")).isTrue();
    assertThat(Tasks.correct(t, "cba")).isTrue();
    assertThat(Tasks.correct(t, "<think>c b a</think>cab")).isFalse();
    assertThat(Tasks.correct(t, "<think>cba</think>")).isFalse();
    assertThat(Tasks.answerOf("<think>x</think>1</think>2")).isEqualTo("2");
  }

  @Test
  void scoresExactMatchPerKind() {
    List<Tasks.Task> tasks = List.of(Tasks.add(1, 2), Tasks.add(2, 2), Tasks.reverse("ab"));
    Evaluator.Accuracy a = Evaluator.score(tasks, List.of("<think>1+2=3</think>3", "<think></think>5", "ba"));
    assertThat(a.correct()).isEqualTo(2);
    assertThat(a.total()).isEqualTo(3);
    assertThat(a.perKind().get(Tasks.Kind.ADD)).containsExactly(1, 2);
    assertThat(a.perKind().get(Tasks.Kind.REVERSE)).containsExactly(1, 1);
  }
}
