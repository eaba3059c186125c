package dev.latent.support.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Arrays;
import java.util.List;

/**
 * The rules every service module is held to; each service's {@code ArchitectureTest} applies them
 * to its own classes (shipped to the services as this module's test-jar).
 */
public final class ServiceArchitecture {

  /** Root packages of the independently deployable services. */
  public static final List<String> SERVICES = List.of(
      "dev.latent.gateway", "dev.latent.inference", "dev.latent.vision", "dev.latent.training");

  private ServiceArchitecture() {}

  public static JavaClasses productionClasses(String rootPackage) {
    return new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages(rootPackage);
  }

  /** A service talks to another one over HTTP only, never through its classes. */
  public static ArchRule dependsOnNoOtherService(String ownPackage) {
    String[] others = SERVICES.stream().filter(s -> !s.equals(ownPackage))
        .map(s -> s + "..").toArray(String[]::new);
    return noClasses().that().resideInAPackage(ownPackage + "..")
        .should().dependOnClassesThat().resideInAnyPackage(others)
        .because("services are deployed on their own; they share code only through libs/ ("
            + Arrays.toString(others) + ")");
  }

  /** Constructor injection only: fields injected by the container hide a class's needs. */
  public static ArchRule noFieldInjection() {
    return noFields()
        .should().beAnnotatedWith("org.springframework.beans.factory.annotation.Autowired")
        .orShould().beAnnotatedWith("org.springframework.beans.factory.annotation.Value")
        .orShould().beAnnotatedWith("jakarta.inject.Inject")
        .because("dependencies are constructor parameters and configuration is a properties record");
  }
}
