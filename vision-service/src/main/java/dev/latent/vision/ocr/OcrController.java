package dev.latent.vision.ocr;

import dev.latent.ml.vision.PaddleOcr;
import dev.latent.ml.vision.RgbImage;
import dev.latent.vision.batching.Batchers;
import dev.latent.vision.image.ImageRequests;
import dev.latent.vision.models.VisionModels;
import java.util.ArrayList;
import java.util.List;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** {@code POST /v1/vision/ocr} (field {@code image}) → text lines with boxes and scores. */
@RestController
class OcrController {

  static final String MODEL = "ppocr-v4";

  record Box(int x, int y, int width, int height) {}

  record OcrLine(String text, float score, Box box) {}

  record OcrResponse(String text, List<OcrLine> lines) {}

  private final ImageRequests requests;
  private final VisionModels models;
  private final Batchers batchers;

  OcrController(ImageRequests requests, VisionModels models, Batchers batchers) {
    this.requests = requests;
    this.models = models;
    this.batchers = batchers;
  }

  @PostMapping("/v1/vision/ocr")
  Mono<OcrResponse> ocr(ServerWebExchange exchange) {
    return requests.read(exchange, List.of("image"), true).flatMap(form -> {
      PaddleOcr ocr = models.get(MODEL, (dir, nd) -> PaddleOcr.load(dir));
      return batchers.<RgbImage, List<PaddleOcr.Line>>forModel(MODEL, images -> {
        List<List<PaddleOcr.Line>> out = new ArrayList<>(images.size());
        images.forEach(i -> out.add(ocr.read(i)));
        return out;
      }).submit(form.image("image"));
    }).map(lines -> new OcrResponse(
        String.join("\n", lines.stream().map(PaddleOcr.Line::text).toList()),
        lines.stream().map(l -> new OcrLine(l.text(), l.score(), new Box(l.x(), l.y(), l.width(), l.height())))
            .toList()));
  }
}
