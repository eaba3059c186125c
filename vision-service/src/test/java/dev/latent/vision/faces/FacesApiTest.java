package dev.latent.vision.faces;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.ml.vision.Resampling;
import dev.latent.ml.vision.RgbImage;
import dev.latent.vision.RealModelsApiTest;
import dev.latent.vision.TestImages;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.web.reactive.function.BodyInserters;

/** Faces end to end on face-api's real demo photos with the real models. */
class FacesApiTest extends RealModelsApiTest {

  // sample1.jpg (1920x1280): three women; A at about (421, 411) 190x190, B at about (852, 473).
  static final RgbImage SAMPLE1 = TestImages.sample(1);
  static final RgbImage PERSON_A = SAMPLE1.crop(230, 250, 600, 600);
  static final RgbImage PERSON_B = SAMPLE1.crop(760, 300, 600, 600);

  static RgbImage changed(RgbImage face) {
    // another crop, 0.6x scale and 30% brighter
    RgbImage recropped = face.crop(40, 60, 520, 520);
    return Resampling.BICUBIC.resize(recropped, 312, 312).scaled(1.3f);
  }

  static Object multipart(Map<String, byte[]> files) {
    var body = new MultipartBodyBuilder();
    files.forEach((name, bytes) -> body.part(name, new ByteArrayResource(bytes)).filename(name + ".bin"));
    return body.build();
  }

  @Test
  void detectFindsTheFacesOfEverySamplePhotoWithSixLandmarks() {
    int[] expected = {3, 3, 3, 4, 5, 4};
    for (int i = 1; i <= 6; i++) {
      client.post().uri("/v1/vision/faces/detect")
          .body(BodyInserters.fromMultipartData(
              (org.springframework.util.MultiValueMap<String, org.springframework.http.HttpEntity<?>>)
                  multipart(Map.of("image", TestImages.encode(TestImages.sample(i), "jpg")))))
          .exchange()
          .expectStatus().isOk()
          .expectBody()
          .jsonPath("$.faces.length()").isEqualTo(expected[i - 1])
          .jsonPath("$.faces[0].score").value(s -> assertThat(((Number) s).doubleValue()).isGreaterThan(0.6))
          .jsonPath("$.faces[0].landmarks.length()").isEqualTo(6)
          .jsonPath("$.faces[0].landmarks[0].type").isEqualTo("right_eye");
    }
  }

  @Test
  void theSameFaceUnderCropScaleAndBrightnessVerifiesAndDifferentPeopleDoNot() {
    String a = b64(PERSON_A, "png");
    client.post().uri("/v1/vision/faces/verify").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image1", a, "image2", b64(changed(PERSON_A), "jpg")))
        .exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.same_person").isEqualTo(true)
        .jsonPath("$.similarity").value(s -> assertThat(((Number) s).doubleValue()).isGreaterThan(0.95));
    client.post().uri("/v1/vision/faces/verify").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image1", a, "image2", b64(PERSON_B, "png")))
        .exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.same_person").isEqualTo(false);
  }

  @Test
  void identifyReturnsTheEnrolledSubjectAndForgetsDeletedFaces() {
    String id = client.post().uri("/v1/vision/collections").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("name", "team")).exchange().expectStatus().isCreated()
        .expectBody(Map.class).returnResult().getResponseBody().get("id").toString();
    String faceA = addFace(id, "alice", PERSON_A);
    addFace(id, "beth", PERSON_B);
    addFace(id, "carol", SAMPLE1.crop(1300, 100, 500, 500));

    client.post().uri("/v1/vision/collections/{id}/identify", id).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image", b64(changed(PERSON_A), "jpg"), "top_k", 2))
        .exchange().expectStatus().isOk()
        .expectBody()
        .jsonPath("$.matches.length()").isEqualTo(2)
        .jsonPath("$.matches[0].subject").isEqualTo("alice");

