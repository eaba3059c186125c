package dev.latent.vision.collections;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.latent.support.problem.ProblemException;
import dev.latent.vision.faces.FaceEngine;
import dev.latent.vision.faces.FaceJson;
import dev.latent.vision.image.ImageRequests;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

@RestController
class CollectionsController {

  record CreateRequest(String name) {
    CreateRequest {
      if (name == null || name.isBlank() || name.length() > 200) {
        throw ProblemException.invalidParameter("name", "name must be 1 to 200 characters");
      }
    }
  }

  record CollectionResponse(String id, String object, String name, @JsonProperty("created_at") long createdAt) {
    static CollectionResponse of(FaceCollections.Collection c) {
      return new CollectionResponse(c.id(), "face_collection", c.name(), c.createdAt() / 1000);
    }
  }

  record ListResponse(String object, List<CollectionResponse> data) {}

  record FaceAdded(@JsonProperty("face_id") String faceId, String subject, FaceJson face) {}

  record Match(String subject, float similarity, @JsonProperty("face_id") String faceId) {}

  record IdentifyResponse(FaceJson face, List<Match> matches) {}

  private final FaceCollections collections;
  private final FaceEngine engine;
  private final ImageRequests requests;

  CollectionsController(FaceCollections collections, FaceEngine engine, ImageRequests requests) {
    this.collections = collections;
    this.engine = engine;
    this.requests = requests;
  }

  @PostMapping("/v1/vision/collections")
  @ResponseStatus(HttpStatus.CREATED)
  Mono<CollectionResponse> create(@RequestBody CreateRequest request) {
    return collections.create(request.name().strip()).map(CollectionResponse::of);
  }

  @GetMapping("/v1/vision/collections")
  Mono<ListResponse> list() {
    return collections.list().map(CollectionResponse::of).collectList().map(l -> new ListResponse("list", l));
  }

  @GetMapping("/v1/vision/collections/{id}")
  Mono<CollectionResponse> get(@PathVariable String id) {
    return collections.get(id).map(CollectionResponse::of);
  }

  @DeleteMapping("/v1/vision/collections/{id}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  Mono<Void> delete(@PathVariable String id) {
    return collections.delete(id);
  }

  @PostMapping("/v1/vision/collections/{id}/subjects/{subject}/faces")
  @ResponseStatus(HttpStatus.CREATED)
  Mono<FaceAdded> addFace(@PathVariable String id, @PathVariable String subject, ServerWebExchange exchange) {
    if (subject.isBlank() || subject.length() > 200) {
      throw ProblemException.invalidParameter("subject", "subject must be 1 to 200 characters");
    }
    return collections.get(id)
        .then(requests.read(exchange, List.of("image"), true))
        .flatMap(form -> engine.describeMainFace(form.image("image"), "image"))
        .flatMap(f -> collections.addExample(id, subject, f.descriptor())
            .map(faceId -> new FaceAdded(faceId, subject, FaceJson.of(f.face()))));
  }

  @DeleteMapping("/v1/vision/collections/{id}/subjects/{subject}/faces/{faceId}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  Mono<Void> deleteFace(@PathVariable String id, @PathVariable String subject, @PathVariable String faceId) {
    return collections.deleteExample(id, subject, faceId);
  }

  /** Top-k subjects by their best example's cosine similarity to the main face of the image. */
  @PostMapping("/v1/vision/collections/{id}/identify")
  Mono<IdentifyResponse> identify(@PathVariable String id, ServerWebExchange exchange) {
    return collections.get(id)
        .then(requests.read(exchange, List.of("image"), true))
        .flatMap(form -> {
          int topK = topK(form.param("top_k"));
          return engine.describeMainFace(form.image("image"), "image").flatMap(probe ->
              collections.examples(id).collectList().map(examples -> {
                Map<String, Match> best = new HashMap<>();
                for (var e : examples) {
                  float sim = FaceEngine.cosine(probe.descriptor(), e.descriptor());
                  best.merge(e.subject(), new Match(e.subject(), sim, e.id()),
                      (a, b) -> a.similarity() >= b.similarity() ? a : b);
                }
                List<Match> top = best.values().stream()
                    .sorted(Comparator.comparingDouble(Match::similarity).reversed())
                    .limit(topK).toList();
                return new IdentifyResponse(FaceJson.of(probe.face()), top);
              }));
        });
  }

  private static int topK(String value) {
    if (value == null) {
      return 5;
    }
    try {
      int k = Integer.parseInt(value);
      if (k >= 1 && k <= 100) {
        return k;
      }
    } catch (NumberFormatException ignored) {
      // falls through to the 400 below
    }
    throw ProblemException.invalidParameter("top_k", "top_k must be an integer from 1 to 100");
  }
}
