package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PythonPackages.Builder#precompile()}: bytecode compiled by the guest's CPython, in the
 * shared layer beside each source, loaded by the import system instead of compiling; a file that
 * does not compile is a warning; the identities stay those of the sources.
 */
class PrecompiledPackagesTest {
    private static final String SITE = "/usr/local/lib/site-packages";

    @TempDir static Path tree;

    private static PythonPackages plain;
    private static PythonPackages precompiled;

    /**
     * Imports the modules with a spy on the one method the import system compiles source with, and
     * reads back the header of each module's cached bytecode. Sets {@code result}.
     */
    private static final String PROBE =
            """
            import sys, importlib.util, inspect
            import importlib._bootstrap_external as be
            compiled = []
            original = be.SourceLoader.source_to_code
            def spy(self, data, path, *args, **kwargs):
                compiled.append(path)
                return original(self, data, path, *args, **kwargs)
            be.SourceLoader.source_to_code = spy
            import demo, top
            try:
                import demo.tests.py2
                py2 = 'imported'
            except SyntaxError as e:
                py2 = 'SyntaxError'
            be.SourceLoader.source_to_code = original
            headers = {}
            for name in ('demo', 'demo.sub', 'top'):
                cached = sys.modules[name].__spec__.cached
                try:
                    with open(cached, 'rb') as f:
                        header = f.read(16)
                    headers[name] = {
                        'cached': cached,
                        'magic': header[:4] == importlib.util.MAGIC_NUMBER,
                        'flags': int.from_bytes(header[4:8], 'little'),
                    }
                except FileNotFoundError:
                    headers[name] = None
            result = {
                'value': demo.VALUE,
                'top': top.T,
                'compiled': sorted(p.removeprefix('%s/') for p in compiled),
                'py2': py2,
                'headers': headers,
                'source': inspect.getsource(sys.modules['demo.sub']),
            }
            """
                    .formatted(SITE);

    @BeforeAll
    static void packages() throws IOException {
        write("demo/__init__.py", "from demo import sub\nVALUE = sub.X + 1\n");
        write("demo/sub.py", "X = 41\n");
        write("demo/tests/__init__.py", "");
        write("demo/tests/py2.py", "print 'a Python 2 test'\n");
        // Too deep for the guest's parser: a MemoryError in the guest, not a crash.
        write("demo/tests/deep.py", "x = " + "(".repeat(190) + "1" + ")".repeat(190) + "\n");
        write("top.py", "T = 'top'\n");
        write("demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n");
        write("demo-1.0.dist-info/top_level.txt", "demo\ntop\n");
        plain = PythonPackages.of(tree);
        precompiled = PythonPackages.builder().add(tree).precompile().build();
    }

