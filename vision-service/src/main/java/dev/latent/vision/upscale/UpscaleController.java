package dev.latent.vision.upscale;

import dev.latent.ml.vision.Esrgan;
import dev.latent.ml.vision.Resampling;
import dev.latent.ml.vision.RgbImage;
import dev.latent.ml.vision.sr.Espcn;
import dev.latent.support.problem.ProblemException;
import dev.latent.vision.batching.Batchers;
import dev.latent.vision.image.ImageRequests;
import dev.latent.vision.image.VisionExecutor;
import dev.latent.vision.models.VisionModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/vision/upscale} {@code {image, scale: 2|3|4, method}} → PNG. Interpolation runs
 * on the CPU pool; {@code esrgan} runs the model {@code esrgan-slim-x<scale>} through its batcher
 * (batches of one image each: inputs differ in size). {@code espcn} runs {@code espcn-x<scale>},
 * the platform's own ESPCN ({@code dev.latent.ml.vision.sr}), installed by
 * {@code ./platform models pull espcn-x<scale>} (weights trained here, kept in the repo) or
 * retrained by {@code ./platform train espcn}; missing → 503 naming both commands.
 */
@RestController
class UpscaleController {

  private static final Set<String> METHODS = Set.of("nearest", "bilinear", "bicubic", "espcn", "esrgan");

  private final ImageRequests requests;
  private final VisionExecutor executor;
  private final VisionModels models;
  private final Batchers batchers;
  private final UpscaleProperties properties;

  UpscaleController(ImageRequests requests, VisionExecutor executor, VisionModels models, Batchers batchers,
      UpscaleProperties properties) {
    this.requests = requests;
    this.executor = executor;
    this.models = models;
    this.batchers = batchers;
    this.properties = properties;
  }

  @PostMapping(value = "/v1/vision/upscale", produces = {MediaType.IMAGE_PNG_VALUE, MediaType.APPLICATION_PROBLEM_JSON_VALUE})
  Mono<ResponseEntity<byte[]>> upscale(ServerWebExchange exchange) {
    return requests.read(exchange, List.of("image"), true).flatMap(form -> {
      int scale = scale(form.param("scale"));
      String method = form.param("method") == null ? "bicubic" : form.param("method").toLowerCase(Locale.ROOT);
      if (!METHODS.contains(method)) {
        throw ProblemException.invalidParameter("method", "method must be one of " + METHODS);
      }
      RgbImage image = form.image("image");
      long out = (long) image.width() * image.height() * scale * scale;
      if (out > properties.maxOutputPixels()) {
        throw new ProblemException(HttpStatus.CONTENT_TOO_LARGE, "image-too-large",
            "The result would have " + out + " pixels; the limit is " + properties.maxOutputPixels(),
            "image_too_large", "image");
      }
      Mono<RgbImage> result = switch (method) {
        case "espcn" -> espcn(image, scale);
        case "esrgan" -> esrgan(image, scale);
        default -> executor.call(() -> Resampling.parse(method)
            .resize(image, image.width() * scale, image.height() * scale));
      };
      return result.flatMap(r -> executor.call(() -> png(r)))
          .map(png -> ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(png));
    });
  }

  private Mono<RgbImage> esrgan(RgbImage image, int scale) {
    if ((long) image.width() * image.height() > properties.maxInputPixels()) {
      throw new ProblemException(HttpStatus.CONTENT_TOO_LARGE, "image-too-large",
          "esrgan takes at most " + properties.maxInputPixels() + " input pixels", "image_too_large", "image");
    }
    String name = "esrgan-slim-x" + scale;
    Esrgan model = models.get(name, (dir, nd) -> Esrgan.load(dir, nd, scale));
    return batchers.<RgbImage, RgbImage>forModel(name, images -> {
      List<RgbImage> out = new ArrayList<>(images.size());
      images.forEach(i -> out.add(model.upscale(i)));
      return out;
    }).submit(image);
  }

  private Mono<RgbImage> espcn(RgbImage image, int scale) {
    if ((long) image.width() * image.height() > properties.maxInputPixels()) {
      throw new ProblemException(HttpStatus.CONTENT_TOO_LARGE, "image-too-large",
          "espcn takes at most " + properties.maxInputPixels() + " input pixels", "image_too_large", "image");
    }
    String name = "espcn-x" + scale;
    if (!models.installed(name)) {
      throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "model-not-installed",
          "Model '" + name + "' is not installed. Run: ./platform models pull " + name
              + " (the weights trained here), or ./platform train espcn to train them again",
          "model_not_installed", "model")
          .with("model", name)
          .with("command", "./platform models pull " + name);
    }
    Espcn model = models.get(name, Espcn::load);
    return batchers.<RgbImage, RgbImage>forModel(name, images -> {
      List<RgbImage> out = new ArrayList<>(images.size());
      images.forEach(i -> out.add(model.upscale(i)));
      return out;
    }).submit(image);
  }

  private static int scale(String value) {
    if (value == null) {
      return 2;
    }
    return switch (value) {
      case "2" -> 2;
      case "3" -> 3;
      case "4" -> 4;
      default -> throw ProblemException.invalidParameter("scale", "scale must be 2, 3 or 4");
    };
  }

  private static byte[] png(RgbImage image) {
    try {
      var out = new ByteArrayOutputStream();
      ImageIO.write(image.toBufferedImage(), "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