    client.delete().uri("/v1/vision/collections/{id}/subjects/alice/faces/{f}", id, faceA)
        .exchange().expectStatus().isNoContent();
    client.post().uri("/v1/vision/collections/{id}/identify", id).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image", b64(changed(PERSON_A), "jpg")))
        .exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.matches[?(@.subject == 'alice')]").doesNotExist();
    client.get().uri("/v1/vision/collections").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.data[?(@.id == '" + id + "')].name").isEqualTo(List.of("team"));
    client.delete().uri("/v1/vision/collections/{id}", id).exchange().expectStatus().isNoContent();
    client.get().uri("/v1/vision/collections/{id}", id).exchange().expectStatus().isNotFound();
  }

  @Test
  void badInputsAreProblemsNeverServerErrors() {
    expectProblem(Map.of("image", Base64.getEncoder().encodeToString("just text".getBytes(StandardCharsets.UTF_8))), 415);
    byte[] corrupt = TestImages.encode(PERSON_A, "jpg");
    corrupt = java.util.Arrays.copyOf(corrupt, 200);
    expectProblem(Map.of("image", Base64.getEncoder().encodeToString(corrupt)), 400);
    expectProblem(Map.of("image", b64(RgbImage.blank(2100, 2000), "png")), 413);
    expectProblem(Map.of("image", "***not base64***"), 400);
    expectProblem(Map.of(), 400);
    expectProblem(Map.of("image_url", "http://127.0.0.1:8080/a.png"), 400);
    expectProblem(Map.of("image_url", "http://169.254.169.254/latest/meta-data"), 400);
    expectProblem(Map.of("image_url", "http://[::1]/a.png"), 400);
    expectProblem(Map.of("image_url", "file:///etc/passwd"), 400);
    client.post().uri("/v1/vision/faces/verify").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image1", b64(RgbImage.blank(300, 300), "png"), "image2", b64(PERSON_A, "png")))
        .exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.error.param").isEqualTo("image1");
  }

  @Test
  void upscaleAnswersAPngOfTheRightSizeAndRefusesBadParameters() throws Exception {
    for (String method : List.of("nearest", "bilinear", "bicubic", "esrgan")) {
      byte[] png = client.post().uri("/v1/vision/upscale").contentType(MediaType.APPLICATION_JSON)
          .bodyValue(Map.of("image", b64(PERSON_A.crop(100, 100, 64, 48), "png"), "scale", 2, "method", method))
          .exchange().expectStatus().isOk()
          .expectHeader().contentType(MediaType.IMAGE_PNG)
          .expectBody(byte[].class).returnResult().getResponseBody();
      var image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
      assertThat(image.getWidth()).isEqualTo(128);
      assertThat(image.getHeight()).isEqualTo(96);
    }
    client.post().uri("/v1/vision/upscale").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image", b64(PERSON_A.crop(0, 0, 8, 8), "png"), "scale", 5))
        .exchange().expectStatus().isBadRequest();
    client.post().uri("/v1/vision/upscale").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image", b64(PERSON_A.crop(0, 0, 8, 8), "png"), "method", "espcn"))
        .exchange().expectStatus().isEqualTo(503)
        .expectBody().jsonPath("$.detail").value(d -> assertThat(d.toString()).contains("./platform models pull"));
  }

  @Test
  void ocrReadsRenderedText() {
    RgbImage text = RgbImage.of(dev.latent.vision.ocr.PaddleOcrTestSupport.rendered());
    client.post().uri("/v1/vision/ocr").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image", b64(text, "png")))
        .exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.lines[0].text").isEqualTo("Invoice 2024")
        .jsonPath("$.lines[0].box.width").value(w -> assertThat(((Number) w).intValue()).isGreaterThan(200));
  }

  @Test
  void modelsListsWhatIsInstalled() {
    client.get().uri("/v1/vision/models").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.data[?(@.name == 'blazeface-back-256')].task").isEqualTo(List.of("face-detection"));
  }

  private void expectProblem(Map<String, String> body, int status) {
    client.post().uri("/v1/vision/faces/detect").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body).exchange()
        .expectStatus().isEqualTo(status)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.error.message").isNotEmpty();
  }

  private String addFace(String id, String subject, RgbImage face) {
    return client.post().uri("/v1/vision/collections/{id}/subjects/{s}/faces", id, subject)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image", b64(face, "png")))
        .exchange().expectStatus().isCreated()
        .expectBody(Map.class).returnResult().getResponseBody().get("face_id").toString();
  }

  private static String b64(RgbImage image, String format) {
    return Base64.getEncoder().encodeToString(TestImages.encode(image, format));
  }
}
