package dev.latent.vision.pose;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.latent.ml.vision.RgbImage;
import dev.latent.ml.vision.pose.Keypoint;
import dev.latent.ml.vision.pose.MediaPipePose;
import dev.latent.support.problem.ProblemException;
import dev.latent.vision.batching.Batchers;
import dev.latent.vision.image.ImageRequests;
import dev.latent.vision.models.VisionModels;
import java.util.ArrayList;
import java.util.List;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/vision/pose} (field {@code image}, optional {@code min_score} in [0, 1]) →
 * {@code {model, paradigm, width, height, person_score, keypoints: [{name, x, y, score}]}}.
 * Keypoints below {@code min_score} (default 0) are left out. MediaPipe's person detector does
 * not load in OpenCV DNN, so the whole image goes into the landmark network (letterboxed): one
 * person, who should fill a good part of the picture; crop before sending otherwise.
 */
@RestController
class PoseController {

  static final String MODEL = "mediapipe-pose-full";

  record Point(String name, double x, double y, double score) {}

  record PoseResponse(String model, String paradigm, int width, int height,
      @JsonProperty("person_score") double personScore,
      List<Point> keypoints) {}

  private final ImageRequests requests;
  private final VisionModels models;
  private final Batchers batchers;

  PoseController(ImageRequests requests, VisionModels models, Batchers batchers) {
    this.requests = requests;
    this.models = models;
    this.batchers = batchers;
  }

  @PostMapping("/v1/vision/pose")
  Mono<PoseResponse> pose(ServerWebExchange exchange) {
    return requests.read(exchange, List.of("image"), true).flatMap(form -> {
      double minScore = minScore(form.param("min_score"));
      RgbImage image = form.image("image");
      MediaPipePose pose = models.get(MODEL, (dir, nd) -> MediaPipePose.load(dir));
      return batchers.<RgbImage, MediaPipePose.Result>forModel(MODEL, images -> {
        List<MediaPipePose.Result> out = new ArrayList<>(images.size());
        images.forEach(i -> out.add(pose.detect(i)));
        return out;
      }).submit(image).map(r -> {
        List<Point> points = new ArrayList<>();
        for (Keypoint k : r.keypoints()) {
          if (k.score() >= minScore) {
            points.add(new Point(k.name(), round(k.x()), round(k.y()), round(k.score())));
          }
        }
        return new PoseResponse(MODEL, "regression", image.width(), image.height(), round(r.presence()), points);
      });
    });
  }

  private static double minScore(String value) {
    if (value == null) {
      return 0;
    }
    try {
      double v = Double.parseDouble(value);
      if (v >= 0 && v <= 1) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // falls through to the 400
    }
    throw ProblemException.invalidParameter("min_score", "min_score must be a number in [0, 1]");
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
