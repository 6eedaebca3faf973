package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link Sandbox#redact(String)}: secrets' values and placeholders named, for what hosts show. */
class SandboxRedactTest {
    private static final String VALUE = "first-value-0123456789";
    private static final String ROTATED = "other-value-9876543210";

    @Test
    void valuesAndPlaceholdersAreNamed() {
        Sandbox sandbox =
                Sandbox.builder()
                        .secret(Secret.of("API_KEY", VALUE).forHosts("api.example.com"))
                        .build();
        String placeholder;
        String printed;
        try (sandbox) {
            placeholder =
                    sandbox.execute("import os\nresult = os.environ['API_KEY']").result().asText();
            printed = sandbox.execute("import os\nprint(os.environ['API_KEY'])").stdout();
        }
        assertNotEquals(VALUE, placeholder);
        assertEquals(
                "curl -H 'Authorization: Bearer [secret API_KEY]' # [secret API_KEY]",
                sandbox.redact("curl -H 'Authorization: Bearer " + VALUE + "' # " + placeholder));
        // What the guest prints is its placeholder, named too; closed, the sandbox still redacts.
        assertEquals("[secret API_KEY]\n", sandbox.redact(printed));
        String unrelated = "print('hello')";
        assertSame(unrelated, sandbox.redact(unrelated));
        assertThrows(NullPointerException.class, () -> sandbox.redact(null));
    }

    @Test
    void theLongestMatchIsReplacedFirst() {
        String inner = "inner-secret-value";
        String outer = "prefix-" + inner + "-suffix";
        try (Sandbox sandbox =
                Sandbox.builder()
                        .secret(Secret.of("INNER", inner))
                        .secret(Secret.of("OUTER", outer))
                        .build()) {
            assertEquals(
                    "[secret OUTER] and [secret INNER]", sandbox.redact(outer + " and " + inner));
        }
        // Given in the other order, the same.
        try (Sandbox sandbox =
                Sandbox.builder()
                        .secret(Secret.of("OUTER", outer))
                        .secret(Secret.of("INNER", inner))
                        .build()) {
            assertEquals("[secret INNER][secret OUTER]", sandbox.redact(inner + outer));
        }
    }

    @Test
    void placeholdersRestoredFromASavedStateAreNamed() {
        byte[] state;
        String placeholder;
        try (Sandbox sandbox =
                Sandbox.builder()
                        .secret(Secret.of("API_KEY", VALUE).forHosts("api.example.com"))
                        .build()) {
            placeholder =
                    sandbox.execute("import os\nsaved = os.environ['API_KEY']\nresult = saved")
                            .result()
                            .asText();
            state = sandbox.saveState();
        }
        // Re-bound with a new value: the old placeholder and the new value are named.
        try (Sandbox restored =
                Sandbox.builder()
                        .restoreFrom(state)
                        .secret(Secret.of("API_KEY", ROTATED).forHosts("api.example.com"))
                        .build()) {
            String saved = restored.execute("result = saved").result().asText();
            assertEquals(placeholder, saved);
            assertEquals(
                    "[secret API_KEY] [secret API_KEY] " + VALUE,
                    restored.redact(saved + " " + ROTATED + " " + VALUE));
        }
        // Without the secret the placeholder is inert in the guest, and still named.
        try (Sandbox restored = Sandbox.builder().restoreFrom(state).build()) {
            assertEquals(
                    "[secret API_KEY]\n",
                    restored.redact(
                            restored.execute("import os\nprint(os.environ['API_KEY'])").stdout()));
        }
    }

    @Test
    void withoutSecretsTheTextItselfIsReturned() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            String text = "anything at all, " + VALUE;
            assertSame(text, sandbox.redact(text));
            assertSame("", sandbox.redact(""));
            assertThrows(NullPointerException.class, () -> sandbox.redact(null));
        }
    }
}
