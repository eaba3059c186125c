package dev.latent.ml.vision.pose;

/** Loads openpnp's bundled OpenCV natives once per JVM. */
final class OpenCvNatives {

  private static boolean loaded;

  private OpenCvNatives() {}

  static synchronized void load() {
    if (!loaded) {
      nu.pattern.OpenCV.loadLocally();
      loaded = true;
    }
  }
}
