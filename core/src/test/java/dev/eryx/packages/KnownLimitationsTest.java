package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Debian packages known <em>not</em> to import in the guest, pinned here so that the documented
 * reasons (docs/packages.md, "What does not work yet") stay true: when one of these tests fails,
 * the limitation is gone or has changed, and the docs must say so.
 */
class KnownLimitationsTest {
    private static Sandbox sandbox;

    @BeforeAll
    static void packages() {
        DebianPackages.Fixture fixture = DebianPackages.all();
        sandbox =
                Sandbox.builder()
                        .resourceLimits(
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofMinutes(5))
                                        .build())
                        .packages(PythonPackages.of(fixture.distPackages()))
                        .build();
    }

    @AfterAll
    static void close() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    /** The last line of the traceback {@code import module} ends with, or "imported". */
    private static String importError(String module) {
        return sandbox.execute(
                        String.join(
                                "\n",
                                "import traceback",
                                "try:",
                                "    import " + module,
                                "    result = 'imported'",
                                "except Exception:",
                                "    result = traceback.format_exc().strip().splitlines()[-1]"))
                .result()
                .asText();
    }

    @Test
    void typingExtensions44SubclassesTypeVarWhichCPython312Refuses() {
        // Bookworm's typing_extensions 4.4.0 defines `class TypeVar(typing.TypeVar, ...)`; since
        // CPython 3.12 typing.TypeVar is a C type that cannot be subclassed (4.6.0 fixed this).
        // Not eryx's limitation: native CPython 3.14 fails the same way.
        String error = importError("typing_extensions");
        assertTrue(
                error.equals("TypeError: type 'typing.TypeVar' is not an acceptable base type"),
                error);
    }
}