    private static void write(String path, String content) throws IOException {
        Path file = tree.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    @Test
    void theLayerHoldsUncheckedHashBytecodeBesideEverySourceThatCompiles() {
        try (Sandbox sandbox = Sandbox.builder().packages(precompiled).build()) {
            SandboxFiles files = sandbox.files();
            List<String> pyc = new ArrayList<>();
            for (String dir : List.of("demo", "demo/tests", "")) {
                String cache = SITE + (dir.isEmpty() ? "" : "/" + dir) + "/__pycache__";
                for (String name : files.list(cache)) {
                    pyc.add((dir.isEmpty() ? "" : dir + "/") + "__pycache__/" + name);
                    byte[] header = files.read(cache + "/" + name);
                    assertEquals(1, header[4], name + ": flags hash-based, unchecked");
                }
            }
            assertEquals(
                    List.of(
                            "demo/__pycache__/__init__.cpython-314.pyc",
                            "demo/__pycache__/sub.cpython-314.pyc",
                            "demo/tests/__pycache__/__init__.cpython-314.pyc",
                            "__pycache__/top.cpython-314.pyc"),
                    pyc);
            assertTrue(files.exists(SITE + "/demo/tests/py2.py"), "sources stay");
            assertFalse(files.exists(SITE + "/demo/tests/__pycache__/py2.cpython-314.pyc"));
        }
        try (Sandbox sandbox = Sandbox.builder().packages(plain).build()) {
            assertFalse(sandbox.files().exists(SITE + "/demo/__pycache__"));
        }
    }

    @Test
    void importsLoadTheBytecodeInsteadOfCompiling() {
        JsonNode withBytecode;
        JsonNode without;
        try (Sandbox sandbox = Sandbox.builder().packages(precompiled).build()) {
            withBytecode = sandbox.execute(PROBE).result();
        }
        try (Sandbox sandbox = Sandbox.builder().packages(plain).build()) {
            without = sandbox.execute(PROBE).result();
        }
        // Without bytecode the guest compiles every module it imports (and writes none).
        assertEquals(
                List.of(
                        "demo/__init__.py",
                        "demo/sub.py",
                        "demo/tests/__init__.py",
                        "demo/tests/py2.py",
                        "top.py"),
                strings(without.get("compiled")));
        assertTrue(without.get("headers").get("demo").isNull(), without.toString());
        // With it, only the file that has none (it does not compile: the same SyntaxError).
        assertEquals(List.of("demo/tests/py2.py"), strings(withBytecode.get("compiled")));
        for (String module : List.of("demo", "demo.sub", "top")) {
            JsonNode header = withBytecode.get("headers").get(module);
            assertTrue(header.get("magic").asBoolean(), module + ": " + header);
            assertEquals(0b01, header.get("flags").asInt(), module + ": " + header);
            assertTrue(header.get("cached").asText().startsWith(SITE + "/"), header.toString());
        }
        for (JsonNode r : List.of(withBytecode, without)) {
            assertEquals(42, r.get("value").asInt());
            assertEquals("top", r.get("top").asText());
            assertEquals("SyntaxError", r.get("py2").asText());
            assertEquals("X = 41\n", r.get("source").asText(), "inspect reads the source");
        }
    }

    @Test
    void aFileThatDoesNotCompileIsAWarningOfItsDistribution() {
        // The others compiled (theLayerHoldsUncheckedHashBytecodeBesideEverySourceThatCompiles).
        PythonPackages.Distribution demo = precompiled.list().get(0);
        String warnings = String.join("\n", demo.warnings());
        assertTrue(warnings.contains("demo/tests/py2.py"), warnings);
        assertTrue(warnings.contains("SyntaxError"), warnings);
        assertTrue(warnings.contains("demo/tests/deep.py"), warnings);
        assertTrue(warnings.contains("too complex"), warnings);
        assertEquals(2, demo.warnings().size() - plain.list().get(0).warnings().size(), warnings);
    }

    @Test
    void theIdentitiesStayThoseOfTheSources() {
        assertEquals(plain.layer().fingerprint(), precompiled.layer().fingerprint());
        assertEquals(plain.layer().identities(), precompiled.layer().identities());
        assertEquals(plain.layer().pathEntries(), precompiled.layer().pathEntries());
        PythonPackages.Distribution a = plain.list().get(0);
        PythonPackages.Distribution b = precompiled.list().get(0);
        assertEquals(
                Map.of("sha256", a.sha256(), "files", a.files()),
                Map.of("sha256", b.sha256(), "files", b.files()));
        assertNotEquals(
                plain.layer().tree().fileCount(),
                precompiled.layer().tree().fileCount(),
                "the bytecode is in the layer");
    }

    @Test
    void anImageOfThePlainPackagesRunsWithThePrecompiledOnes() {
        SandboxImage image = SandboxImage.capture(plain, "demo.sub");
        try (Sandbox sandbox = Sandbox.builder().image(image).packages(precompiled).build()) {
            JsonNode r = sandbox.execute(PROBE).result();
            // demo.sub came with the image; the rest is imported now, from the bytecode.
            assertEquals(List.of("demo/tests/py2.py"), strings(r.get("compiled")));
            assertEquals(42, r.get("value").asInt());
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> list = new ArrayList<>();
        array.forEach(n -> list.add(n.asText()));
        return list;
    }
}
