package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Sandbox;
import org.junit.jupiter.api.Test;

/**
 * Found by {@code BridgeMessagesFuzzer} (docs/fuzzing.md): a guest that sends the COMPLETE
 * operation (8) with no bytes at all made the host's outcome parser return no node, and the
 * NullPointerException that followed escaped the host function: the sandbox crashed. Now it is a
 * malformed outcome, raised in the guest as RuntimeError, and the sandbox and its neighbour carry
 * on.
 */
class EmptyBridgeOutcomeTest {
    @Test
    void anEmptyOutcomeIsMalformedNotACrash() {
        try (Bystander bystander = new Bystander();
                Sandbox sandbox = Sandbox.builder().build()) {
            bystander.alongside(
                    () -> {
                        String message =
                                sandbox.execute(
                                                "import _eryx\n"
                                                        + "try:\n"
                                                        + "    _eryx.invoke(8, b'')\n"
                                                        + "    result = 'accepted'\n"
                                                        + "except RuntimeError as e:\n"
                                                        + "    result = str(e)\n")
                                        .result()
                                        .asText();
                        assertTrue(message.contains("malformed outcome"), message);
                    });
            assertEquals(2, sandbox.execute("result = 1 + 1").result().asInt());
        }
    }
}
