package dev.latent.vision.models;

import ai.djl.ndarray.NDManager;
import dev.latent.support.problem.ProblemException;
import dev.latent.vision.VisionProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * The vision models under {@code <model-store>/vision/<name>/}. A model is installed when its
 * directory holds the {@code .installed} manifest that {@code ./platform models pull} writes last.
 * Models load on first use and stay loaded; a missing model is a 503 naming the command to run,
 * so the service starts (and stays healthy) without any.
 */
@Component
public class VisionModels implements AutoCloseable {

  /** How a model directory becomes a loaded model. */
  @FunctionalInterface
  public interface Loader<T> {
    T load(Path dir, NDManager manager) throws IOException;
  }

  /** One installed model, as {@code GET /v1/vision/models} lists it. */
  public record Installed(String name, String task, String source, boolean loaded) {}

  private final Path root;
  private final NDManager manager = NDManager.newBaseManager("PyTorch");
  private final Map<String, Object> loaded = new ConcurrentHashMap<>();

  public VisionModels(VisionProperties properties) {
    this.root = properties.modelStore().resolve("vision");
  }

  public Path dir(String name) {
    return root.resolve(name);
  }

  public boolean installed(String name) {
    return Files.isRegularFile(dir(name).resolve(".installed"));
  }

  /** The loaded model, loading it on first use; 503 when it is not installed. */
  @SuppressWarnings("unchecked")
  public <T> T get(String name, Loader<T> loader) {
    if (!installed(name)) {
      throw missing(name);
    }
    return (T) loaded.computeIfAbsent(name, n -> {
      try {
        return loader.load(dir(n), manager);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  public static ProblemException missing(String name) {
    return new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "model-not-installed",
        "Model '" + name + "' is not installed. Run: ./platform models pull " + name,
        "model_not_installed", "model")
        .with("model", name)
        .with("command", "./platform models pull " + name);
  }

  public List<Installed> list() {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<Installed> out = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.sorted().toList()) {
        Path manifest = d.resolve(".installed");
        if (!Files.isRegularFile(manifest)) {
          continue;
        }
        // .installed: one line per file: name, sha256, source, task, licence (tab-separated)
        String[] first = Files.readAllLines(manifest).getFirst().split("\t");
        String name = d.getFileName().toString();
        out.add(new Installed(name, first.length > 3 ? first[3] : "", first.length > 2 ? first[2] : "",
            loaded.containsKey(name)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  @Override
  public void close() {
    for (Object model : loaded.values()) {
      if (model instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception ignored) {
          // shutting down: nothing useful to do with a close failure
        }
      }
    }
    manager.close();
  }
}
