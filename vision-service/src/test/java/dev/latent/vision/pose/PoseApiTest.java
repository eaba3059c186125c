package dev.latent.vision.pose;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.ml.vision.RgbImage;
import dev.latent.vision.RealModelsApiTest;
import dev.latent.vision.TestImages;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/** Pose end to end with MediaPipe's pose landmark network on face-api's demo photos. */
class PoseApiTest extends RealModelsApiTest {

  record Point(String name, double x, double y, double score) {}

  record Pose(String model, String paradigm, int width, int height, double person_score, List<Point> keypoints) {}

  Pose pose(RgbImage image, String minScore) {
    Map<String, Object> body = new HashMap<>();
    body.put("image", Base64.getEncoder().encodeToString(TestImages.encode(image, "jpg")));
    if (minScore != null) {
      body.put("min_score", minScore);
    }
    return client.post().uri("/v1/vision/pose").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isOk().expectBody(Pose.class).returnResult().getResponseBody();
  }

  static Point at(Pose p, String name) {
    return p.keypoints().stream().filter(k -> k.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void onePersonCroppedFromAPhotoHasAPlausibleSkeleton() {
    // sample1.jpg: the woman in the middle, head to feet (540x1000)
    RgbImage person = TestImages.sample(1).crop(620, 280, 540, 1000);
    Pose p = pose(person, null);
    assertThat(p.paradigm()).isEqualTo("regression");
    assertThat(p.keypoints()).hasSize(33);
    assertThat(p.person_score()).isGreaterThan(0.5);
    for (Point k : p.keypoints()) {
      // the crop ends at her ankles: feet may be placed just below it; everything else is inside
      boolean foot = k.name().endsWith("heel") || k.name().endsWith("foot_index");
      if (k.score() >= 0.5 && !foot) {
        assertThat(k.x()).as(k.name()).isBetween(0.0, 540.0);
        assertThat(k.y()).as(k.name()).isBetween(0.0, 1000.0);
      }
      assertThat(k.y()).as(k.name()).isBetween(0.0, 1100.0);
    }
    // head above shoulders above hips above knees above ankles
    double eyes = (at(p, "left_eye").y() + at(p, "right_eye").y()) / 2;
    double shoulders = (at(p, "left_shoulder").y() + at(p, "right_shoulder").y()) / 2;
    double hips = (at(p, "left_hip").y() + at(p, "right_hip").y()) / 2;
    double knees = (at(p, "left_knee").y() + at(p, "right_knee").y()) / 2;
    double ankles = (at(p, "left_ankle").y() + at(p, "right_ankle").y()) / 2;
    assertThat(eyes).isLessThan(at(p, "nose").y());
    assertThat(at(p, "nose").y()).isLessThan(at(p, "mouth_left").y());
    assertThat(at(p, "mouth_left").y()).isLessThan(shoulders);
    assertThat(shoulders).isLessThan(hips);
    assertThat(hips).isLessThan(knees);
    assertThat(knees).isLessThan(ankles);
    // she faces the camera: her left side is on the image's right
    assertThat(at(p, "left_shoulder").x()).isGreaterThan(at(p, "right_shoulder").x());
    assertThat(at(p, "left_hip").x()).isGreaterThan(at(p, "right_hip").x());
    assertThat(at(p, "left_eye").x()).isGreaterThan(at(p, "right_eye").x());
    // proportions of a body: shoulders a fifth to a half of the height from eyes to ankles apart
    double width = at(p, "left_shoulder").x() - at(p, "right_shoulder").x();
    assertThat(width / (ankles - eyes)).isBetween(0.15, 0.5);
    // the nose is on the face the detector finds in the same crop
    assertThat(at(p, "nose").x()).isBetween(at(p, "right_ear").x(), at(p, "left_ear").x());
  }

  @Test
  void aWholeGroupPhotoGivesKeypointsInsideTheImageAndMinScoreFilters() {
    RgbImage photo = TestImages.sample(2);
    Pose all = pose(photo, null);
    Pose confident = pose(photo, "0.9");
    assertThat(all.width()).isEqualTo(photo.width());
    assertThat(confident.keypoints().size()).isLessThan(all.keypoints().size());
    for (Point k : confident.keypoints()) {
      assertThat(k.score()).isGreaterThanOrEqualTo(0.9);
      assertThat(k.x()).isBetween(0.0, (double) photo.width());
      assertThat(k.y()).isBetween(0.0, (double) photo.height());
    }
  }

  @Test
  void badParametersAndImagesAre4xx() {
    client.post().uri("/v1/vision/pose").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image", Base64.getEncoder().encodeToString(TestImages.encode(TestImages.sample(1).crop(0, 0, 64, 64), "png")),
            "min_score", "2"))
        .exchange().expectStatus().isBadRequest()
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.error.param").isEqualTo("min_score");
    client.post().uri("/v1/vision/pose").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("image", Base64.getEncoder().encodeToString("not an image".getBytes())))
        .exchange().expectStatus().is4xxClientError();
  }
}
