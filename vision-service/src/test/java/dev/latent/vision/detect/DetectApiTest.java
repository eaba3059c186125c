package dev.latent.vision.detect;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.latent.ml.vision.detr.Detr;
import dev.latent.ml.vision.detr.DetrConfig;
import dev.latent.ml.vision.detr.ShapesDataset;
import dev.latent.vision.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * {@code POST /v1/vision/detect} on a small seeded DETR written into a temporary model store (the
 * trained one is a training-job output, not a test fixture): shapes of the answer, the threshold,
 * 400s, and 503 naming {@code ./platform train detr} for a missing model.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "60s")
class DetectApiTest {

  static final Path STORE = store();

  static Path store() {
    try {
      Path dir = Files.createTempDirectory("detect-store");
      DetrConfig config = new DetrConfig(32, ShapesDataset.LABELS, List.of(8, 16, 32, 32), 32, 4, 1, 1, 64, 6);
      try (Detr detr = Detr.create(config, 3, Device.cpu())) {
        detr.save(dir.resolve("detr-shapes"));
      }
      return dir;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("latent.home", () -> STORE.resolve("home").toString());
    registry.add("latent.vision.model-store", STORE::toString);
  }

  @Autowired
  WebTestClient client;

  String image() {
    var sample = new ShapesDataset(9, 80, 3).sample(ShapesDataset.Split.HELD_OUT, 0);
    return Base64.getEncoder().encodeToString(TestImages.encode(sample.image(), "png"));
  }

  Map<String, Object> detect(Map<String, Object> body) {
    return client.post().uri("/v1/vision/detect").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
        .expectStatus().isOk().expectBody(new ParameterizedTypeReference<Map<String, Object>>() {}).returnResult()
        .getResponseBody();
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyQueryIsADetectionAtThresholdZeroWithBoxesInTheImage() {
    Map<String, Object> all = detect(Map.of("image", image(), "threshold", "0"));
    assertThat(all.get("model")).isEqualTo("detr-shapes");
    List<Map<String, Object>> dets = (List<Map<String, Object>>) all.get("detections");
    assertThat(dets).hasSize(6);
    double previous = 1;
    for (Map<String, Object> d : dets) {
      assertThat((String) d.get("label")).isIn(ShapesDataset.LABELS);
      double score = ((Number) d.get("score")).doubleValue();
      assertThat(score).isBetween(0.0, previous);
      previous = score;
      Map<String, Number> box = (Map<String, Number>) d.get("box");
      assertThat(box.get("x0").doubleValue()).isBetween(0.0, 80.0);
      assertThat(box.get("x1").doubleValue()).isBetween(box.get("x0").doubleValue(), 80.0);
      assertThat(box.get("y1").doubleValue()).isBetween(box.get("y0").doubleValue(), 80.0);
    }
    // the threshold keeps exactly those scoring at least it (scores of an untrained model are low)
    double cut = ((Number) dets.get(2).get("score")).doubleValue() - 0.001; // scores on the wire are rounded
    List<Map<String, Object>> some = (List<Map<String, Object>>) detect(Map.of("image", image(), "threshold",
        Double.toString(cut))).get("detections");
    assertThat(some).hasSizeBetween(3, 6)
        .allSatisfy(d -> assertThat(((Number) d.get("score")).doubleValue()).isGreaterThanOrEqualTo(cut));
    long atDefault = dets.stream().filter(d -> ((Number) d.get("score")).doubleValue() >= 0.5).count();
    assertThat((List<?>) detect(Map.of("image", image())).get("detections")).hasSize((int) atDefault); // default 0.5
    assertThat((List<?>) detect(Map.of("image", image(), "threshold", "1")).get("detections")).isEmpty();
  }

  @Test
  void badThresholdIs400AndAMissingImageToo() {
    client.post().uri("/v1/vision/detect").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image", image(), "threshold", "2")).exchange()
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("threshold");
    client.post().uri("/v1/vision/detect").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("threshold", "0.5")).exchange()
        .expectStatus().is4xxClientError();
  }
}
