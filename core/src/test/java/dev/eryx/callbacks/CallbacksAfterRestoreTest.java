package dev.eryx.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.eryx.Callback;
import dev.eryx.Effect;
import dev.eryx.ExecutionResult;
import dev.eryx.PythonException;
import dev.eryx.Sandbox;
import dev.eryx.SandboxImage;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Callbacks belong to the sandbox being built, never to the interpreter state it starts from: a
 * saved state or an image made with other callbacks (or none) must expose exactly the new ones.
 */
class CallbacksAfterRestoreTest {

    private static Callback named(String name, Object answer) {
        return Callback.of(name, "answers " + answer, args -> answer);
    }

    private static List<String> names(ExecutionResult r) {
        return r.result().findValuesAsText("name");
    }

    @Test
    void aSandboxRestoredFromSavedStateUsesTheCallbacksOfItsOwnBuilder() {
        byte[] state;
        try (Sandbox original =
                Sandbox.builder()
                        .callback(named("ping", "pong"))
                        .callback(named("old", 1))
                        .build()) {
            original.execute("first = await ping()");
            state = original.saveState();
        }
        try (Sandbox restored =
                Sandbox.builder()
                        .restoreFrom(state)
                        .callback(named("ping", "pong again"))
                        .callback(named("fresh", 2))
                        .build()) {
            ExecutionResult r =
                    restored.execute(
                            String.join(
                                    "\n",
                                    "import eryx",
                                    "from eryx import tools",
                                    "result = {'first': first, 'ping': await ping(), 'fresh': await tools.fresh(),",
                                    "          'listed': sorted(c['name'] for c in eryx.list_callbacks())}"));
            assertEquals("pong", r.result().get("first").asText()); // the saved variable survived
            assertEquals("pong again", r.result().get("ping").asText());
            assertEquals(2, r.result().get("fresh").asInt());
            assertEquals("[\"fresh\",\"ping\"]", r.result().get("listed").toString());
            assertEquals(
                    List.of("ping", "fresh"),
                    r.effects().stream().map(Effect::target).collect(Collectors.toList()));
            // The callback the saved interpreter knew but this sandbox does not have is gone.
            PythonException gone =
                    assertThrows(PythonException.class, () -> restored.execute("await old()"));
            assertEquals("NameError", gone.pythonType(), gone.getMessage());
        }
    }

    @Test
    void aSandboxRestoredWithoutCallbacksHasNone() {
        byte[] state;
        try (Sandbox original = Sandbox.builder().callback(named("ping", "pong")).build()) {
            original.execute("x = await ping()");
            state = original.saveState();
        }
        try (Sandbox restored = Sandbox.builder().restoreFrom(state).build()) {
            ExecutionResult r =
                    restored.execute("import eryx\nresult = [x, eryx.list_callbacks()]");
            assertEquals("[\"pong\",[]]", r.result().toString());
            PythonException e =
                    assertThrows(PythonException.class, () -> restored.execute("await ping()"));
            assertEquals("NameError", e.pythonType(), e.getMessage());
        }
    }

    @Test
    void callbacksRunInParallelInASandboxBuiltFromAnImageWithPreloads() {
        SandboxImage image = SandboxImage.capture("json", "asyncio");
        Rendezvous rendezvous = new Rendezvous(3);
        try (Sandbox sandbox =
                Sandbox.builder()
                        .image(image)
                        .callback(rendezvous.callback("a"))
                        .callback(rendezvous.callback("b"))
                        .callback(rendezvous.callback("c"))
                        .callback(
                                named("config", Map.of("depth", 3))
                                        .withSchema(
                                                new com.fasterxml.jackson.databind.ObjectMapper()
                                                        .createObjectNode()
                                                        .put("type", "object")
                                                        .put("additionalProperties", false)))
                        .build()) {
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import asyncio, json, sys",
                                    "preloaded = 'json' in sys.modules",
                                    "values = await asyncio.gather(a(), b(), c())",
                                    "result = {'values': values, 'config': await config(), 'preloaded': preloaded}"));
            assertEquals("[\"a\",\"b\",\"c\"]", r.result().get("values").toString());
            assertEquals(3, r.result().get("config").get("depth").asInt());
            // Each call waits until all three have started: only concurrent calls all return.
            assertEquals(0, rendezvous.missing(), r.effects().toString());
            PythonException invalid =
                    assertThrows(
                            PythonException.class, () -> sandbox.execute("await config(extra=1)"));
            assertEquals("TypeError", invalid.pythonType());
        }
        // A second sandbox from the same image has only its own callbacks.
        try (Sandbox other = Sandbox.builder().image(image).callback(named("only", true)).build()) {
            assertEquals(
                    List.of("only"),
                    names(other.execute("import eryx\nresult = eryx.list_callbacks()")));
        }
    }
}
