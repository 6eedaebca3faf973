package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ExecutionHandle;
import dev.eryx.Sandbox;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * An innocent sandbox next to the attacked one. It holds session state from before the attack,
 * computes while the attack runs, and must compute the same answer afterwards: an attack that leaks
 * into shared state (the image, the AOT-compiled module, the stdlib layer, the JVM) shows up here.
 */
final class Bystander implements AutoCloseable {
    private static final int COUNT = 5_000;

    /**
     * Exercises the interpreter, hashlib (C) and the heap; its answer is computed again in Java.
     */
    private static final String WORK =
            "import hashlib\n"
                    + "result = hashlib.sha256(','.join(str(i * i) for i in range("
                    + COUNT
                    + ")).encode()).hexdigest()";

    private final Sandbox sandbox = Sandbox.builder().build();
    private final String expected = expectedDigest();

    Bystander() {
        sandbox.execute("kept = {'before': list(range(10))}");
    }

    private static String expectedDigest() {
        StringBuilder text = new StringBuilder();
        for (long i = 0; i < COUNT; i++) {
            text.append(i == 0 ? "" : ",").append(i * i);
        }
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256")
                            .digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Runs {@code attack} while this sandbox works alongside, then checks this sandbox is intact.
     */
    void alongside(Runnable attack) {
        ExecutionHandle during = sandbox.executeAsync(WORK);
        try {
            attack.run();
        } finally {
            assertEquals(
                    expected,
                    during.get().result().asText(),
                    "the bystander's work during the attack");
        }
        assertIntact();
    }

    void assertIntact() {
        assertTrue(sandbox.isUsable());
        assertEquals(45, sandbox.execute("result = sum(kept['before'])").result().asInt());
        assertEquals(
                expected,
                sandbox.execute(WORK).result().asText(),
                "the bystander's work after the attack");
    }

    @Override
    public void close() {
        sandbox.close();
    }
}
