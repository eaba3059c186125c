package dev.latent.vision.models;

import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
class ModelsController {

  record ModelsResponse(String object, List<VisionModels.Installed> data) {}

  private final VisionModels models;

  ModelsController(VisionModels models) {
    this.models = models;
  }

  @GetMapping("/v1/vision/models")
  ModelsResponse list() {
    return new ModelsResponse("list", models.list());
  }
}
