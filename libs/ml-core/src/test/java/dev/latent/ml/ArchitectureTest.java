package dev.latent.ml;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class ArchitectureTest {

  @Test
  void mlCoreDependsOnNoSpringAndNoService() {
    var classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.latent.ml");
    noClasses().should().dependOnClassesThat().resideInAnyPackage("org.springframework..")
        .because("ml-core is plain DJL code that trainers and servers both embed")
        .check(classes);
    noClasses().should().dependOnClassesThat().resideInAnyPackage(
            "dev.latent.gateway..", "dev.latent.inference..", "dev.latent.vision..",
            "dev.latent.training..", "dev.latent.support..")
        .check(classes);
  }
}
