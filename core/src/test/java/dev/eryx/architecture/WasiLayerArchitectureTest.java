package dev.eryx.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * WASI and the VFS are the bottom layer: they speak in WASI terms (paths, descriptors, errnos) and
 * report to listeners, and know nothing of the public API built on them (effects, results).
 */
class WasiLayerArchitectureTest {
    @Test
    void wasiAndVfsDoNotDependOnThePublicApi() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.eryx.internal.wasi..", "dev.eryx.internal.vfs..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.eryx")
                .because("the layer above converts WASI events into its own records")
                .check(
                        new ClassFileImporter()
                                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                                .importPackages("dev.eryx.internal.wasi", "dev.eryx.internal.vfs"));
    }
}
