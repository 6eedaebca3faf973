package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Sandbox;

/**
 * The attacked sandbox, with a session variable set before any attack: after an attack it must
 * still be usable and still hold it (a hard stop is rolled back, a caught error changes nothing).
 */
final class Victim implements AutoCloseable {
    private final Sandbox sandbox;

    Victim(Sandbox sandbox) {
        this.sandbox = sandbox;
        sandbox.execute("canary = 'alive'");
    }

    Sandbox sandbox() {
        return sandbox;
    }

    /** See {@link Attempt#outcome}. */
    String attempt(String statements) {
        return Attempt.outcome(sandbox, statements);
    }

    void assertUsable() {
        assertTrue(sandbox.isUsable());
        assertEquals("alive", sandbox.execute("result = canary").result().asText());
    }

    @Override
    public void close() {
        sandbox.close();
    }
}
