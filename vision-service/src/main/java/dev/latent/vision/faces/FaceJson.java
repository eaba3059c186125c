package dev.latent.vision.faces;

import dev.latent.ml.vision.FaceDetection;
import java.util.ArrayList;
import java.util.List;

/** Wire shapes of a detected face: box in image pixels, score, named landmarks. */
public record FaceJson(Box box, float score, List<Landmark> landmarks) {

  public record Box(float x, float y, float width, float height) {}

  public record Landmark(String type, float x, float y) {}

  private static final String[] NAMES = {"right_eye", "left_eye", "nose_tip", "mouth_center", "right_ear", "left_ear"};

  public static FaceJson of(FaceDetection d) {
    List<Landmark> marks = new ArrayList<>(NAMES.length);
    for (int k = 0; k < NAMES.length; k++) {
      marks.add(new Landmark(NAMES[k], round(d.keypoints()[2 * k]), round(d.keypoints()[2 * k + 1])));
    }
    return new FaceJson(new Box(round(d.x()), round(d.y()), round(d.width()), round(d.height())),
        Math.round(d.score() * 10000) / 10000f, marks);
  }

  private static float round(float v) {
    return Math.round(v * 10) / 10f;
  }
}
