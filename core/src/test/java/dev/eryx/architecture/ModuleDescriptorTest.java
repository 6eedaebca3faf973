package dev.eryx.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Sandbox;
import dev.eryx.wasm.PythonModule;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The sealed API as the module descriptors state it. Core's tests run on the class path, where
 * descriptors are not enforced, so they are read here from the compiled classes.
 */
class ModuleDescriptorTest {
    @Test
    void coreExportsOnlyThePublicApiToEveryone() throws Exception {
        ModuleDescriptor core = descriptorOf(Sandbox.class, "dev.eryx");
        Set<String> toEveryone =
                core.exports().stream()
                        .filter(e -> !e.isQualified())
                        .map(ModuleDescriptor.Exports::source)
                        .collect(Collectors.toSet());
        assertEquals(Set.of("dev.eryx"), toEveryone);
        for (ModuleDescriptor.Exports internal : core.exports()) {
            if (internal.isQualified()) {
                assertTrue(internal.source().startsWith("dev.eryx.internal."), internal::toString);
                assertEquals(Set.of("dev.eryx.bench"), internal.targets(), internal::toString);
            }
        }
        assertFalse(core.isOpen());
        assertTrue(core.opens().isEmpty(), () -> "opens " + core.opens());
    }

    @Test
    void theGuestAssetsAreOpenSoCoreCanReadThem() throws Exception {
        ModuleDescriptor assets = descriptorOf(PythonModule.class, "dev.eryx.wasm");
        assertTrue(
                assets.opens().stream()
                        .anyMatch(o -> o.source().equals("dev.eryx.wasm") && !o.isQualified()),
                () -> "opens " + assets.opens());
    }

    /** The descriptor of the module (a jar or a class directory) that {@code type} comes from. */
    private static ModuleDescriptor descriptorOf(Class<?> type, String name) throws Exception {
        Path location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        return ModuleFinder.of(location)
                .find(name)
                .orElseThrow(() -> new AssertionError("no module " + name + " in " + location))
                .descriptor();
    }
}
