package dev.latent.vision.detect;

import dev.latent.ml.vision.RgbImage;
import dev.latent.vision.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Without the detector in the store, detect is 503 naming the command that trains it. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "60s")
class DetectMissingModelTest {

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) throws Exception {
    Path empty = Files.createTempDirectory("detect-empty");
    registry.add("latent.home", () -> empty.resolve("home").toString());
    registry.add("latent.vision.model-store", empty::toString);
  }

  @Autowired
  WebTestClient client;

  @Test
  void aMissingModelIs503NamingPlatformTrainDetr() {
    String png = Base64.getEncoder().encodeToString(TestImages.encode(RgbImage.blank(32, 32), "png"));
    client.post().uri("/v1/vision/detect").contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("image", png))
        .exchange().expectStatus().isEqualTo(503)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.command").isEqualTo("./platform train detr")
        .jsonPath("$.error.message").value(m -> org.assertj.core.api.Assertions.assertThat((String) m)
            .contains("./platform train detr"));
  }
}
