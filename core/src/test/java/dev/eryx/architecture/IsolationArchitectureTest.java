package dev.eryx.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sandbox's isolation as build-breaking rules: only the host-mount class touches the host
 * filesystem, nothing starts processes, opens sockets, reads the host environment or reflects, and
 * only the engine-facing packages see Chicory.
 */
class IsolationArchitectureTest {
    private static final String HOST_MOUNT = "dev.eryx.internal.vfs.host..";
    private static JavaClasses sandboxClasses;

    @BeforeAll
    static void importClasses() {
        sandboxClasses =
                new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        // The AOT-generated module classes are Chicory's output, not sandbox code,
                        // and
                        // importing their ~180k dependencies would take minutes.
                        .withImportOption(location -> !location.contains("wasm-assets"))
                        .importPackages("dev.eryx");
    }

    @Test
    void onlyHostMountsTouchTheHostFilesystem() {
        noClasses()
                .that()
                .resideOutsideOfPackage(HOST_MOUNT)
                .should()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.io.File")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.nio.file.Files")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.io.FileInputStream")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.io.FileOutputStream")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.io.RandomAccessFile")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.nio.channels.FileChannel")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.nio.file.FileSystems")
                .orShould()
                .callMethod(
                        java.nio.file.Path.class, "toRealPath", java.nio.file.LinkOption[].class)
                .orShould()
                .callMethod(java.nio.file.Path.class, "toFile")
                .because("guest file access must go through the VFS and the confined host mount")
                .check(sandboxClasses);
    }

    @Test
    void nothingStartsProcessesOrReadsTheHostEnvironment() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.lang.ProcessBuilder")
                .orShould()
                .callMethod(Runtime.class, "exec", String.class)
                .orShould()
                .callMethod(Runtime.class, "exec", String[].class)
                .orShould()
                .callMethod(System.class, "getenv")
                .orShould()
                .callMethod(System.class, "getenv", String.class)
                .orShould()
                .callMethod(System.class, "getProperty", String.class)
                .orShould()
                .callMethod(System.class, "getProperty", String.class, String.class)
                .orShould()
                .callMethod(System.class, "getProperties")
                .because("the guest sees only what the sandbox's builder grants")
                .check(sandboxClasses);
    }

    @Test
    void nothingOpensSocketsOrReflects() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAPackage("java.net..")
                .orShould()
                .dependOnClassesThat()
                .resideInAPackage("java.nio.channels.spi..")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("java.nio.channels.SocketChannel")
                .orShould()
                .dependOnClassesThat()
                .resideInAPackage("java.lang.reflect..")
                .orShould()
                .callMethod(Class.class, "forName", String.class)
                .because("a sandbox has no network, and reflection would bypass every other rule")
                .check(sandboxClasses);
    }

    @Test
    void onlyTheEngineFacingPackagesSeeChicory() {
        noClasses()
                .that()
                .resideOutsideOfPackages(
                        "dev.eryx.internal.engine..",
                        "dev.eryx.internal.wasi..",
                        "dev.eryx.internal.bridge..",
                        "dev.eryx.internal.imports..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("com.dylibso..")
                .because("a Chicory upgrade or a switch of engine must touch only those packages")
                .check(sandboxClasses);
    }
}
