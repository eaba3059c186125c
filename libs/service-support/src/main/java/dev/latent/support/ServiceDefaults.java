package dev.latent.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.PropertiesPropertySourceLoader;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.io.ClassPathResource;

/**
 * Adds {@code latent-service-defaults.properties} as the lowest-precedence property source, so
 * every service shares the same actuator, probe, logging and OpenAPI settings and each service's
 * own {@code application.yaml} stays about the service.
 */
public class ServiceDefaults implements EnvironmentPostProcessor {

  private static final String NAME = "latent-service-defaults.properties";

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication app) {
    try {
      for (var source : new PropertiesPropertySourceLoader().load(NAME, new ClassPathResource(NAME))) {
        environment.getPropertySources().addLast(source);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
