package dev.eryx.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sandbox's isolation as build-breaking rules: only the host-mount class touches the host
 * filesystem, nothing starts processes, opens sockets, reads the host environment or reflects, and
 * only the engine-facing packages see Chicory. And the layering: the WASI and VFS layers know
 * nothing of the public API, internal packages do not depend on each other in a cycle, and no
 * internal type appears in the public API's signatures.
 */
class IsolationArchitectureTest {
    private static final String HOST_MOUNT = "dev.eryx.internal.vfs.host..";

    /** Reads the host's package sources, for the host, once, before any guest runs. */
    private static final String PACKAGE_READING = "dev.eryx.internal.packages..";

    /** The host side of the guest's network, where every connection is checked against policy. */
    private static final String NETWORK = "dev.eryx.internal.net..";

    /** Its public policy names proxies and addresses with java.net types. */
    private static final String NETWORK_POLICY = "dev.eryx.NetworkPolicy";

    private static final String API = "dev.eryx";
    private static final String RECORD_READER = "dev.eryx.internal.callbacks.ResultEncoder";
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
                .resideOutsideOfPackages(HOST_MOUNT, PACKAGE_READING)
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
                .that()
                .resideOutsideOfPackages(NETWORK)
                .and()
                .doNotHaveFullyQualifiedName(NETWORK_POLICY)
                .and()
                .doNotHaveFullyQualifiedName(NETWORK_POLICY + "$Builder")
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
                .callMethod(Class.class, "forName", String.class)
                .because(
                        "the host's network is reached only through the policy-checked"
                                + " dev.eryx.internal.net, and reflection would bypass every"
                                + " other rule")
                .check(sandboxClasses);
        // One exception: a record a callback returns is read component by component (its
        // accessors, nothing else), as the issue that bounded callback results asked.
        noClasses()
                .that()
                .doNotHaveFullyQualifiedName(RECORD_READER)
                .should()
                .dependOnClassesThat()
                .resideInAPackage("java.lang.reflect..")
                .because("reflection would bypass every other rule")
                .check(sandboxClasses);
        classes()
                .that()
                .haveFullyQualifiedName(RECORD_READER)
                .should()
                .onlyDependOnClassesThat(
                        DescribedPredicate.not(
                                        JavaClass.Predicates.resideInAPackage(
                                                "java.lang.reflect.."))
                                .or(
                                        JavaClass.Predicates.belongToAnyOf(
                                                java.lang.reflect.RecordComponent.class,
                                                java.lang.reflect.Method.class,
                                                java.lang.reflect.InvocationTargetException.class)))
                .because("it reads records' components, and only that")
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

    @Test
    void theWasiAndVfsLayersKnowNothingOfThePublicApi() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.eryx.internal.wasi..", "dev.eryx.internal.vfs..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage(API)
                .because("they implement WASI and a filesystem, reusable below any API")
                .check(sandboxClasses);
    }

    @Test
    void internalPackagesHaveNoCycles() {
        slices().matching("dev.eryx.internal.(*)..")
                .should()
                .beFreeOfCycles()
                .because("each internal package is a layer that can be read on its own")
                .check(sandboxClasses);
    }

    @Test
    void noInternalTypeInThePublicApi() {
        classes()
                .that()
                .resideInAPackage(API)
                .and()
                .arePublic()
                .should(exposeNoTypeFrom("dev.eryx.internal"))
                .because("dev.eryx.internal is not exported: a user could not name such a type")
                .check(sandboxClasses);
    }

    /**
     * Looks at the supertypes and the public and protected fields, constructors and methods
     * (parameters, return, thrown types, with their type arguments).
     */
    private static ArchCondition<JavaClass> exposeNoTypeFrom(String packagePrefix) {
        return new ArchCondition<>("expose no type from " + packagePrefix + "..") {
            @Override
            public void check(JavaClass owner, ConditionEvents events) {
                List<String> exposed = new ArrayList<>();
                owner.getSuperclass().ifPresent(type -> collect(owner.getName(), type, exposed));
                owner.getInterfaces().forEach(type -> collect(owner.getName(), type, exposed));
                for (JavaMember member : owner.getMembers()) {
                    if (!member.getModifiers().contains(JavaModifier.PUBLIC)
                            && !member.getModifiers().contains(JavaModifier.PROTECTED)) {
                        continue;
                    }
                    if (member instanceof JavaField) {
                        collect(member.getFullName(), ((JavaField) member).getType(), exposed);
                    } else if (member instanceof JavaCodeUnit) {
                        JavaCodeUnit code = (JavaCodeUnit) member;
                        collect(code.getFullName(), code.getReturnType(), exposed);
                        code.getParameterTypes()
                                .forEach(type -> collect(code.getFullName(), type, exposed));
                        code.getExceptionTypes()
                                .forEach(type -> collect(code.getFullName(), type, exposed));
                    }
                }
                for (String violation : exposed) {
                    events.add(SimpleConditionEvent.violated(owner, violation));
                }
            }

            private void collect(String where, JavaType type, List<String> exposed) {
                for (JavaClass raw : type.getAllInvolvedRawTypes()) {
                    String name = raw.getPackageName();
                    if (name.equals(packagePrefix) || name.startsWith(packagePrefix + ".")) {
                        exposed.add(where + " exposes " + raw.getName());
                    }
                }
            }
        };
    }
}
