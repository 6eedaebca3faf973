package dev.eryx.examples;

import dev.eryx.EryxException;
import dev.eryx.ResourceLimits;
import dev.eryx.Verdict;
import dev.eryx.micrometer.EryxPoolMetrics;
import dev.eryx.pool.SandboxPool;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;

/**
 * A pool's metrics in Prometheus format: {@link EryxPoolMetrics} listens to the pool and binds its
 * meters to a registry; a few executions with different verdicts later, the example prints the
 * {@code eryx_*} lines of the scrape (what a {@code /metrics} endpoint serves).
 *
 * <p>Run it: {@code mvn -q -pl examples exec:java
 * -Dexec.mainClass=dev.eryx.examples.MetricsExample} (after one {@code mvn -DskipTests install}).
 */
public final class MetricsExample {
    private MetricsExample() {}

    public static void main(String[] args) {
        EryxPoolMetrics metrics = new EryxPoolMetrics(Tags.of("pool", "example"));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics.bindTo(registry); // before or after the pool is built

        try (SandboxPool pool = SandboxPool.builder().maxSize(2).listener(metrics).build()) {
            // The endless loop gets a short timeout, so it ends soon (as a timeout).
            ResourceLimits quick =
                    pool.resourceLimits().toBuilder()
                            .executionTimeout(Duration.ofSeconds(1))
                            .build();
            run(pool, "print('hello')", pool.resourceLimits());
            run(pool, "result = sum(range(10_000))", pool.resourceLimits());
            run(pool, "1 / 0", pool.resourceLimits());
            run(pool, "while True: pass", quick);
            System.out.println();
            registry.scrape()
                    .lines()
                    .filter(line -> line.startsWith("eryx_"))
                    .filter(line -> !line.endsWith(" 0") && !line.endsWith(" 0.0")) // unused series
                    .forEach(System.out::println);
        }
    }

    private static void run(SandboxPool pool, String code, ResourceLimits limits) {
        Verdict verdict;
        try {
            verdict = Verdict.of(pool.execute(code, limits));
        } catch (EryxException failure) {
            verdict = Verdict.of(failure);
        }
        System.out.printf("%-30s -> %s%n", code, verdict.wireName());
    }
}
