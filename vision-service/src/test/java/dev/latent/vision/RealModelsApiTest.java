package dev.latent.vision;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The running service on the real models the build fetched ({@link TestImages#modelStore()}), with
 * photos up to 4 MP. Every subclass sees the same properties, so they share one application context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "60s")
public abstract class RealModelsApiTest {

  private static final Path HOME = newHome();

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("latent.home", HOME::toString);
    registry.add("latent.vision.model-store", () -> TestImages.modelStore().toString());
    registry.add("latent.vision.images.max-pixels", () -> "4000000");
  }

  @Autowired
  protected WebTestClient client;

  private static Path newHome() {
    try {
      return Files.createTempDirectory("vision-api-home");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
