package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.Sandbox;
import dev.eryx.internal.packages.MarkerEnvironment;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link MarkerEnvironment#wasi()} states what the interpreter reports; this runs the interpreter
 * and compares, so a rebuilt {@code python.wasm} cannot drift from it unnoticed.
 */
class MarkerEnvironmentSandboxTest {
    // PEP 508's definitions of the variables, computed in the guest.
    private static final String PROBE =
            String.join(
                    "\n",
                    "import os, sys, platform",
                    "def full(info):",
                    "    v = f'{info.major}.{info.minor}.{info.micro}'",
                    "    if info.releaselevel != 'final':",
                    "        v += info.releaselevel[0] + str(info.serial)",
                    "    return v",
                    "result = {",
                    "    'os_name': os.name,",
                    "    'sys_platform': sys.platform,",
                    "    'platform_machine': platform.machine(),",
                    "    'platform_python_implementation': platform.python_implementation(),",
                    "    'platform_release': platform.release(),",
                    "    'platform_system': platform.system(),",
                    "    'platform_version': platform.version(),",
                    "    'python_version': '.'.join(platform.python_version_tuple()[:2]),",
                    "    'python_full_version': platform.python_version(),",
                    "    'implementation_name': sys.implementation.name,",
                    "    'implementation_version': full(sys.implementation.version),",
                    "    'extra': '',",
                    "}");

    @Test
    void theSandboxReportsTheWasiEnvironment() {
        Map<String, String> reported = new LinkedHashMap<>();
        try (Sandbox sandbox = Sandbox.builder().build()) {
            JsonNode r = sandbox.execute(PROBE).result();
            r.fields().forEachRemaining(e -> reported.put(e.getKey(), e.getValue().asText()));
        }
        assertEquals(MarkerEnvironment.wasi().asMap(), reported);
    }
}
