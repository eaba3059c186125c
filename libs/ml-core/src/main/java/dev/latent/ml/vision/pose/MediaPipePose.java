package dev.latent.ml.vision.pose;

import dev.latent.ml.vision.Resampling;
import dev.latent.ml.vision.RgbImage;
import dev.latent.ml.vision.sr.SrData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.dnn.Dnn;
import org.opencv.dnn.Net;

/**
 * MediaPipe pose landmark (BlazePose GHUM 3D, "full" variant) from {@code @mediapipe/pose}'s
 * TFLite file, run by OpenCV DNN. The network <b>regresses</b> landmark coordinates directly: its
 * output {@code Identity} holds 39 × (x, y, z, visibility, presence) in input pixels (33 body
 * landmarks + 6 auxiliary points used by MediaPipe's tracker, dropped here); a 64×64 heatmap output
 * exists too (MediaPipe uses it only to refine the regressed points; training used it as an
 * auxiliary target). Visibility and presence are logits (sigmoid here); {@code Identity_1} is the
 * probability that a person is in the input.
 *
 * <p>MediaPipe normally crops the input with its pose <i>detector</i>, whose TFLite file does not
 * load in OpenCV DNN (unsupported op). Here the whole image is letterboxed into the 256×256 input
 * (centred, zero padding), which works when one person fills a good part of the picture; callers
 * may crop first.
 */
public final class MediaPipePose implements AutoCloseable {

  /** The 33 BlazePose body landmarks, in output order. */
  public static final List<String> NAMES = List.of("nose", "left_eye_inner", "left_eye", "left_eye_outer",
      "right_eye_inner", "right_eye", "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
      "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
      "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
      "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
      "right_foot_index");

  /** The store file name of the network. */
  public static final String FILE = "pose_landmark_full.tflite";

  private static final int SIZE = 256;

  /** Landmarks in image pixels and the network's person-presence probability. */
  public record Result(List<Keypoint> keypoints, double presence) {}

  private final Net net;

  private MediaPipePose(Net net) {
    this.net = net;
  }

  public static MediaPipePose load(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException("no " + FILE + " in " + dir);
    }
    OpenCvNatives.load();
    Net net = Dnn.readNetFromTFLite(file.toString());
    if (net.empty()) {
      throw new IOException("OpenCV could not read " + file);
    }
    return new MediaPipePose(net);
  }

  /** Landmarks of the (one) person in the image, letterboxed whole into the network input. */
  public Result detect(RgbImage image) {
    int side = Math.max(image.width(), image.height());
    double scale = (double) SIZE / side;
    RgbImage src = image;
    int shrink = side / SIZE; // area-average first so the bilinear resize does not alias
    if (shrink > 1) {
      src = SrData.boxDownscale(image, shrink);
    }
    int w = Math.max(1, (int) Math.round(image.width() * scale));
    int h = Math.max(1, (int) Math.round(image.height() * scale));
    RgbImage small = Resampling.BILINEAR.resize(src, w, h);
    int padX = (SIZE - w) / 2;
    int padY = (SIZE - h) / 2;
    float[] chw = new float[3 * SIZE * SIZE];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < 3; c++) {
          chw[c * SIZE * SIZE + (y + padY) * SIZE + (x + padX)] = small.get(x, y, c) / 255f;
        }
      }
    }
    float[] landmarks = new float[195];
    float[] flag = new float[1];
    synchronized (this) { // an OpenCV Net is not thread-safe
      Mat blob = new Mat(new int[] {1, 3, SIZE, SIZE}, CvType.CV_32F);
      try {
        blob.put(new int[] {0, 0, 0, 0}, chw);
        net.setInput(blob);
        List<Mat> outs = new ArrayList<>();
        net.forward(outs, List.of("Identity", "Identity_1"));
        outs.get(0).reshape(1, 1).get(0, 0, landmarks);
        outs.get(1).reshape(1, 1).get(0, 0, flag);
        outs.forEach(Mat::release);
      } finally {
        blob.release();
      }
    }
    List<Keypoint> out = new ArrayList<>(NAMES.size());
    for (int i = 0; i < NAMES.size(); i++) {
      double x = (landmarks[5 * i] - padX) / scale;
      double y = (landmarks[5 * i + 1] - padY) / scale;
      double visibility = sigmoid(landmarks[5 * i + 3]);
      double presence = sigmoid(landmarks[5 * i + 4]);
      out.add(new Keypoint(NAMES.get(i), x, y, Math.min(visibility, presence)));
    }
    return new Result(out, flag[0]);
  }

  private static double sigmoid(double v) {
    return 1 / (1 + Math.exp(-v));
  }

  @Override
  public void close() {
    // Net's native memory is freed by its finalizer-free cleaner in openpnp; nothing else to release
  }
}
