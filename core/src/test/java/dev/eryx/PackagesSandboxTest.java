package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Packages in sandboxes (issue 16): the shared tree on {@code sys.path}, {@code importlib.metadata}
 * over it, namespace packages across path entries, read-only, no quota; images that hold packages;
 * saved states that record them. The packages are made in memory ({@link TestPackages}), so this
 * tests the wiring, not the reading of wheels.
 */
class PackagesSandboxTest {
    private static final String SITE = "/usr/local/lib/site-packages";
    private static final PythonPackages V1 = TestPackages.sample("1.0", "a".repeat(64), 256 << 10);
    private static final PythonPackages V2 = TestPackages.sample("2.0", "c".repeat(64), 16);

    /** Same names and versions as {@link #V1}, other files. */
    private static final PythonPackages V1_OTHER_FILES =
            TestPackages.sample("1.0", "d".repeat(64), 16);

    /** What every sandbox with {@link #V1} must see; sets {@code result}. */
    private static final String CHECK =
            """
            import sys
            import mypkg, mypkg2, ns.alpha, ns.beta
            result = {
                'value': mypkg.VALUE,
                'version': mypkg.VERSION,
                'namespace': [ns.alpha.WHO, ns.beta.WHO],
                'tail': sys.path[-2:],
                'sitePackagesEntries': sum(1 for p in sys.path if p.startswith('%s')),
            }
            """
                    .formatted(SITE);

    /**
     * What {@code importlib.metadata} finds on the path. Costs seconds under wasm (it imports
     * email, csv, zipfile, ...), so it runs once.
     */
    private static final String METADATA =
            """
            import importlib.metadata as md
            import mypkg
            eps = md.entry_points(group='eryx.test')
            result = {
                'version': md.version('mypkg'),
                'eggVersion': md.version('mypkg2'),
                'requires': md.requires('mypkg'),
                'entryPoints': sorted(ep.name for ep in eps),
                'entryPointResult': eps['hello'].load()(),
                'distributions': sorted(d.metadata['Name'] for d in md.distributions()),
                'dataBytes': len(open(mypkg.__file__.replace('__init__.py', 'data.bin'), 'rb').read()),
            }
            """;

    private static void assertSeesV1(JsonNode result) {
        assertEquals(42, result.get("value").asInt(), result.toString());
        assertEquals("1.0", result.get("version").asText());
        assertEquals("[\"alpha\",\"beta\"]", result.get("namespace").toString());
        assertEquals("[\"" + SITE + "\",\"" + SITE + "/extra\"]", result.get("tail").toString());
        assertEquals(2, result.get("sitePackagesEntries").asInt());
    }

    @Test
    void packagesImportWithTheirMetadataReadOnlyAndOutsideTheQuota() {
        ResourceLimits smallQuota =
                ResourceLimits.defaults().toBuilder().maxVfsBytes(64 << 10).build();
        String path;
        try (Sandbox sandbox = Sandbox.builder().resourceLimits(smallQuota).packages(V1).build()) {
            assertSeesV1(sandbox.execute(CHECK).result());
            ExecutionResult r = sandbox.execute(METADATA);
            JsonNode metadata = r.result();
            assertEquals("1.0", metadata.get("version").asText(), metadata.toString());
            assertEquals("2.5", metadata.get("eggVersion").asText());
            assertEquals("[\"mypkg2\"]", metadata.get("requires").toString());
            assertEquals("[\"hello\"]", metadata.get("entryPoints").toString());
            assertEquals("hello from mypkg", metadata.get("entryPointResult").asText());
            assertEquals("[\"mypkg\",\"mypkg2\"]", metadata.get("distributions").toString());
            // 256 KiB of package data in a sandbox whose own files may hold 64 KiB: not copied.
            assertEquals(256 << 10, metadata.get("dataBytes").asInt());
            // Imports and reads of the packages are the interpreter's, not effects.
            assertTrue(
                    r.effects().stream().noneMatch(e -> e.target().startsWith(SITE)),
                    r.effects().toString());
            path = sandbox.execute("import sys\nresult = sys.path").result().toString();
            ExecutionResult writes =
                    sandbox.execute(
                            """
                            import errno
                            result = []
                            for path, mode in [('%1$s/new.py', 'w'),
                                               ('%1$s/mypkg/__init__.py', 'a'),
                                               ('%1$s/mypkg/__init__.py', 'r+b')]:
                                try:
                                    open(path, mode).write('x')
                                    result.append('written')
                                except OSError as e:
                                    result.append(errno.errorcode.get(e.errno, str(e.errno)))
                            import os
                            for action in (lambda: os.remove('%1$s/mypkg/__init__.py'),
                                           lambda: os.mkdir('%1$s/d'),
                                           lambda: os.rename('%1$s/mypkg', '%1$s/other')):
                                try:
                                    action()
                                    result.append('changed')
                                except OSError as e:
                                    result.append(errno.errorcode.get(e.errno, str(e.errno)))
                            """
                                    .formatted(SITE));
            for (JsonNode outcome : writes.result()) {
                assertTrue(
                        List.of("EROFS", "EACCES", "EPERM").contains(outcome.asText()),
                        writes.result().toString());
            }
            // After a reset the guest adopts the sandbox again: the same path, once.
            assertTrue(sandbox.reset());
            assertSeesV1(sandbox.execute(CHECK).result());
        }
        try (Sandbox without = Sandbox.builder().build()) {
            ExecutionResult r =
                    without.execute(
                            "import sys, importlib.util\n"
                                    + "result = [importlib.util.find_spec('mypkg') is None,"
                                    + " sys.path + ['%1$s', '%1$s/extra']]".formatted(SITE));
            assertEquals("true", r.result().get(0).toString());
            // Exactly the runtime's and the stdlib's entries, then the packages'.
            assertEquals(r.result().get(1).toString(), path);
        }
    }

