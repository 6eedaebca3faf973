package dev.eryx.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.Callback;
import dev.eryx.Effect;
import dev.eryx.ExecutionResult;
import dev.eryx.PythonException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An agent loop: the host exposes tools as callbacks, and the "model" (here a fixed script of
 * steps, as an LLM would write them) runs Python that calls several tools at once with {@code
 * asyncio.gather}. Each step runs in the same sandbox, so later steps see earlier variables. After
 * every step the host prints the step's answer and its audit ledger: which tools ran, for how long,
 * and which files the step touched.
 *
 * <p>Run it: {@code mvn -q -pl examples exec:java} (after one {@code mvn -DskipTests install}), or
 * {@code java -cp <examples classpath> dev.eryx.examples.AgentLoop}.
 */
public final class AgentLoop {
    /**
     * How long each simulated remote tool takes; three in parallel should take about this long
     * once.
     */
    static final Duration TOOL_LATENCY = Duration.ofMillis(300);

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The agent's steps, as a model would emit them: plain Python with top-level await. */
    static final List<String> STEPS =
            List.of(
                    String.join(
                            "\n",
                            "# Step 1: look up every city with two tools, all six calls at once.",
                            "import asyncio, time",
                            "from eryx import tools",
                            "cities = ['Paris', 'Oslo', 'Lima']",
                            "started = time.monotonic()",
                            "weather, populations = await asyncio.gather(",
                            "    asyncio.gather(*(tools.weather(city=c) for c in cities)),",
                            "    asyncio.gather(*(tools.population(c) for c in cities)),",
                            ")",
                            "seconds = time.monotonic() - started",
                            "table = {c: {'celsius': w['celsius'], 'population': p}",
                            "         for c, w, p in zip(cities, weather, populations)}",
                            "result = {'cities': table, 'seconds': seconds}"),
                    String.join(
                            "\n",
                            "# Step 2: follow up on the warmest city; the search tool is flaky, so retry.",
                            "warmest = max(cities, key=lambda c: table[c]['celsius'])",
                            "notes = []",
                            "for attempt in range(3):",
                            "    try:",
                            "        notes = await tools.search(query=f'things to do in {warmest}', attempt=attempt)",
                            "        break",
                            "    except Exception as error:",
                            "        print(f'search failed ({error}); retrying')",
                            "result = {'warmest': warmest, 'notes': notes}"),
                    String.join(
                            "\n",
                            "# Step 3: write a report into the sandbox and hand it to the host's publish tool.",
                            "with open('/tmp/report.md', 'w') as f:",
                            "    f.write('# Trip report\\n')",
                            "    f.write(f'Warmest: {warmest}\\n')",
                            "    f.write(''.join(f'- {n}\\n' for n in notes))",
                            "with open('/tmp/report.md') as f:",
                            "    report = f.read()",
                            "receipt = await publish(title=f'Trip to {warmest}', body=report)",
                            "result = receipt"));

    /** One executed step: its answer and its ledger. */
    public static final class Step {
        private final String code;
        private final ExecutionResult result;

        Step(String code, ExecutionResult result) {
            this.code = code;
            this.result = result;
        }

        public String code() {
            return code;
        }

        public ExecutionResult result() {
            return result;
        }

        /** The summed duration of the step's tool calls, from its ledger. */
        public Duration toolTime() {
            return result.effects().stream()
                    .filter(e -> e.kind() == Effect.Kind.CALLBACK)
                    .map(Effect::duration)
                    .reduce(Duration.ZERO, Duration::plus);
        }
    }

    private AgentLoop() {}

