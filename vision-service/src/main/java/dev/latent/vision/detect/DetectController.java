package dev.latent.vision.detect;

import ai.djl.Device;
import dev.latent.ml.vision.RgbImage;
import dev.latent.ml.vision.detr.Detr;
import dev.latent.support.problem.ProblemException;
import dev.latent.vision.VisionProperties;
import dev.latent.vision.batching.Batchers;
import dev.latent.vision.image.ImageRequests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/vision/detect} (field {@code image}; optional {@code threshold} in [0, 1]) →
 * {@code {model, detections: [{label, score, box: {x0, y0, x1, y1}}]}} in the image's pixels,
 * highest score first. The model is the DETR a {@code detection} training job wrote to
 * {@code $LATENT_HOME/models/<latent.vision.detect.model>/}; images go through its dynamic batcher
 * (DETR resizes every input to its side, so any sizes batch together). No NMS: DETR predicts each
 * object once. Missing model → 503 naming {@code ./platform train detr}.
 */
@RestController
class DetectController implements DisposableBean {

  /** One detection on the wire. */
  record Box(double x0, double y0, double x1, double y1) {}

  record Detection(String label, double score, Box box) {}

  record DetectResponse(String model, List<Detection> detections) {}

  private final ImageRequests requests;
  private final Batchers batchers;
  private final DetectProperties properties;
  private final Path dir;
  private volatile @Nullable Detr model;

  DetectController(ImageRequests requests, Batchers batchers, DetectProperties properties, VisionProperties vision) {
    this.requests = requests;
    this.batchers = batchers;
    this.properties = properties;
    this.dir = vision.modelStore().resolve(Objects.requireNonNull(properties.model()));
  }

  @PostMapping("/v1/vision/detect")
  Mono<DetectResponse> detect(ServerWebExchange exchange) {
    return requests.read(exchange, List.of("image"), true).flatMap(form -> {
      double threshold = threshold(form.param("threshold"));
      Detr detr = model();
      String name = Objects.requireNonNull(properties.model());
      return batchers.<RgbImage, List<Detr.Detection>>forModel(name, images -> detr.detect(images, 0))
          .submit(form.image("image"))
          .map(dets -> new DetectResponse(name, dets.stream().filter(d -> d.score() >= threshold)
              .map(d -> new Detection(d.label(), round(d.score()),
                  new Box(round(d.x0()), round(d.y0()), round(d.x1()), round(d.y1()))))
              .toList()));
    });
  }

  private double threshold(@Nullable String value) {
    if (value == null) {
      return Objects.requireNonNull(properties.threshold());
    }
    try {
      double t = Double.parseDouble(value);
      if (t >= 0 && t <= 1) {
        return t;
      }
    } catch (NumberFormatException e) {
      // falls through to the 400
    }
    throw ProblemException.invalidParameter("threshold", "threshold must be a number in [0, 1]");
  }

  private Detr model() {
    Detr m = model;
    if (m != null) {
      return m;
    }
    synchronized (this) {
      if (model == null) {
        if (!Files.isRegularFile(dir.resolve("config.json")) || !Files.isRegularFile(dir.resolve("model.safetensors"))) {
          String name = properties.model();
          throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "model-not-installed",
              "Model '" + name + "' is not in the model store. Run: ./platform train detr (trains it with a "
                  + "training-service detection job and writes " + dir + ")", "model_not_installed", "model")
              .with("model", name)
              .with("command", "./platform train detr");
        }
        model = Detr.load(dir, Device.cpu());
      }
      return Objects.requireNonNull(model);
    }
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  @Override
  public void destroy() {
    Detr m = model;
    if (m != null) {
      m.close();
    }
  }
}
