package dev.latent.vision.faces;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.vision.faces.*}.
 *
 * @param detector store name of the BlazeFace model ({@code blazeface-back-256} sees smaller
 *     faces than the selfie model {@code blazeface-front-128})
 * @param recognizer store name of the descriptor network
 * @param scoreThreshold lowest detection score kept
 * @param iouThreshold overlap at which weighted NMS merges detections
 * @param samePersonThreshold cosine similarity at or above which verify says "same person"
 */
@ConfigurationProperties("latent.vision.faces")
public record FacesProperties(String detector, String recognizer, float scoreThreshold, float iouThreshold,
    float samePersonThreshold) {

  public FacesProperties {
    if (detector == null || detector.isBlank()) {
      detector = "blazeface-back-256";
    }
    if (recognizer == null || recognizer.isBlank()) {
      recognizer = "face-recognition-128";
    }
    if (scoreThreshold <= 0) {
      scoreThreshold = 0.6f;
    }
    if (iouThreshold <= 0) {
      iouThreshold = 0.3f;
    }
    if (samePersonThreshold <= 0) {
      samePersonThreshold = 0.95f;
    }
  }
}
