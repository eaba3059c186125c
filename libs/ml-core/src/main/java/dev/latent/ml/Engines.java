package dev.latent.ml;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/** Device selection shared by inference and training: {@code cpu}, {@code gpu} or {@code auto}. */
public final class Engines {

  private Engines() {}

  /**
   * The DJL device for a setting: {@code cpu}; {@code gpu} (fails when the engine sees none, so a
   * misconfigured GPU node is noticed at start); {@code auto} (the first GPU when there is one).
   */
  public static Device device(String setting) {
    Engine engine = Engine.getEngine("PyTorch");
    return switch (setting.toLowerCase(Locale.ROOT)) {
      case "cpu" -> Device.cpu();
      case "gpu" -> {
        if (engine.getGpuCount() == 0) {
          throw new IllegalStateException("device=gpu but the PyTorch engine sees no GPU"
              + " (is DJL's CUDA flavour installed? PYTORCH_FLAVOR=cu128)");
        }
        yield Device.gpu();
      }
      case "auto" -> engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
      default -> throw new IllegalArgumentException("device must be cpu, gpu or auto, got " + setting);
    };
  }
}
