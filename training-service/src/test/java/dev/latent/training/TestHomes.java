package dev.latent.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** Each test class gets its own {@code latent.home} under target/, emptied before its context starts. */
public final class TestHomes {

  private TestHomes() {}

  public static void wipe(Path home) throws IOException {
    if (Files.exists(home)) {
      try (var walk = Files.walk(home)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
