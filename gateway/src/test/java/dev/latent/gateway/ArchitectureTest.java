package dev.latent.gateway;

import dev.latent.support.arch.ServiceArchitecture;
import org.junit.jupiter.api.Test;

class ArchitectureTest {

  private final com.tngtech.archunit.core.domain.JavaClasses classes =
      ServiceArchitecture.productionClasses("dev.latent.gateway");

  @Test
  void dependsOnNoOtherService() {
    ServiceArchitecture.dependsOnNoOtherService("dev.latent.gateway").check(classes);
  }

  @Test
  void injectsNoFields() {
    ServiceArchitecture.noFieldInjection().check(classes);
  }
}
