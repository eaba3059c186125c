package dev.latent.vision.collections;

import dev.latent.ml.vision.RgbImage;
import dev.latent.vision.TestImages;
import dev.latent.vision.VisionApplication;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Collections live in the H2 file under latent.home: a restarted service still identifies. */
class CollectionsRestartTest {

  @TempDir
  Path home;

  @Test
  void enrolledSubjectsSurviveARestart() {
    RgbImage sample = TestImages.sample(1);
    String face = Base64.getEncoder().encodeToString(TestImages.encode(sample.crop(230, 250, 600, 600), "png"));
    String other = Base64.getEncoder().encodeToString(TestImages.encode(sample.crop(760, 300, 600, 600), "png"));
    String id;
    try (ConfigurableApplicationContext app = start()) {
      WebTestClient client = client(app);
      id = client.post().uri("/v1/vision/collections").contentType(MediaType.APPLICATION_JSON)
          .bodyValue(Map.of("name", "kept")).exchange().expectStatus().isCreated()
          .expectBody(Map.class).returnResult().getResponseBody().get("id").toString();
      client.post().uri("/v1/vision/collections/{id}/subjects/ann/faces", id).contentType(MediaType.APPLICATION_JSON)
          .bodyValue(Map.of("image", face)).exchange().expectStatus().isCreated();
      client.post().uri("/v1/vision/collections/{id}/subjects/bea/faces", id).contentType(MediaType.APPLICATION_JSON)
          .bodyValue(Map.of("image", other)).exchange().expectStatus().isCreated();
    }
    try (ConfigurableApplicationContext app = start()) {
      client(app).post().uri("/v1/vision/collections/{id}/identify", id).contentType(MediaType.APPLICATION_JSON)
          .bodyValue(Map.of("image", other)).exchange().expectStatus().isOk()
          .expectBody().jsonPath("$.matches[0].subject").isEqualTo("bea")
          .jsonPath("$.matches.length()").isEqualTo(2);
    }
  }

  private ConfigurableApplicationContext start() {
    return new SpringApplicationBuilder(VisionApplication.class).run(
        "--server.port=0", "--latent.home=" + home, "--latent.http.access-log=false",
        "--latent.vision.model-store=" + TestImages.modelStore());
  }

  private static WebTestClient client(ConfigurableApplicationContext app) {
    String port = app.getEnvironment().getProperty("local.server.port");
    return WebTestClient.bindToServer().baseUrl("http://localhost:" + port)
        .responseTimeout(Duration.ofSeconds(60)).build();
  }
}
