package dev.eryx.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ExecutionHandle;
import dev.eryx.OutputListener;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.Secret;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the server's console needs of the pool: streamed output of a lent sandbox ({@link
 * PooledSandbox#executeAsync(String, ResourceLimits, OutputListener)}), redaction of its secrets
 * ({@link PooledSandbox#redact}), and sandboxes of one's own under lower limits ({@link
 * SandboxPool#newSandbox(ResourceLimits)}). One pool serves the class.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PoolConsoleSupportTest {
    private static final String VALUE = "the-secret-value-0123456789";

    private static final ResourceLimits LIMITS =
            ResourceLimits.builder()
                    .executionTimeout(Duration.ofSeconds(20))
                    .maxMemoryBytes(256L << 20)
                    .maxVfsBytes(32L << 20)
                    .build();

    private static SandboxPool pool;

    @BeforeAll
    static void build() {
        pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(1)
                        .template(
                                b ->
                                        b.env("TENANT", "demo")
                                                .secret(
                                                        Secret.of("API_KEY", VALUE)
                                                                .forHosts("api.example.com")))
                        .resourceLimits(LIMITS)
                        .build();
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    @Test
    void aLentSandboxStreamsOutputAndCloseWaitsForTheExecution() {
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        OutputListener listener =
                new OutputListener() {
                    @Override
                    public void stdout(String text) {
                        out.append(text);
                    }

                    @Override
                    public void stderr(String text) {
                        err.append(text);
                    }
                };
        PooledSandbox lent = pool.acquire();
        ExecutionHandle handle =
                lent.executeAsync(
                        "import sys, time\n"
                                + "time.sleep(0.3)\n"
                                + "print('out')\n"
                                + "print('err', file=sys.stderr)",
                        LIMITS,
                        listener);
        // close() hands the sandbox back only once the execution has ended.
        lent.close();
        assertTrue(handle.isDone(), "the sandbox went back before its execution ended");
        assertEquals("out\n", handle.get().stdout());
        assertEquals("out\n", out.toString());
        assertEquals("err\n", err.toString());

        assertThrows(
                IllegalStateException.class, () -> lent.executeAsync("x = 1", LIMITS, listener));
        try (PooledSandbox other = pool.acquire()) {
            NullPointerException e =
                    assertThrows(
                            NullPointerException.class,
                            () -> other.executeAsync("x = 1", LIMITS, null));
            assertTrue(e.getMessage().startsWith("output"), e.getMessage());
            // A refused start does not keep the sandbox lent: close() below returns.
            assertEquals("ok\n", other.execute("print('ok')").stdout());
        }
    }

    @Test
    void aLentSandboxRedactsItsSecrets() {
        try (PooledSandbox lent = pool.acquire()) {
            String placeholder =
                    lent.execute("import os\nresult = os.environ['API_KEY']").result().asText();
            assertEquals(
                    "[secret API_KEY] [secret API_KEY]", lent.redact(VALUE + " " + placeholder));
            String plain = "print('hello')";
            assertSame(plain, lent.redact(plain));
        }
    }

    @Test
    void newSandboxCutsMemoryAndFilesToThePoolsAndKeepsTheOtherLimits() {
        ResourceLimits lower =
                ResourceLimits.builder()
                        .executionTimeout(Duration.ofSeconds(7))
                        .maxFuel(5_000_000_000L)
                        .maxMemoryBytes(96L << 20)
                        .maxVfsBytes(1L << 20)
                        .build();
        try (Sandbox own = pool.newSandbox(lower)) {
            assertEquals(lower, own.resourceLimits());
            // Configured as the pool's sandboxes are.
            assertEquals(
                    "demo",
                    own.execute("import os\nresult = os.environ['TENANT']").result().asText());
            // Its own memory cap holds, below the pool's.
            assertThrows(
                    PythonException.class, () -> own.execute("x = bytearray(150 * 1024 * 1024)"));
            assertTrue(own.isUsable());
        }

        ResourceLimits higher =
                ResourceLimits.builder()
                        .executionTimeout(Duration.ofSeconds(9))
                        .maxMemoryBytes(1L << 30)
                        .maxVfsBytes(1L << 30)
                        .build();
        try (Sandbox own = pool.newSandbox(higher)) {
            assertEquals(
                    higher.toBuilder()
                            .maxMemoryBytes(LIMITS.maxMemoryBytes())
                            .maxVfsBytes(LIMITS.maxVfsBytes())
                            .build(),
                    own.resourceLimits());
        }
    }

    @Test
    void newSandboxRefusesWhatCannotWork() {
        ResourceLimits tiny = ResourceLimits.builder().maxMemoryBytes(1L << 20).build();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> pool.newSandbox(tiny));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
        assertThrows(NullPointerException.class, () -> pool.newSandbox(null));
        assertEquals(2, pool.execute("result = 1 + 1").result().asInt());
    }
}
