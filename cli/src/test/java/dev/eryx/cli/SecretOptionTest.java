package dev.eryx.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --secret NAME@HOST,...}: the value from the host environment, never the command line. */
class SecretOptionTest {
    private static final String VALUE = "cli-secret-value-123";

    private static String[] run(Map<String, String> hostEnv, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        picocli.CommandLine cl =
                EryxCommand.commandLine(
                        new ByteArrayInputStream(new byte[0]), () -> false, out, err, hostEnv::get);
        int code = cl.execute(args);
        cl.getOut().flush();
        cl.getErr().flush();
        return new String[] {
            String.valueOf(code),
            out.toString(StandardCharsets.UTF_8),
            err.toString(StandardCharsets.UTF_8)
        };
    }

    @Test
    void theGuestSeesAPlaceholderOfTheValuesLength() {
        String[] r =
                run(
                        Map.of("API_KEY", VALUE),
                        "--secret",
                        "API_KEY@api.example.com,127.0.0.1",
                        "-c",
                        "import os; v = os.environ['API_KEY']; print(len(v), v.startswith('ERYX_'))");
        assertEquals("0", r[0], r[2]);
        assertEquals(VALUE.length() + " True\n", r[1]);
    }

    @Test
    void aMissingVariableIsAUsageError() {
        String[] r = run(Map.of(), "--secret", "API_KEY@api.example.com", "-c", "pass");
        assertEquals("2", r[0]);
        assertTrue(r[2].startsWith("eryx: --secret API_KEY: the host environment variable"), r[2]);
    }

    @Test
    void badSpecificationsAndValuesAreUsageErrorsThatNeverShowTheValue() {
        for (String spec : new String[] {"API_KEY", "@host", "API_KEY@", "API_KEY@a,,b"}) {
            String[] r = run(Map.of("API_KEY", VALUE), "--secret", spec, "-c", "pass");
            assertEquals("2", r[0], spec + ": " + r[2]);
            assertTrue(r[2].startsWith("eryx: "), r[2]);
        }
        String[] wildcard =
                run(Map.of("API_KEY", VALUE), "--secret", "API_KEY@*.example.com", "-c", "pass");
        assertEquals("2", wildcard[0]);
        assertTrue(wildcard[2].contains("wildcard"), wildcard[2]);
        String[] shortValue = run(Map.of("K", "short"), "--secret", "K@a.example", "-c", "pass");
        assertEquals("2", shortValue[0]);
        assertTrue(shortValue[2].contains("at least 8"), shortValue[2]);
        assertFalse(shortValue[2].contains("short\n"), shortValue[2]);
    }
}
