package dev.eryx.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.Callback;
import dev.eryx.Effect;
import dev.eryx.ExecutionResult;
import dev.eryx.Sandbox;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * An agent-style use of callbacks, kept runnable as a test: the host exposes three tools (one
 * with a schema, one asynchronous), and model-written Python plans, calls them in parallel with
 * {@code asyncio.gather}, loops until it has what it needs, and returns a JSON answer. The host
 * then reads the answer and the audit ledger of every tool call.
 */
class AgentLoopExampleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String AGENT_CODE = String.join("\n",
            "import asyncio",
            "from eryx import tools",
            "",
            "cities = ['Paris', 'Oslo', 'Lima']",
            "# Round 1: every lookup at once.",
            "weather, populations = await asyncio.gather(",
            "    asyncio.gather(*(tools.weather(city=c) for c in cities)),",
            "    asyncio.gather(*(tools.population(c) for c in cities)),",
            ")",
            "# Round 2: follow up on the warmest city only, with a tool that may fail.",
            "warmest = max(zip(cities, weather), key=lambda cw: cw[1]['celsius'])[0]",
            "notes = []",
            "for attempt in range(3):",
            "    try:",
            "        notes.append(await tools.search(query=f'things to do in {warmest}', attempt=attempt))",
            "        break",
            "    except Exception as error:",
            "        notes.append(f'retry after: {error}')",
            "result = {'warmest': warmest, 'weather': weather, 'populations': populations, 'notes': notes}");

    @Test
    void agentCallsSeveralToolsInParallel() throws Exception {
        Map<String, Integer> temperatures = Map.of("Paris", 19, "Oslo", 8, "Lima", 23);
        Map<String, Long> populations = Map.of("Paris", 2_100_000L, "Oslo", 700_000L, "Lima", 10_000_000L);
        try (Sandbox sandbox = Sandbox.builder()
                .callback(Callback.of("weather", "Current weather of a city", args -> {
                    sleep(200); // a slow remote API
                    return Map.of("city", args.get("city").asText(), "celsius", temperatures.get(args.get("city").asText()));
                }).withSchema(JSON.readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                        + "\"required\":[\"city\"],\"additionalProperties\":false}")))
                .callback(Callback.async("population", "Population of a city", args ->
                        CompletableFuture.supplyAsync(() -> populations.get(args.get("city").asText()),
                                CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS)))
                        .withSchema(JSON.readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}")))
                .callback(Callback.of("search", "Web search; flaky on the first attempt", args -> {
                    if (args.path("attempt").asInt() == 0) {
                        throw new IllegalStateException("search backend unavailable");
                    }
                    return List.of(args.get("query").asText() + ": museum", args.get("query").asText() + ": river walk");
                }))
                .build()) {
            long t0 = System.nanoTime();
            ExecutionResult r = sandbox.execute(AGENT_CODE);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            JsonNode answer = r.result();
            assertEquals("Lima", answer.get("warmest").asText());
            assertEquals(10_000_000L, answer.get("populations").get(2).asLong());
            assertEquals("retry after: search backend unavailable", answer.get("notes").get(0).asText());
            assertEquals("things to do in Lima: museum", answer.get("notes").get(1).get(0).asText());
            // Six 200 ms lookups in parallel, not 1.2 s in sequence.
            assertTrue(millis < 1_000, "agent run took " + millis + " ms");
            List<String> ledger = r.effects().stream().map(e -> e.target() + ":" + e.outcome())
                    .collect(Collectors.toList());
            assertEquals(8, ledger.size(), ledger.toString());
            assertEquals(6, r.effects().stream().filter(e -> e.outcome() == Effect.Outcome.OK
                    && !e.target().equals("search")).count());
            assertEquals(List.of("search:ERROR", "search:OK"), ledger.subList(6, 8));
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
