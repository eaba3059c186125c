package dev.latent.vision.faces;

import dev.latent.ml.vision.FaceAligner;
import dev.latent.ml.vision.FaceDetection;
import dev.latent.ml.vision.FaceDetector;
import dev.latent.ml.vision.FaceRecognitionNet;
import dev.latent.ml.vision.RgbImage;
import dev.latent.support.problem.ProblemException;
import dev.latent.vision.batching.Batchers;
import dev.latent.vision.models.VisionModels;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The face pipeline over the batchers: detection (one batcher for the detector) and descriptors
 * (one for the recognizer; alignment happens on its thread, and the crops of a batch go through
 * the network as one tensor, which is where batching pays).
 */
@Component
public class FaceEngine {

  /** A face to describe: the image and the detection whose keypoints align it. */
  record FaceCrop(RgbImage image, FaceDetection face) {}

  private final VisionModels models;
  private final Batchers batchers;
  private final FacesProperties properties;

  public FaceEngine(VisionModels models, Batchers batchers, FacesProperties properties) {
    this.models = models;
    this.batchers = batchers;
    this.properties = properties;
  }

  public FacesProperties properties() {
    return properties;
  }

  public Mono<List<FaceDetection>> detect(RgbImage image) {
    String name = properties.detector();
    FaceDetector detector = models.get(name, (dir, nd) -> FaceDetector.load(dir, name.contains("256") ? 256 : 128));
    return batchers.<RgbImage, List<FaceDetection>>forModel(name, images -> {
      List<List<FaceDetection>> out = new ArrayList<>(images.size());
      for (RgbImage img : images) {
        out.add(detector.detect(img, properties.scoreThreshold(), properties.iouThreshold()));
      }
      return out;
    }).submit(image);
  }

  public Mono<float[]> describe(RgbImage image, FaceDetection face) {
    String name = properties.recognizer();
    FaceRecognitionNet net = models.get(name, FaceRecognitionNet::load);
    return batchers.<FaceCrop, float[]>forModel(name, crops -> {
      List<RgbImage> aligned = crops.stream().map(c -> FaceAligner.align(c.image(), c.face().keypoints())).toList();
      return List.of(net.describe(aligned));
    }).submit(new FaceCrop(image, face));
  }

  /** The main face of an image (largest box), 400 naming the field when there is none. */
  public Mono<DescribedFace> describeMainFace(RgbImage image, String field) {
    return detect(image).flatMap(faces -> {
      FaceDetection main = faces.stream()
          .max(Comparator.comparingDouble(f -> f.width() * f.height()))
          .orElseThrow(() -> new ProblemException(org.springframework.http.HttpStatus.BAD_REQUEST, "no-face",
              "No face was found in '" + field + "'", "no_face", field));
      return describe(image, main).map(d -> new DescribedFace(main, d));
    });
  }

  public record DescribedFace(FaceDetection face, float[] descriptor) {}

  public static float cosine(float[] a, float[] b) {
    float dot = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
    }
    return dot; // descriptors are L2-normalised
  }
}
