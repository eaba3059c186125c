package dev.latent.support.arch;

import org.junit.jupiter.api.Test;

class SupportArchitectureTest {

  @Test
  void supportIsNoServiceAndInjectsNoFields() {
    var classes = ServiceArchitecture.productionClasses("dev.latent.support");
    ServiceArchitecture.noFieldInjection().check(classes);
    ServiceArchitecture.dependsOnNoOtherService("dev.latent.support").check(classes);
  }
}