    /** The tools the agent may call. */
    static List<Callback> tools() {
        Map<String, Integer> celsius = Map.of("Paris", 19, "Oslo", 8, "Lima", 23);
        Map<String, Long> population =
                Map.of("Paris", 2_100_000L, "Oslo", 700_000L, "Lima", 10_000_000L);
        return List.of(
                Callback.of(
                                "weather",
                                "Current weather of a city",
                                args -> {
                                    sleep(TOOL_LATENCY); // a slow remote API, called synchronously
                                    String city = args.get("city").asText();
                                    return Map.of(
                                            "city",
                                            city,
                                            "celsius",
                                            requireKnown(celsius.get(city), city));
                                })
                        .withSchema(
                                schema(
                                        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                                                + "\"required\":[\"city\"],\"additionalProperties\":false}")),
                // Asynchronous host code: nothing blocks a host thread while the "request" is out.
                Callback.async(
                                "population",
                                "Population of a city",
                                args -> {
                                    String city = args.get("city").asText();
                                    return CompletableFuture.supplyAsync(
                                            () -> requireKnown(population.get(city), city),
                                            CompletableFuture.delayedExecutor(
                                                    TOOL_LATENCY.toMillis(),
                                                    TimeUnit.MILLISECONDS));
                                })
                        .withSchema(
                                schema(
                                        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                                                + "\"required\":[\"city\"]}")),
                Callback.of(
                        "search",
                        "Web search; its backend fails the first attempt",
                        args -> {
                            if (args.path("attempt").asInt() == 0) {
                                throw new IllegalStateException("search backend unavailable");
                            }
                            String query = args.get("query").asText();
                            return List.of(query + ": the old town", query + ": the sea front");
                        }),
                Callback.of(
                        "publish",
                        "Publishes a report; returns a receipt",
                        args ->
                                Map.of(
                                        "published", args.get("title").asText(),
                                        "characters", args.get("body").asText().length())));
    }

    /** Runs every step in one sandbox, printing each answer and ledger to {@code out}. */
    public static List<Step> run(PrintStream out) {
        ResourceLimits limits =
                ResourceLimits.builder()
                        .executionTimeout(Duration.ofSeconds(30))
                        .callbackTimeout(Duration.ofSeconds(5))
                        .maxCallbackInvocations(20)
                        .build();
        Sandbox.Builder builder = Sandbox.builder().resourceLimits(limits).stdout(out::print);
        tools().forEach(builder::callback);
        List<Step> steps = new ArrayList<>();
        try (Sandbox sandbox = builder.build()) {
            for (int i = 0; i < STEPS.size(); i++) {
                String code = STEPS.get(i);
                out.printf(
                        "%n=== step %d: %s%n",
                        i + 1,
                        code.lines().findFirst().orElse("").replaceFirst("^# Step \\d+: ", ""));
                ExecutionResult result;
                try {
                    result = sandbox.execute(code);
                } catch (PythonException e) {
                    // A real loop would hand the traceback back to the model; here it is a bug.
                    out.println(e.traceback());
                    throw e;
                }
                Step step = new Step(code, result);
                steps.add(step);
                out.printf("answer: %s%n", result.result());
                out.printf(
                        "took %d ms, of which tools ran %d ms in total%n",
                        result.duration().toMillis(), step.toolTime().toMillis());
                JsonNode seconds = result.result() == null ? null : result.result().get("seconds");
                if (seconds != null) {
                    // Summed call time over the gather's wall time: ~1 in sequence, ~6 fully
                    // parallel.
                    out.printf(
                            "the gather took %d ms: %.1f tool calls in flight on average%n",
                            Math.round(seconds.asDouble() * 1000),
                            step.toolTime().toNanos() / (seconds.asDouble() * 1e9));
                }
                out.println("ledger:");
                for (Effect effect : result.effects()) {
                    out.printf(
                            "  %-10s %-22s %6d bytes %5d ms  %s%s%n",
                            effect.kind(),
                            effect.target() + effect.destination().map(d -> " -> " + d).orElse(""),
                            effect.bytes(),
                            effect.duration().toMillis(),
                            effect.outcome(),
                            effect.error().map(e -> " (" + e + ")").orElse(""));
                }
            }
        }
        return steps;
    }

    public static void main(String[] args) {
        run(System.out);
    }

    private static JsonNode schema(String json) {
        try {
            return JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T requireKnown(T value, String city) {
        return Objects.requireNonNull(value, () -> "unknown city: " + city);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the call was cancelled: stop waiting
        }
    }
}
