package dev.eryx.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Callback;
import dev.eryx.Sandbox;
import dev.eryx.Secret;
import dev.eryx.internal.state.SavedState;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Secrets survive saveState as placeholders only and are re-bound by the restoring host. */
class SecretsSavedStateTest {
    private static final String VALUE = "first-value-0123456789";
    private static final String ROTATED = "other-value-9876543210";

    @Test
    void placeholdersAreSavedAndKeptByTheRestoringHost() {
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
        SavedState decoded = SavedState.decode(state, SavedState.Limits.TRUSTED, null);
        assertEquals(Map.of("API_KEY", placeholder), decoded.secretPlaceholders());

        // Re-bound by name, with a new value of the same length: the old placeholder stays.
        try (Sandbox restored =
                Sandbox.builder()
                        .restoreFrom(state)
                        .secret(Secret.of("API_KEY", ROTATED).forHosts("api.example.com"))
                        .callback(Callback.of("leak", "the value", args -> ROTATED))
                        .build()) {
            assertEquals(
                    "[\"" + placeholder + "\",\"" + placeholder + "\",\"[REDACTED]\"]",
                    restored.execute(
                                    "import os, eryx\n"
                                            + "result = [saved, os.environ['API_KEY'],"
                                            + " await eryx.tools.leak()]")
                            .result()
                            .toString());
            // Saved again: still the same placeholder.
            assertEquals(
                    Map.of("API_KEY", placeholder),
                    SavedState.decode(restored.saveState(), SavedState.Limits.TRUSTED, null)
                            .secretPlaceholders());
        }

        // A builder without the secret: the placeholder stays, inert, and is saved again.
        try (Sandbox restored = Sandbox.builder().restoreFrom(state).build()) {
            assertEquals(
                    placeholder,
                    restored.execute("import os\nresult = os.environ['API_KEY']")
                            .result()
                            .asText());
            assertEquals(
                    Map.of("API_KEY", placeholder),
                    SavedState.decode(restored.saveState(), SavedState.Limits.TRUSTED, null)
                            .secretPlaceholders());
        }

        // A value of another length cannot keep the placeholder the guest holds.
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Sandbox.builder()
                                        .restoreFrom(state)
                                        .secret(Secret.of("API_KEY", "short-value"))
                                        .build()
                                        .close());
        assertTrue(e.getMessage().contains("placeholder"), e.getMessage());
    }

    @Test
    void aSandboxWithoutSecretsWritesNoSecretsSection() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            assertEquals(
                    Map.of(),
                    SavedState.decode(sandbox.saveState(), SavedState.Limits.TRUSTED, null)
                            .secretPlaceholders());
        }
    }
}
