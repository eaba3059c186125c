package dev.latent.training;

import dev.latent.support.arch.ServiceArchitecture;
import org.junit.jupiter.api.Test;

class ArchitectureTest {

  private final com.tngtech.archunit.core.domain.JavaClasses classes =
      ServiceArchitecture.productionClasses("dev.latent.training");

  @Test
  void dependsOnNoOtherService() {
    ServiceArchitecture.dependsOnNoOtherService("dev.latent.training").check(classes);
  }

  @Test
  void injectsNoFields() {
    ServiceArchitecture.noFieldInjection().check(classes);
  }
}
