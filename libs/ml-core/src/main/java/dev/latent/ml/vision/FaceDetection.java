package dev.latent.ml.vision;

/**
 * One face in image pixels: box corner + size, score in [0, 1], and BlazeFace's six keypoints as
 * {@code [x0, y0, ... x5, y5]} in the order right eye, left eye, nose tip, mouth centre, right
 * ear, left ear (the subject's right eye is on the image's left in a frontal photo).
 */
public record FaceDetection(float x, float y, float width, float height, float score, float[] keypoints) {

  public static final int KEYPOINTS = 6;

  public float iou(FaceDetection o) {
    float ix = Math.max(0, Math.min(x + width, o.x + o.width) - Math.max(x, o.x));
    float iy = Math.max(0, Math.min(y + height, o.y + o.height) - Math.max(y, o.y));
    float inter = ix * iy;
    float union = width * height + o.width * o.height - inter;
    return union <= 0 ? 0 : inter / union;
  }
}
