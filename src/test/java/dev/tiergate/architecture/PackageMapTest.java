package dev.tiergate.architecture;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures;
import org.junit.jupiter.api.Test;

/** DESIGN.md's package map, enforced: who may import whom among the gateway's own packages. */
class PackageMapTest {
  static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.tiergate");

  @Test
  void layersOnlyUseWhatTheMapAllows() {
    Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("app").definedBy("dev.tiergate.app..")
        .layer("api").definedBy("dev.tiergate.api..")
        .layer("auth").definedBy("dev.tiergate.auth..")
        .layer("lifecycle").definedBy("dev.tiergate.lifecycle..")
        .layer("admission").definedBy("dev.tiergate.admission..")
        .layer("fleet").definedBy("dev.tiergate.fleet..")
        .layer("upstream").definedBy("dev.tiergate.upstream..")
        .layer("metrics").definedBy("dev.tiergate.metrics..")
        .layer("routing").definedBy("dev.tiergate.routing..")
        .layer("stream").definedBy("dev.tiergate.stream..")
        .layer("config").definedBy("dev.tiergate.config..")
        .layer("errors").definedBy("dev.tiergate.errors..")
        .layer("sim").definedBy("dev.tiergate.sim..")
        .layer("bench").definedBy("dev.tiergate.bench..")
        .whereLayer("app").mayNotBeAccessedByAnyLayer()
        .whereLayer("api").mayOnlyBeAccessedByLayers("app")
        .whereLayer("auth").mayOnlyBeAccessedByLayers("app", "api")
        .whereLayer("lifecycle").mayOnlyBeAccessedByLayers("app", "api")
        .whereLayer("admission").mayOnlyBeAccessedByLayers("app", "api")
        .whereLayer("fleet").mayOnlyBeAccessedByLayers("app", "api", "lifecycle", "admission")
        .whereLayer("upstream").mayOnlyBeAccessedByLayers("app", "api", "fleet", "lifecycle")
        .whereLayer("metrics").mayOnlyBeAccessedByLayers("app", "api")
        .whereLayer("routing").mayOnlyBeAccessedByLayers("app", "api", "fleet", "admission")
        .whereLayer("stream").mayOnlyBeAccessedByLayers("app", "api", "upstream", "metrics")
        .whereLayer("config").mayOnlyBeAccessedByLayers("app", "api", "auth", "lifecycle", "admission", "fleet", "upstream", "metrics",
            "routing")
        .whereLayer("errors").mayOnlyBeAccessedByLayers("app", "api", "auth", "lifecycle", "admission", "fleet", "upstream", "metrics",
            "routing", "stream")
        .whereLayer("sim").mayOnlyBeAccessedByLayers("app")
        .whereLayer("bench").mayOnlyBeAccessedByLayers("app")
        .check(MAIN);
  }

  @Test
  void simAndBenchAreOutsiders() {
    noClasses().that().resideInAnyPackage("dev.tiergate.sim..", "dev.tiergate.bench..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.tiergate.api..", "dev.tiergate.auth..", "dev.tiergate.routing..",
            "dev.tiergate.fleet..", "dev.tiergate.lifecycle..", "dev.tiergate.admission..",
            "dev.tiergate.upstream..", "dev.tiergate.stream..", "dev.tiergate.metrics..",
            "dev.tiergate.config..", "dev.tiergate.errors..", "dev.tiergate.app..")
        .check(MAIN);
  }

  @Test
  void noCycles() {
    slices().matching("dev.tiergate.(*)..").should().beFreeOfCycles().check(MAIN);
  }
}
