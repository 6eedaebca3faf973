package dev.eryx.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Callback;
import dev.eryx.Sandbox;
import dev.eryx.TraceEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Trace events of user code and callbacks, in order, and none of the stdlib's. */
class CallbackTracingTest {

    @Test
    void tracesUserCodeAndCallbacksInOrder() {
        List<TraceEvent> events = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        try (Sandbox sandbox =
                Sandbox.builder()
                        .callback(
                                Callback.of(
                                        "fetch",
                                        "slow fetch",
                                        args -> {
                                            try {
                                                Thread.sleep(100);
                                            } catch (InterruptedException e) {
                                                Thread.currentThread().interrupt();
                                            }
                                            return "data";
                                        }))
                        .tracer(
                                event -> {
                                    events.add(event);
                                    threads.add(Thread.currentThread().getName());
                                })
                        .build()) {
            sandbox.execute(
                    String.join(
                            "\n",
                            "import json",
                            "def double(x):",
                            "    return x * 2",
                            "async def main():",
                            "    d = await fetch()",
                            "    return double(len(d))",
                            "v = await main()",
                            "try:",
                            "    1 / 0",
                            "except ZeroDivisionError:",
                            "    json.dumps(v)"));
            List<String> summary =
                    events.stream().map(CallbackTracingTest::describe).collect(Collectors.toList());
            String joined = String.join("\n", summary);
            assertTrue(
                    events.stream().allMatch(e -> e.file() == null || e.file().equals("<string>")),
                    joined);
            // Order of the interesting subsequence.
            List<String> expected =
                    List.of(
                            "CALL <module>:1",
                            "LINE <module>:1",
                            "LINE <module>:7",
                            "CALL main:4",
                            "LINE main:5",
                            "CALLBACK_START fetch",
                            "CALLBACK_END fetch OK",
                            "LINE main:6",
                            "CALL double:2",
                            "LINE double:3",
                            "RETURN double:3",
                            "RETURN main:6",
                            "LINE <module>:8",
                            "LINE <module>:9",
                            "EXCEPTION <module>:9 ZeroDivisionError",
                            "LINE <module>:10",
                            "LINE <module>:11");
            int at = 0;
            for (String line : summary) {
                if (at < expected.size() && line.equals(expected.get(at))) {
                    at++;
                }
            }
            assertEquals(
                    expected.size(),
                    at,
                    "missing " + (at < expected.size() ? expected.get(at) : "") + " in\n" + joined);
            TraceEvent end =
                    events.stream()
                            .filter(e -> e.kind() == TraceEvent.Kind.CALLBACK_END)
                            .findFirst()
                            .get();
            assertNotNull(end.duration());
            assertTrue(end.duration().toMillis() >= 95, end.toString());
            assertTrue(
                    threads.stream().allMatch(t -> t.startsWith("eryx-guest-")),
                    threads.toString());

            // Next execution: still traced, and nothing from the stdlib.
            events.clear();
            sandbox.execute("import textwrap\nx = textwrap.dedent('  a')");
            assertEquals(
                    List.of(
                            "CALL <module>:1",
                            "LINE <module>:1",
                            "LINE <module>:2",
                            "RETURN <module>:2"),
                    events.stream()
                            .map(CallbackTracingTest::describe)
                            .collect(Collectors.toList()));
        }
    }

    private static String describe(TraceEvent e) {
        switch (e.kind()) {
            case CALLBACK_START:
                return "CALLBACK_START " + e.function();
            case CALLBACK_END:
                return "CALLBACK_END " + e.function() + " " + e.detail();
            case EXCEPTION:
                return "EXCEPTION " + e.function() + ":" + e.line() + " " + e.detail();
            default:
                return e.kind() + " " + e.function() + ":" + e.line();
        }
    }
}
