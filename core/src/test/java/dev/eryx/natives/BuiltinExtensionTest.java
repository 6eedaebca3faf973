package dev.eryx.natives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.abort;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.Sandbox;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * C extension modules built into python.wasm under their dotted names (wasm-assets/build/build.sh,
 * {@code BUILTIN_EXTENSIONS}): MarkupSafe 3.0.3's {@code _speedups}. Its pure-Python part comes
 * from the same Debian source tarball the recipe compiles the C file from, fetched and checked by
 * sha256 into the cache; the test that needs it skips when the mirror cannot be reached.
 */
class BuiltinExtensionTest {
    /** The pin of wasm-assets/build/build.sh's BUILTIN_EXTENSIONS line for markupsafe._speedups. */
    static final DebianSourceTarball MARKUPSAFE =
            new DebianSourceTarball(
                    "m/markupsafe/markupsafe_3.0.3.orig.tar.gz",
                    "722695808f4b6457b320fdc131280796bdceb04ab50fe1795cd540799ebe1698");

    /** A host directory holding the pure-Python package {@code markupsafe/} (from the tarball). */
    static Path markupsafePurePython() {
        try {
            return MARKUPSAFE
                    .extract(
                            "markupsafe-3.0.3-pure",
                            rel -> rel.startsWith("src/markupsafe/") && rel.endsWith(".py"))
                    .resolve("src");
        } catch (DebianSourceTarball.UnavailableException e) {
            return abort("MarkupSafe 3.0.3 source not available: " + e.getMessage());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void thePurePackageFindsItsCompiledPartAsABuiltIn() {
        Path pure = markupsafePurePython();
        try (Sandbox sandbox = Sandbox.builder().mount(pure, "/opt/markupsafe", true).build()) {
            JsonNode r =
                    sandbox.execute(
                                    String.join(
                                            "\n",
                                            "import sys, importlib.util",
                                            "sys.path.insert(0, '/opt/markupsafe')",
                                            "import markupsafe",
                                            "spec = importlib.util.find_spec('markupsafe._speedups')",
                                            "result = {",
                                            "  'listed': 'markupsafe._speedups' in sys.builtin_module_names,",
                                            "  'origin': spec.origin,",
                                            "  'loader': spec.loader.__name__,",
                                            "  'module': markupsafe._speedups.__name__,",
                                            "  'inner': type(markupsafe._escape_inner).__name__,",
                                            "  'same': markupsafe._escape_inner is markupsafe._speedups._escape_inner,",
                                            "  'package': markupsafe.__file__,",
                                            "  'escape': str(markupsafe.escape('<a>')),",
                                            "  'markup': str(markupsafe.Markup('<b>{}</b>').format('<x & y>')),",
                                            "  'plain': markupsafe.escape('no specials') == 'no specials',",
                                            "}"))
                            .result();
            assertEquals(true, r.get("listed").asBoolean(), r.toString());
            assertEquals("built-in", r.get("origin").asText());
            assertEquals("BuiltinImporter", r.get("loader").asText());
            assertEquals("markupsafe._speedups", r.get("module").asText());
            assertEquals("builtin_function_or_method", r.get("inner").asText());
            assertEquals(true, r.get("same").asBoolean());
            assertEquals("/opt/markupsafe/markupsafe/__init__.py", r.get("package").asText());
            assertEquals("&lt;a&gt;", r.get("escape").asText());
            assertEquals("<b>&lt;x &amp; y&gt;</b>", r.get("markup").asText());
            assertEquals(true, r.get("plain").asBoolean());
        }
    }

    /**
     * Without the pure package, {@code import markupsafe._speedups} raises ModuleNotFoundError for
     * the parent (the import system imports {@code markupsafe} first); the built-in itself still
     * loads by its full name, and the interpreter carries on.
     */
    @Test
    void withoutThePurePackageTheImportFailsCleanly() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            JsonNode r =
                    sandbox.execute(
                                    String.join(
                                            "\n",
                                            "import importlib.machinery as m, importlib.util as u",
                                            "try:",
                                            "    import markupsafe._speedups",
                                            "    outcome = 'imported'",
                                            "except ImportError as e:",
                                            "    outcome = f'{type(e).__name__}: {e.name}'",
                                            "spec = m.BuiltinImporter.find_spec('markupsafe._speedups')",
                                            "mod = u.module_from_spec(spec)",
                                            "spec.loader.exec_module(mod)",
                                            "result = [outcome, mod._escape_inner('<&>\"\\'')]"))
                            .result();
            assertEquals("ModuleNotFoundError: markupsafe", r.get(0).asText());
            assertEquals("&lt;&amp;&gt;&#34;&#39;", r.get(1).asText());
            assertEquals(2, sandbox.execute("result = 1 + 1").result().asInt());
        }
    }

    /**
     * The figures of docs/performance.md ("Built-in extension modules"): MarkupSafe's pure fallback
     * ({@code _native}) against the built-in C {@code _speedups} in one sandbox, best of 5 timeit
     * runs. Not a test: run with {@code -Deryx.measure.speedups=true}.
     */
    @Test
    @EnabledIfSystemProperty(named = "eryx.measure.speedups", matches = "true")
    void measureSpeedupsAgainstThePureFallback() {
        Path pure = markupsafePurePython();
        try (Sandbox sandbox = Sandbox.builder().mount(pure, "/opt/markupsafe", true).build()) {
            JsonNode r =
                    sandbox.execute(
                                    String.join(
                                            "\n",
                                            "import sys, timeit",
                                            "sys.path.insert(0, '/opt/markupsafe')",
                                            "import markupsafe._native as pure, markupsafe._speedups as c",
                                            "plain = 'The quick brown fox jumps over the lazy dog. ' * 100",
                                            "special = '<a href=\"x\">Tom & \"Jerry\"</a> and more text. ' * 100",
                                            "assert pure._escape_inner(special) == c._escape_inner(special)",
                                            "result = {}",
                                            "for label, s in (('plain', plain), ('special', special)):",
                                            "    for impl, f in (('pure', pure._escape_inner), ('C', c._escape_inner)):",
                                            "        t = timeit.Timer(lambda: f(s))",
                                            "        n, _ = t.autorange()",
                                            "        result[f'{label} {impl} us'] = round(min(t.repeat(5, n)) / n * 1e6, 1)",
                                            "    result[f'{label} chars'] = len(s)",
                                            "    result[f'{label} ratio'] = round(result[f'{label} pure us'] / result[f'{label} C us'], 1)"))
                            .result();
            System.out.println("[speedups] " + r);
        }
    }
}
