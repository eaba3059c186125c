package dev.latent.vision.collections;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The embedded default: without {@code spring.r2dbc.url}, collections live in an H2 file under
 * {@code $LATENT_HOME/vision/}. Computed here because the H2 URL needs an absolute path; added last
 * so that a configured PostgreSQL URL wins.
 */
public class CollectionsDatabaseDefaults implements EnvironmentPostProcessor {

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
    if (environment.containsProperty("spring.r2dbc.url")) {
      return;
    }
    String home = environment.getProperty("latent.home", environment.getProperty("LATENT_HOME", "data"));
    Path file = Path.of(home).toAbsolutePath().normalize().resolve("vision").resolve("collections");
    Map<String, Object> defaults = new LinkedHashMap<>();
    defaults.put("spring.r2dbc.url",
        "r2dbc:h2:file:///" + file + ";DATABASE_TO_LOWER=TRUE;MODE=PostgreSQL");
    defaults.put("spring.r2dbc.username", "sa");
    defaults.put("spring.r2dbc.password", "");
    // H2 runs statements on the calling thread: one connection keeps them serial.
    defaults.put("spring.r2dbc.pool.max-size", "1");
    defaults.put("spring.r2dbc.pool.initial-size", "1");
    environment.getPropertySources().addLast(new MapPropertySource("latent-vision-collections", defaults));
  }
}
