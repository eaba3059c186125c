package dev.latent.vision.image;

import dev.latent.ml.vision.RgbImage;
import dev.latent.support.problem.ProblemException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A request's decoded images by field name, and its other (string) parameters. */
public record ImageForm(Map<String, RgbImage> images, Map<String, String> params) {

  public RgbImage image(String field) {
    RgbImage image = images.get(field);
    if (image == null) {
      throw ProblemException.invalidParameter(field,
          "Field '" + field + "' is required: a multipart file, base64 in JSON, or '" + field + "_url'");
    }
    return image;
  }

  public @Nullable String param(String name) {
    return params.get(name);
  }
}