    @Test
    void anImageHoldsItsPackagesAndItsPreloadedModules() {
        SandboxImage image = SandboxImage.capture(V1, "mypkg", "ns.beta");
        assertSame(V1, image.packages().orElseThrow());
        assertEquals(List.of("mypkg", "ns.beta"), image.preloadedModules());
        assertFalse(SandboxImage.capture("json").packages().isPresent());
        assertSame(V1, SandboxImage.capture(V1).packages().orElseThrow());
        try (Sandbox sandbox = Sandbox.builder().image(image).build()) {
            // Imported in the image, before any user code asked.
            assertEquals(
                    "[true,true]",
                    sandbox.execute(
                                    "import sys\nresult = ['mypkg' in sys.modules,"
                                            + " 'ns.beta' in sys.modules]")
                            .result()
                            .toString());
            assertSeesV1(sandbox.execute(CHECK).result());
        }
        // Giving the image's own packages again is no mismatch.
        Sandbox.builder().image(image).packages(V1);
        Sandbox.builder().packages(V1).image(image);
        // An image without packages fits any.
        Sandbox.builder().image(SandboxImage.defaultImage()).packages(V2);
    }

    @Test
    void otherPackagesThanTheImagesAreRefusedNamingBoth() {
        SandboxImage image = SandboxImage.capture(V1);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Sandbox.builder().image(image).packages(V2));
        assertEquals(
                "the image was captured with the packages mypkg 1.0, mypkg2 2.5 but the builder"
                        + " was given mypkg 2.0, mypkg2 2.5: give the builder the image's"
                        + " PythonPackages (or leave packages() out to use them), or capture an"
                        + " image with these packages (SandboxImage.capture(packages,"
                        + " modules...))",
                e.getMessage());
        IllegalArgumentException otherOrder =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Sandbox.builder().packages(V2).image(image));
        assertEquals(e.getMessage(), otherOrder.getMessage());
        IllegalArgumentException sameVersions =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Sandbox.builder().image(image).packages(V1_OTHER_FILES));
        assertTrue(
                sameVersions
                        .getMessage()
                        .startsWith(
                                "the image was captured with the packages mypkg 1.0 (sha256"
                                        + " aaaaaaaaaaaa...), mypkg2 2.5 (sha256 bbbbbbbbbbbb...)"
                                        + " but the builder was given mypkg 1.0 (sha256"
                                        + " dddddddddddd...)"),
                sameVersions.getMessage());
        // The refused call changed nothing: the builder still builds with the image's packages.
        Sandbox.Builder builder = Sandbox.builder().image(image);
        assertThrows(IllegalArgumentException.class, () -> builder.packages(V2));
        try (Sandbox sandbox = builder.build()) {
            assertEquals(
                    "1.0",
                    sandbox.execute("import mypkg\nresult = mypkg.VERSION").result().asText());
        }
    }

    @Test
    void aSavedStateRestoresOnlyWithTheSamePackages() {
        byte[] withV1;
        try (Sandbox sandbox = Sandbox.builder().packages(V1).build()) {
            sandbox.execute("import mypkg\nx = mypkg.VALUE + 1");
            withV1 = sandbox.saveState();
        }
        byte[] withNone;
        try (Sandbox sandbox = Sandbox.builder().build()) {
            sandbox.execute("x = 1");
            withNone = sandbox.saveState();
        }
        try (Sandbox restored = Sandbox.builder().packages(V1).restoreFrom(withV1).build()) {
            assertEquals(43, restored.execute("result = x").result().asInt());
            assertSeesV1(restored.execute(CHECK).result());
            // And saved again, the state still records the packages.
            byte[] again = restored.saveState();
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Sandbox.builder().restoreFrom(again).build());
        }
        // Through an image holding the packages, too.
        try (Sandbox restored =
                Sandbox.builder().image(SandboxImage.capture(V1)).restoreFrom(withV1).build()) {
            assertEquals(43, restored.execute("result = x").result().asInt());
        }
        String fix =
                "the saved state was made by a sandbox with other packages; give the builder the"
                        + " same PythonPackages (Sandbox.Builder.packages, or an image holding"
                        + " them): ";
        assertRefused(
                fix + "mypkg 1.0 missing here, mypkg2 2.5 missing here",
                Sandbox.builder().restoreFrom(withV1));
        assertRefused(
                fix + "mypkg 2.0 here but 1.0 in the state",
                Sandbox.builder().packages(V2).restoreFrom(withV1));
        assertRefused(
                fix
                        + "mypkg 1.0 with other files here (sha256 dddddddddddd..., in the state"
                        + " aaaaaaaaaaaa...)",
                Sandbox.builder().packages(V1_OTHER_FILES).restoreFrom(withV1));
        assertRefused(
                fix + "mypkg 1.0 here but not in the state, mypkg2 2.5 here but not in the state",
                Sandbox.builder().packages(V1).restoreFrom(withNone));
        // A state without packages restores as before.
        try (Sandbox restored = Sandbox.builder().restoreFrom(withNone).build()) {
            assertEquals(1, restored.execute("result = x").result().asInt());
        }
    }

    private static void assertRefused(String message, Sandbox.Builder builder) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
        assertEquals(message, e.getMessage());
    }
}
