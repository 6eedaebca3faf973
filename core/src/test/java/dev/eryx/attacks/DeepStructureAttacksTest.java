package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ResourceLimits;
import dev.eryx.internal.execution.DefaultImage;
import dev.eryx.internal.execution.SandboxRuntime;
import dev.eryx.internal.execution.SandboxSpec;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Freeing deeply nested data. Each level's deallocator calls the next one's, and under Chicory each
 * wasm call is a JVM call on the guest thread, so the depth of the structure became the depth of
 * the JVM stack: {@code l = [l]} 3,000,000 times then {@code del l} overflowed the guest thread's
 * 512 MiB stack (a crash, rolled back). CPython's trashcan defers frees past a bounded depth; on
 * wasm its stack measure never moved, so it never engaged (wasm-assets/build/patches/0002 now
 * bounds the nesting itself). Ordinary code must be able to do this, in bounded stack.
 */
class DeepStructureAttacksTest {
    private static final ResourceLimits ROOMY =
            ResourceLimits.builder()
                    .maxMemoryBytes(768L << 20) // 3 M one-element lists take ~200 MB
                    .executionTimeout(Duration.ofMinutes(3))
                    .build();

    /** Builds a structure {@code depth} levels deep with {@code nest}, then frees it. */
    private static String nestAndFree(String start, String nest, int depth) {
        return "x = " + start + "\nfor _ in range(" + depth + "):\n    x = " + nest + "\ndel x\n";
    }

    private static final String CHECK = "import gc\ngc.collect()\nresult = canary";

    /**
     * The reproducer at 1,000,000 levels (where it crashed in some runs) on a guest stack
     * of 2 MiB instead of 512: before the fix that depth needed ~500 MB of stack, so passing here
     * shows the depth no longer reaches the stack at all, and 3,000,000 levels (which crashed
     * always; passed on the default stack when the fix was made, ~40 s to build) cost no more
     * stack.
     */
    @Test
    void freesAMillionNestedListsInTwoMebibytesOfStack() {
        SandboxSpec spec =
                SandboxSpec.builder()
                        .image(DefaultImage.get())
                        .limits(ROOMY)
                        .guestStackBytes(2L << 20)
                        .build();
        try (Bystander bystander = new Bystander();
                SandboxRuntime runtime = SandboxRuntime.start(spec)) {
            runtime.submit("canary = 'alive'", ROOMY).get();
            bystander.alongside(
                    () ->
                            assertEquals(
                                    "alive",
                                    runtime.submit(
                                                    nestAndFree("[]", "[x]", 1_000_000) + CHECK,
                                                    ROOMY)
                                            .get()
                                            .result()
                                            .asText()));
            assertTrue(runtime.isUsable());
        }
    }

    /**
     * Every kind of container, on a guest stack of 8 MiB instead of 512: 100,000 levels needed ~50
     * MB of it before the fix (about 0.5 KB per level for lists, more for the others), and about
     * 1-2 MiB at any depth now (measured: lists and tuples free on 1 MiB, dicts and objects on 2
     * MiB).
     */
    @Test
    void freesDeepDictsTuplesAndObjectsInBoundedStack() {
        SandboxSpec spec =
                SandboxSpec.builder()
                        .image(DefaultImage.get())
                        .limits(ROOMY)
                        .guestStackBytes(8L << 20)
                        .build();
        try (Bystander bystander = new Bystander();
                SandboxRuntime runtime = SandboxRuntime.start(spec)) {
            runtime.submit("canary = 'alive'", ROOMY).get();
            String[] attacks = {
                nestAndFree("[]", "[x]", 100_000),
                nestAndFree("{}", "{'k': x}", 100_000),
                nestAndFree("()", "(x,)", 100_000),
                // A linked list of instances with a real __dict__ (not inline values).
                "class Node:\n"
                        + "    def __init__(self, next):\n"
                        + "        self.__dict__ = {'next': next}\n"
                        + nestAndFree("None", "Node(x)", 100_000)
            };
            bystander.alongside(
                    () -> {
                        for (String attack : attacks) {
                            assertEquals(
                                    "alive",
                                    runtime.submit(attack + CHECK, ROOMY).get().result().asText(),
                                    attack);
                        }
                    });
            assertTrue(runtime.isUsable());
        }
    }
}
