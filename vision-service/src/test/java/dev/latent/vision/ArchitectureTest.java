package dev.latent.vision;

import dev.latent.support.arch.ServiceArchitecture;
import org.junit.jupiter.api.Test;

class ArchitectureTest {

  private final com.tngtech.archunit.core.domain.JavaClasses classes =
      ServiceArchitecture.productionClasses("dev.latent.vision");

  @Test
  void dependsOnNoOtherService() {
    ServiceArchitecture.dependsOnNoOtherService("dev.latent.vision").check(classes);
  }

  @Test
  void injectsNoFields() {
    ServiceArchitecture.noFieldInjection().check(classes);
  }
}
