package dev.latent.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopMatcherTest {

  @Test
  void aStopStringSplitAcrossPiecesIsNeverStreamed() {
    var m = new StopMatcher(List.of("END", "\n\n"));
    assertThat(m.accept("hello E").text()).isEqualTo("hello ");
    assertThat(m.accept("N")).isEqualTo(new StopMatcher.Result("", false));
    assertThat(m.accept("D and more")).isEqualTo(new StopMatcher.Result("", true));
  }

  @Test
  void heldBackTextThatIsNotAStopIsReleased() {
    var m = new StopMatcher(List.of("END"));
    assertThat(m.accept("the E").text()).isEqualTo("the ");
    assertThat(m.accept("nd").text()).isEqualTo("End");
    assertThat(m.accept("x E").text()).isEqualTo("x ");
    assertThat(m.flush()).isEqualTo("E");
  }

  @Test
  void withoutStopsEverythingPassesThrough() {
    assertThat(new StopMatcher(List.of()).accept("END")).isEqualTo(new StopMatcher.Result("END", false));
  }
}
