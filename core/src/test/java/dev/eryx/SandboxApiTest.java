package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Misuse of the API gets clear, immediate errors. */
class SandboxApiTest {
    @TempDir Path temp;

    @Test
    void nullCodeIsRejected() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            NullPointerException e =
                    assertThrows(NullPointerException.class, () -> sandbox.execute(null));
            assertEquals("code", e.getMessage());
            assertThrows(NullPointerException.class, () -> sandbox.executeAsync(null));
            assertTrue(sandbox.isUsable());
        }
    }

    @Test
    void aClosedSandboxRefusesWork() {
        Sandbox sandbox = Sandbox.builder().build();
        sandbox.close();
        sandbox.close(); // idempotent
        assertFalse(sandbox.isUsable());
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> sandbox.execute("x = 1"));
        assertEquals("the sandbox is closed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> sandbox.executeAsync("x = 1"));
    }

    @Test
    void closingDuringAnExecutionEndsIt() throws Exception {
        Sandbox sandbox = Sandbox.builder().build();
        ExecutionHandle handle = sandbox.executeAsync("while True:\n    pass");
        Thread.sleep(200);
        sandbox.close();
        assertThrows(EryxException.class, handle::get);
        assertFalse(sandbox.isUsable());
    }

    @Test
    void builderRejectsInvalidArguments() throws Exception {
        Sandbox.Builder builder = Sandbox.builder();
        Path file = Files.writeString(temp.resolve("file.txt"), "x");
        assertMessage(
                IllegalArgumentException.class,
                "not a directory",
                () -> builder.mount(file, "/m", true));
        assertMessage(
                IllegalArgumentException.class,
                "absolute",
                () -> builder.mount(temp, "relative", true));
        assertMessage(
                IllegalArgumentException.class,
                "absolute",
                () -> builder.file("x.txt", new byte[0]));
        assertMessage(
                IllegalArgumentException.class,
                "invalid environment variable",
                () -> builder.env("A=B", "v"));
        assertMessage(
                IllegalArgumentException.class,
                "invalid environment variable",
                () -> builder.env("", "v"));
        assertMessage(NullPointerException.class, "hostDir", () -> builder.mount(null, "/m", true));
        assertMessage(NullPointerException.class, "content", () -> builder.file("/x", null));
        assertMessage(NullPointerException.class, "value", () -> builder.env("K", null));
        assertMessage(NullPointerException.class, "listener", () -> builder.stdout(null));
        assertMessage(NullPointerException.class, "listener", () -> builder.stderr(null));
        assertMessage(NullPointerException.class, "in", () -> builder.stdin(null));
        assertMessage(NullPointerException.class, "clock", () -> builder.clock(null));
        assertMessage(NullPointerException.class, "limits", () -> builder.resourceLimits(null));
    }

    @Test
    void resourceLimitsRejectInvalidValues() {
        ResourceLimits.Builder limits = ResourceLimits.builder();
        assertMessage(
                IllegalArgumentException.class,
                "executionTimeout must be positive",
                () -> limits.executionTimeout(Duration.ZERO));
        assertMessage(
                IllegalArgumentException.class,
                "executionTimeout must be positive",
                () -> limits.executionTimeout(Duration.ofSeconds(-1)));
        assertMessage(
                IllegalArgumentException.class,
                "maxMemoryBytes must be > 0",
                () -> limits.maxMemoryBytes(0));
        assertMessage(
                IllegalArgumentException.class,
                "maxOutputBytes must be > 0",
                () -> limits.maxOutputBytes(-5));
        assertMessage(
                IllegalArgumentException.class, "maxFuel must be > 0", () -> limits.maxFuel(0));
        assertMessage(
                IllegalArgumentException.class,
                "maxVfsBytes must be >= 0",
                () -> limits.maxVfsBytes(-1));
        assertMessage(
                IllegalArgumentException.class,
                "maxConcurrentCallbacks must be >= 1",
                () -> limits.maxConcurrentCallbacks(0));
        assertMessage(
                IllegalArgumentException.class,
                "maxQueuedCallbacks must be >= 0",
                () -> limits.maxQueuedCallbacks(-1));
        assertEquals(Duration.ofSeconds(30), ResourceLimits.defaults().executionTimeout());
        assertEquals(null, ResourceLimits.unlimited().executionTimeout());
        assertEquals(64, ResourceLimits.defaults().maxConcurrentCallbacks());
        assertEquals(1_024, ResourceLimits.defaults().maxQueuedCallbacks());
        ResourceLimits custom =
                ResourceLimits.builder().maxConcurrentCallbacks(3).maxQueuedCallbacks(0).build();
        assertEquals(custom, custom.toBuilder().build());
        assertTrue(!custom.equals(ResourceLimits.defaults()));
        assertTrue(
                custom.toString().contains("maxConcurrentCallbacks=3, maxQueuedCallbacks=0"),
                custom.toString());
    }

    private static void assertMessage(
            Class<? extends Throwable> type, String fragment, Runnable action) {
        Throwable thrown = assertThrows(type, action::run);
        assertTrue(
                thrown.getMessage() != null && thrown.getMessage().contains(fragment),
                "message \"" + thrown.getMessage() + "\" lacks \"" + fragment + "\"");
    }
}
