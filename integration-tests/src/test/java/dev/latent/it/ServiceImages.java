package dev.latent.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/** Containers of the platform's services, built from their jars with the one image recipe, k8s/image/Dockerfile. */
final class ServiceImages {

  static final Path ROOT = Path.of(System.getProperty("latent.root", "..")).toAbsolutePath().normalize();

  private ServiceImages() {}

  /** A container of {@code module} (e.g. {@code gateway}) listening on {@code port}. */
  static GenericContainer<?> service(String module, int port, Network network, String alias) {
    Path jar = ROOT.resolve(module).resolve("target").resolve(module + ".jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: build the module before the integration tests");
    }
    var image = new ImageFromDockerfile("latent-it/" + module, false)
        .withFileFromPath("Dockerfile", ROOT.resolve("k8s/image/Dockerfile"))
        .withFileFromPath("target/" + module + ".jar", jar)
        .withBuildArg("SERVICE", module)
        .withBuildArg("PORT", Integer.toString(port));
    return new GenericContainer<>(image)
        .withNetwork(network)
        .withNetworkAliases(alias)
        .withExposedPorts(port)
        .withEnv("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=25 -XX:TieredStopAtLevel=1")
        .waitingFor(Wait.forHttp("/actuator/health/readiness").forStatusCode(200)
            .withStartupTimeout(Duration.ofMinutes(3)));
  }
}
