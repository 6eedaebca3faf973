package dev.eryx.internal.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ResourceLimits;
import dev.eryx.SandboxCrashedException;
import dev.eryx.internal.engine.GuestTrap;
import org.junit.jupiter.api.Test;

/**
 * C recursion in the guest recurses on the guest thread's JVM stack (one frame per wasm call) and
 * CPython's own C-stack guard does not see it; a JVM StackOverflowError must still end as a clean
 * exception. A small guest stack provokes it cheaply.
 */
class GuestStackOverflowTest {
    @Test
    void aHostStackOverflowBecomesSandboxCrashedExceptionAndIsRolledBack() {
        SandboxSpec spec =
                SandboxSpec.builder()
                        .image(DefaultImage.get())
                        .limits(ResourceLimits.defaults())
                        .guestStackBytes(4L << 20)
                        .build();
        try (SandboxRuntime runtime = SandboxRuntime.start(spec)) {
            assertEquals(
                    3, runtime.submit("result = 1 + 2", runtime.limits()).get().result().asInt());
            SandboxCrashedException e =
                    assertThrows(
                            SandboxCrashedException.class,
                            () ->
                                    runtime.submit(
                                                    "x = []\nfor _ in range(200000):\n    x = [x]\nprint('built', flush=True)\nrepr(x)",
                                                    runtime.limits())
                                            .get());
            GuestTrap trap = assertInstanceOf(GuestTrap.class, e.getCause());
            assertEquals(GuestTrap.Kind.STACK_OVERFLOW, trap.kind());
            assertTrue(e.getMessage().contains("stack"), e.getMessage());
            assertEquals("built\n", e.partialResult().stdout());
            // Rolled back to before the execution (docs/architecture.md): the session goes on.
            assertTrue(runtime.isUsable());
            assertEquals(
                    3, runtime.submit("result = 1 + 2", runtime.limits()).get().result().asInt());
        }
    }
}
