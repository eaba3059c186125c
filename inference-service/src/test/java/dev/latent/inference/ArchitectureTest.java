package dev.latent.inference;

import dev.latent.support.arch.ServiceArchitecture;
import org.junit.jupiter.api.Test;

class ArchitectureTest {

  private final com.tngtech.archunit.core.domain.JavaClasses classes =
      ServiceArchitecture.productionClasses("dev.latent.inference");

  @Test
  void dependsOnNoOtherService() {
    ServiceArchitecture.dependsOnNoOtherService("dev.latent.inference").check(classes);
  }

  @Test
  void onlyTheRuntimeTouchesDjlAndTheEngine() {
    com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses()
        .that().resideOutsideOfPackage("dev.latent.inference.runtime..")
        .should().dependOnClassesThat().resideInAnyPackage("ai.djl..", "dev.latent.ml.llm..")
        .because("models, predictors and NDArrays live on the runtime's own executors")
        .check(classes);
  }

  @Test
  void injectsNoFields() {
    ServiceArchitecture.noFieldInjection().check(classes);
  }
}
