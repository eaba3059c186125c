package dev.latent.vision.faces;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.latent.vision.image.ImageRequests;
import java.util.List;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

@RestController
class FacesController {

  record DetectResponse(int width, int height, List<FaceJson> faces) {}

  record VerifyResponse(float similarity, @JsonProperty("same_person") boolean samePerson, float threshold,
      FaceJson face1, FaceJson face2) {}

  private final ImageRequests requests;
  private final FaceEngine engine;

  FacesController(ImageRequests requests, FaceEngine engine) {
    this.requests = requests;
    this.engine = engine;
  }

  @PostMapping("/v1/vision/faces/detect")
  Mono<DetectResponse> detect(ServerWebExchange exchange) {
    return requests.read(exchange, List.of("image"), true).flatMap(form -> {
      var image = form.image("image");
      return engine.detect(image).map(faces ->
          new DetectResponse(image.width(), image.height(), faces.stream().map(FaceJson::of).toList()));
    });
  }

  @PostMapping("/v1/vision/faces/verify")
  Mono<VerifyResponse> verify(ServerWebExchange exchange) {
    return requests.read(exchange, List.of("image1", "image2"), true).flatMap(form ->
        Mono.zip(engine.describeMainFace(form.image("image1"), "image1"),
                engine.describeMainFace(form.image("image2"), "image2"))
            .map(t -> {
              float sim = FaceEngine.cosine(t.getT1().descriptor(), t.getT2().descriptor());
              float threshold = engine.properties().samePersonThreshold();
              return new VerifyResponse(sim, sim >= threshold, threshold,
                  FaceJson.of(t.getT1().face()), FaceJson.of(t.getT2().face()));
            }));
  }
}
