package dev.eryx.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Callback;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SandboxPool#newSandbox()} and {@link SandboxPool#restore(byte[])}: caller-owned sandboxes
 * configured as the pool's, and saved states verified on the way back. One pool serves the class.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PoolSessionsTest {
    private static final byte[] KEY =
            "a key of at least sixteen bytes".getBytes(StandardCharsets.UTF_8);

    private static final ResourceLimits LIMITS =
            ResourceLimits.builder().executionTimeout(Duration.ofSeconds(20)).build();

    private static SandboxPool pool;

    @BeforeAll
    static void build() {
        pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(1)
                        .preload("json")
                        .template(
                                b ->
                                        b.env("TENANT", "demo")
                                                .stateKey(KEY)
                                                .callback(
                                                        Callback.of(
                                                                "double",
                                                                "Doubles n.",
                                                                args -> args.get("n").asInt() * 2)))
                        .resourceLimits(LIMITS)
                        .build();
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    @Test
    void aSandboxOfOnesOwnKeepsItsStateAndIsConfiguredAsThePools() {
        try (Sandbox own = pool.newSandbox()) {
            own.execute("x = 41");
            // Pooled sandboxes never see it, and the pool's one sandbox is still free: the caller's
            // own does not count against the capacity of one.
            assertFalse(pool.execute("result = 'x' in globals()").result().asBoolean());
            try (PooledSandbox lent = pool.acquire()) {
                assertEquals(1, pool.stats().total());
                assertEquals(
                        "demo",
                        own.execute("import os\nresult = os.environ['TENANT']").result().asText());
                assertEquals(42, own.execute("result = x + 1").result().asInt());
                assertEquals(10, own.execute("result = await double(n=5)").result().asInt());
                assertTrue(
                        own.execute("import sys\nresult = 'json' in sys.modules")
                                .result()
                                .asBoolean());
                assertFalse(lent.execute("result = 'x' in globals()").result().asBoolean());
            }
            assertEquals(LIMITS, own.resourceLimits());
        }
    }

    @Test
    void aSavedStateComesBackThroughThePool() {
        byte[] state;
        try (Sandbox own = pool.newSandbox()) {
            own.execute(
                    "notes = ['first']\nwith open('/tmp/n.txt', 'w') as f:\n    f.write('kept')");
            state = own.saveState();
        }
        try (Sandbox restored = pool.restore(state)) {
            restored.execute("notes.append('second')");
            assertEquals(
                    "['first', 'second'] kept",
                    restored.execute("result = f\"{notes} {open('/tmp/n.txt').read()}\"")
                            .result()
                            .asText());
            assertEquals(
                    "demo",
                    restored.execute("import os\nresult = os.environ['TENANT']").result().asText());
        }
        // The state is not consumed: it restores again, as it was saved.
        try (Sandbox again = pool.restore(state)) {
            assertEquals(1, again.execute("result = len(notes)").result().asInt());
        }
    }

    @Test
    void damagedOrForeignStatesAreRefusedClearly() {
        IllegalArgumentException garbage =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> pool.restore("not a state".getBytes(StandardCharsets.UTF_8)));
        assertTrue(garbage.getMessage().contains("saved state"), garbage.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pool.restore(new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> pool.restore(null));

        byte[] state;
        try (Sandbox own = pool.newSandbox()) {
            own.execute("secret_sauce = 1");
            state = own.saveState();
        }
        byte[] tampered = state.clone();
        tampered[tampered.length / 2] ^= 0x01;
        IllegalArgumentException damaged =
                assertThrows(IllegalArgumentException.class, () -> pool.restore(tampered));
        assertTrue(damaged.getMessage().contains("saved state"), damaged.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> pool.restore(Arrays.copyOf(state, state.length - 10)));

        // Saved elsewhere, unsigned or with another key: not this pool's to resume.
        byte[] unsigned;
        try (Sandbox foreign = Sandbox.builder().build()) {
            foreign.execute("y = 2");
            unsigned = foreign.saveState();
        }
        IllegalArgumentException notSigned =
                assertThrows(IllegalArgumentException.class, () -> pool.restore(unsigned));
        assertTrue(notSigned.getMessage().contains("cannot restore"), notSigned.getMessage());
        byte[] otherKey;
        try (Sandbox foreign =
                Sandbox.builder()
                        .stateKey("another key, sixteen bytes+".getBytes(StandardCharsets.UTF_8))
                        .build()) {
            otherKey = foreign.saveState();
        }
        assertThrows(IllegalArgumentException.class, () -> pool.restore(otherKey));
        assertTrue(pool.execute("result = 1").result().asInt() == 1); // the pool is unaffected
    }

    @Test
    void aClosedPoolMakesNoMoreSandboxesButLeavesTheCallersOwnAlone() {
        SandboxPool closing = SandboxPool.builder().minIdle(0).maxSize(1).build();
        Sandbox own = closing.newSandbox();
        try {
            byte[] state = own.saveState();
            closing.close();
            assertThrows(IllegalStateException.class, closing::newSandbox);
            assertThrows(IllegalStateException.class, () -> closing.restore(state));
            assertEquals(3, own.execute("result = 1 + 2").result().asInt());
        } finally {
            own.close();
        }
    }
}
