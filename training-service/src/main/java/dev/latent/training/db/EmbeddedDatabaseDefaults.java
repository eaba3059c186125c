package dev.latent.training.db;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Without {@code spring.r2dbc.url}, files/jobs/events/checkpoints live in an H2 file at
 * {@code $LATENT_HOME/training/db}. Computed here because H2 wants an absolute path; added last so
 * a configured PostgreSQL ({@code spring.r2dbc.url} + {@code spring.flyway.url}) wins.
 */
public class EmbeddedDatabaseDefaults implements EnvironmentPostProcessor {

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
    if (env.containsProperty("spring.r2dbc.url")) {
      return;
    }
    String home = env.getProperty("latent.home", env.getProperty("LATENT_HOME", "data"));
    Path file = Path.of(home).toAbsolutePath().normalize().resolve("training").resolve("db");
    String options = ";DATABASE_TO_LOWER=TRUE;MODE=PostgreSQL";
    Map<String, Object> defaults = new LinkedHashMap<>();
    defaults.put("spring.r2dbc.url", "r2dbc:h2:file:///" + file + options);
    defaults.put("spring.r2dbc.username", "sa");
    defaults.put("spring.r2dbc.password", "");
    if (!env.containsProperty("spring.flyway.url")) {
      defaults.put("spring.flyway.url", "jdbc:h2:file:" + file + options);
      defaults.put("spring.flyway.user", "sa");
      defaults.put("spring.flyway.password", "");
    }
    env.getPropertySources().addLast(new MapPropertySource("latent-training-embedded-db", defaults));
  }
}
