package dev.eryx.internal.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.eryx.wasm.PythonModule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link BridgeOp} is the one declaration of the bridge's operation codes and EMIT kinds; the
 * guest's {@code eryx/_bridge.py} and the tables of docs/bridge-abi.md are copies for their
 * readers. This test fails, naming the difference, when a copy drifts.
 */
class BridgeAbiTest {
    private static final Path DOC = Path.of("..", "docs", "bridge-abi.md");

    /** A module-level {@code NAME = 123} line. */
    private static final Pattern PY_CONSTANT =
            Pattern.compile("^([A-Z][A-Z0-9_]*) = (\\d+)\\s*(#.*)?$", Pattern.MULTILINE);

    /** A table row that starts {@code | 123 | `NAME` |}. */
    private static final Pattern DOC_ROW = Pattern.compile("^\\| (\\d+) \\| `([A-Z_]+)` \\|");

    @Test
    void guestConstantsMatchTheEnum() throws IOException {
        Map<String, Integer> expected = new TreeMap<>();
        for (BridgeOp op : BridgeOp.values()) {
            expected.put(op.name(), op.code());
        }
        for (BridgeOp.EmitKind kind : BridgeOp.EmitKind.values()) {
            expected.put("EMIT_" + kind.name(), (int) kind.code());
        }
        Map<String, Integer> guest = new TreeMap<>();
        Matcher m = PY_CONSTANT.matcher(guestFile("eryx/_bridge.py"));
        while (m.find()) {
            guest.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        assertEquals(
                expected,
                guest,
                "eryx/_bridge.py must declare exactly BridgeOp's operations and EMIT_<kind> for"
                        + " BridgeOp.EmitKind, with the same numbers");
    }

    @Test
    void docTablesMatchTheEnum() throws IOException {
        List<String> lines = Files.readAllLines(DOC, StandardCharsets.UTF_8);
        Map<String, Integer> ops = new TreeMap<>();
        for (BridgeOp op : BridgeOp.values()) {
            ops.put(op.name(), op.code());
        }
        assertEquals(
                ops,
                table(lines, "| op | name |"),
                DOC + ": the operations table must list exactly BridgeOp's operations");
        Map<String, Integer> kinds = new TreeMap<>();
        for (BridgeOp.EmitKind kind : BridgeOp.EmitKind.values()) {
            kinds.put(kind.name(), (int) kind.code());
        }
        assertEquals(
                kinds,
                table(lines, "| kind | name |"),
                DOC + ": the EMIT kinds table must list exactly BridgeOp.EmitKind");
    }

    /** The rows of the table whose header starts with {@code header}: name to number. */
    private static Map<String, Integer> table(List<String> lines, String header) {
        int start = -1;
        for (int i = 0; i < lines.size() && start < 0; i++) {
            if (lines.get(i).startsWith(header)) {
                start = i + 2; // past the header and the |---| line
            }
        }
        assertFalse(start < 0, DOC + " has no table headed " + header);
        Map<String, Integer> rows = new TreeMap<>();
        for (int i = start; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            Matcher m = DOC_ROW.matcher(lines.get(i));
            if (m.find()) {
                rows.put(m.group(2), Integer.parseInt(m.group(1)));
            }
        }
        return rows;
    }

    /** A file of the guest runtime, read from the zip the sandbox serves (wasm-assets). */
    private static String guestFile(String name) throws IOException {
        InputStream in = PythonModule.class.getResourceAsStream("eryx-runtime.zip");
        assertNotNull(in, "eryx-runtime.zip is not on the test class path (wasm-assets)");
        try (ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().equals(name)) {
                    return new String(zip.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
        }
        throw new AssertionError("the guest runtime zip has no " + name);
    }
}
