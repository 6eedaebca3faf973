package dev.eryx.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.Effect;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Runs the agent example end to end and checks what it prints and what its ledgers hold. */
class AgentLoopTest {

    private static List<String> ledger(AgentLoop.Step step) {
        return step.result().effects().stream()
                .map(e -> e.kind() + " " + e.target() + " " + e.outcome())
                .collect(Collectors.toList());
    }

    @Test
    void theAgentCallsItsToolsInParallelAndTheLedgerShowsEveryEffect() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        List<AgentLoop.Step> steps = AgentLoop.run(out);
        String printed = buffer.toString(StandardCharsets.UTF_8);

        assertEquals(3, steps.size());
        AgentLoop.Step lookups = steps.get(0);
        JsonNode cities = lookups.result().result().get("cities");
        assertEquals(23, cities.get("Lima").get("celsius").asInt());
        assertEquals(10_000_000L, cities.get("Lima").get("population").asLong());
        assertEquals(6, ledger(lookups).size(), ledger(lookups).toString());
        assertTrue(
                ledger(lookups).stream()
                        .allMatch(l -> l.startsWith("CALLBACK ") && l.endsWith(" OK")));
        // Six calls of at least 300 ms each: in sequence the gather would take their summed time
        // (ratio <= 1). In parallel the ideal is 6; it was 3.0-4.7 at load averages of
        // 10-17 on 2 cores; 1.5 leaves room for worse while still failing any sequential run.
        double gatherNanos = lookups.result().result().get("seconds").asDouble() * 1e9;
        double inFlight = lookups.toolTime().toNanos() / gatherNanos;
        assertTrue(
                lookups.toolTime().toMillis() >= 6 * AgentLoop.TOOL_LATENCY.toMillis() - 50,
                lookups.toolTime().toString());
        assertTrue(
                inFlight >= 1.5,
                "calls in flight on average: "
                        + inFlight
                        + ", gather "
                        + gatherNanos / 1e6
                        + " ms");

        AgentLoop.Step followUp = steps.get(1);
        assertEquals("Lima", followUp.result().result().get("warmest").asText());
        assertEquals(
                "things to do in Lima: the old town",
                followUp.result().result().get("notes").get(0).asText());
        assertEquals(List.of("CALLBACK search ERROR", "CALLBACK search OK"), ledger(followUp));
        assertEquals(
                "search backend unavailable",
                followUp.result().effects().get(0).error().orElse("(none)"));

        AgentLoop.Step report = steps.get(2);
        assertEquals("Trip to Lima", report.result().result().get("published").asText());
        assertEquals(
                List.of(
                        "FILE_WRITE /tmp/report.md OK",
                        "FILE_READ /tmp/report.md OK",
                        "CALLBACK publish OK"),
                ledger(report));
        Effect written = report.result().effects().get(0);
        assertEquals(report.result().result().get("characters").asLong(), written.bytes());

        assertTrue(printed.contains("=== step 1: look up every city"), printed);
        assertTrue(
                printed.contains("search failed (search backend unavailable); retrying"), printed);
        assertTrue(printed.contains("FILE_WRITE /tmp/report.md"), printed);
        assertTrue(printed.contains("tool calls in flight on average"), printed);
    }
}
