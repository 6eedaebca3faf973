package dev.eryx.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.Import;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The committed artifacts are the ones the recipe recorded, and the module has the agreed shape.
 */
class CommittedAssetsTest {
    private static final Path ASSETS = Path.of("src/main/resources/dev/eryx/wasm");

    @Test
    void artifactsMatchTheirRecordedChecksums() throws IOException, NoSuchAlgorithmException {
        List<String> lines = Files.readAllLines(ASSETS.resolve("SHA256SUMS"));
        assertFalse(lines.isEmpty(), "SHA256SUMS is empty");
        Set<String> checked = new HashSet<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.trim().split("\\s+\\*?", 2);
            Path file = ASSETS.resolve(parts[1]);
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
            assertEquals(parts[0], HexFormat.of().formatHex(digest), "checksum of " + parts[1]);
            checked.add(parts[1]);
        }
        assertTrue(checked.containsAll(Set.of("python.wasm", "stdlib.zip")), "checked: " + checked);
    }

    @Test
    void moduleImportsOnlyWasiAndTheBridge() throws IOException {
        WasmModule module = Parser.parse(Files.readAllBytes(ASSETS.resolve("python.wasm")));
        Set<String> importModules = new TreeSet<>();
        for (int i = 0; i < module.importSection().importCount(); i++) {
            Import imp = module.importSection().getImport(i);
            importModules.add(imp.module());
        }
        assertEquals(Set.of("wasi_snapshot_preview1", "eryx"), importModules);
    }

    @Test
    void moduleExportsTheReactorAndBridgeEntryPoints() throws IOException {
        WasmModule module = Parser.parse(Files.readAllBytes(ASSETS.resolve("python.wasm")));
        Set<String> exports = new TreeSet<>();
        for (int i = 0; i < module.exportSection().exportCount(); i++) {
            Export export = module.exportSection().getExport(i);
            exports.add(export.name());
        }
        assertTrue(
                exports.containsAll(
                        Set.of(
                                "_initialize",
                                "eryx_init",
                                "eryx_exec",
                                "eryx_abi_version",
                                "eryx_fuel",
                                "eryx_interrupt_flag",
                                "memory")),
                "exports: " + exports);
    }

    @Test
    void interpretedFunctionsAreExactlyTheDocumentedColdOnes() throws IOException {
        Set<String> documented = new TreeSet<>();
        for (String line : Files.readAllLines(ASSETS.resolve("INTERPRETED"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] parts = line.split("\\s+", 3);
                documented.add(parts[0]);
                assertFalse(
                        parts[1].contains("EvalFrame")
                                || parts[1].startsWith("_TAIL_CALL")
                                || parts[1].startsWith("sre_")
                                || parts[1].equals("sqlite3VdbeExec"),
                        "a hot function runs interpreted: " + parts[1]);
            }
        }
        String pom = Files.readString(Path.of("pom.xml"));
        Set<String> configured = new TreeSet<>();
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("<interpretedFunction>(\\d+)</interpretedFunction>")
                        .matcher(pom);
        while (m.find()) {
            configured.add(m.group(1));
        }
        assertEquals(documented, configured, "pom.xml interpretedFunctions vs INTERPRETED");
        assertTrue(
                pom.contains("<interpreterFallback>FAIL</interpreterFallback>"),
                "any undocumented fallback must fail the build");
    }
}
