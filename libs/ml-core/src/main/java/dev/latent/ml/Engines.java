package dev.latent.ml;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/** Device selection shared by inference and training: {@code cpu}, {@code gpu} or {@code auto}. */
public final class Engines {

  private Engines() {}

  /**
   * DJL's PyTorch engine. DJL discovers engines once, with the context class loader of the first
   * thread that touches it; under Spring Boot's launcher a pool thread can carry the system
   * loader, which sees no engine jar, and DJL would then answer "engine not found" for the life
   * of the process. So the lookup runs with ml-core's own loader.
   */
  public static Engine pytorch() {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(Engines.class.getClassLoader());
    try {
      return Engine.getEngine("PyTorch");
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  /**
   * The DJL device for a setting: {@code cpu}; {@code gpu} (fails when the engine sees none, so a
   * misconfigured GPU node is noticed at start); {@code auto} (the first GPU when there is one).
   */
  public static Device device(String setting) {
    Engine engine = pytorch();
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
