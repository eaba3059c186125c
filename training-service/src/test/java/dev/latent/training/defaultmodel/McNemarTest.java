package dev.latent.training.defaultmodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class McNemarTest {

  @Test
  void countsTheTasksEachModelAloneGotRight() {
    boolean[] before = {true, true, false, false, true, false};
    boolean[] after = {true, false, true, true, true, false};
    McNemar m = McNemar.of(before, after);
    assertThat(m.gained()).isEqualTo(2);
    assertThat(m.lost()).isEqualTo(1);
    // n = 3 discordant, k = 1: 2 · (1 + 3) / 8 = 1
    assertThat(m.p()).isEqualTo(1.0);
    assertThat(m).hasToString("+2 −1, p = 1.00");
  }

  @Test
  void theTwoSidedTailMatchesHandValues() {
    // n = 10, k = 1: 2 · (1 + 10) / 1024
    assertThat(McNemar.twoSided(10, 1)).isCloseTo(22.0 / 1024, within(1e-12));
    // n = 20, k = 5: 2 · (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20
    assertThat(McNemar.twoSided(20, 5)).isCloseTo(2.0 * 21700 / 1048576, within(1e-12));
    assertThat(McNemar.twoSided(0, 0)).isEqualTo(1.0);
    // large n stays finite: 400 discordant tasks split 150/250 is far from even
    assertThat(McNemar.twoSided(400, 150)).isBetween(1e-9, 1e-4);
  }

  @Test
  void refusesDifferentTaskSets() {
    assertThatThrownBy(() -> McNemar.of(new boolean[2], new boolean[3])).hasMessageContaining("different task counts");
  }
}
