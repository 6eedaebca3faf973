package dev.eryx.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.EryxException;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.Verdict;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.pool.PooledSandbox;
import dev.eryx.pool.SandboxPool;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The meters of one real pool, bound to a Prometheus registry before the pool is built and to a
 * simple registry after. The executions are the script in {@link #start()}; tests that run more
 * look only at what they add.
 */
class EryxPoolMetricsTest {
    private static final EryxPoolMetrics metrics = new EryxPoolMetrics(Tags.of("pool", "test"));
    private static final PrometheusMeterRegistry prometheus =
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private static final SimpleMeterRegistry simple = new SimpleMeterRegistry();
    private static SandboxPool pool;

    @BeforeAll
    static void start() {
        metrics.bindTo(prometheus); // before the pool exists: the gauges learn it later
        pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(1)
                        .acquireTimeout(Duration.ofMillis(200))
                        .listener(metrics)
                        .build();
        metrics.bindTo(simple);
        // The script every assertion counts on: two OK, one Python error, one timeout.
        pool.execute("print(1)");
        pool.execute("print(sum(range(10_000)))");
        assertThrows(EryxException.class, () -> pool.execute("1 / 0"));
        ResourceLimits short_ =
                pool.resourceLimits().toBuilder().executionTimeout(Duration.ofMillis(200)).build();
        assertThrows(EryxException.class, () -> pool.execute("while True: pass", short_));
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    @Test
    void executionsAreCountedByVerdict() {
        for (MeterRegistry registry : new MeterRegistry[] {simple}) {
            assertEquals(2, count(registry, Verdict.OK));
            assertEquals(1, count(registry, Verdict.PYTHON_ERROR));
            assertEquals(1, count(registry, Verdict.TIMEOUT));
            assertEquals(0, count(registry, Verdict.FUEL)); // registered up front, at zero
            assertEquals(
                    2,
                    registry.get("eryx.execution.duration").tag("verdict", "ok").timer().count());
            assertTrue(
                    registry.get("eryx.execution.duration")
                                    .tag("verdict", "timeout")
                                    .timer()
                                    .totalTime(TimeUnit.MILLISECONDS)
                            >= 100);
            assertEquals(4, registry.get("eryx.execution.fuel").summary().count());
            assertTrue(registry.get("eryx.execution.fuel").summary().totalAmount() > 10_000);
            assertEquals("test", registry.get("eryx.executions").meter().getId().getTag("pool"));
        }
    }

    private static double count(MeterRegistry registry, Verdict verdict) {
        return registry.get("eryx.executions").tag("verdict", verdict.wireName()).counter().count();
    }

    @Test
    void gaugesReadThePool() {
        assertEquals(1.0, gauge("eryx.pool.capacity"));
        try (PooledSandbox lent = pool.acquire()) { // executes nothing: the script's counts hold
            assertEquals(1.0, gauge("eryx.pool.active"));
            assertEquals(0.0, gauge("eryx.pool.idle"));
        }
        assertEquals(0.0, gauge("eryx.pool.active"));
        assertEquals(1.0, gauge("eryx.pool.idle"));
    }

    private static double gauge(String name) {
        return simple.get(name).gauge().value();
    }

    @Test
    void acquireWaitsAndReleasesAreTimed() {
        double failedBefore = acquireWait("failed").count();
        double acquiredBefore = acquireWait("acquired").count();
        double reusedBefore =
                simple.get("eryx.pool.releases").tag("reused", "true").counter().count();
        try (PooledSandbox only = pool.acquire()) {
            assertThrows(PoolExhaustedException.class, pool::acquire);
        }
        assertEquals(failedBefore + 1, acquireWait("failed").count());
        assertEquals(acquiredBefore + 1, acquireWait("acquired").count());
        assertTrue(acquireWait("failed").max(TimeUnit.MILLISECONDS) >= 150);
        assertEquals(
                reusedBefore + 1,
                simple.get("eryx.pool.releases").tag("reused", "true").counter().count());
    }

    private static io.micrometer.core.instrument.Timer acquireWait(String outcome) {
        return simple.get("eryx.pool.acquire.wait").tag("outcome", outcome).timer();
    }

    @Test
    void sessionSandboxesOfThePoolAreCountedToo() {
        double before = count(simple, Verdict.CRASHED);
        try (Sandbox own = pool.newSandbox()) {
            assertThrows(EryxException.class, () -> own.execute("import os\nos._exit(1)"));
        }
        assertEquals(before + 1, count(simple, Verdict.CRASHED));
    }

    @Test
    void prometheusScrapeHasTheDocumentedNames() {
        String scrape = prometheus.scrape();
        for (String name :
                new String[] {
                    "eryx_pool_idle{pool=\"test\"}",
                    "eryx_pool_active{pool=\"test\"}",
                    "eryx_pool_capacity{pool=\"test\"} 1",
                    "eryx_executions_total{pool=\"test\",verdict=\"python_error\"} 1",
                    "eryx_executions_total{pool=\"test\",verdict=\"ok\"} 2",
                    "eryx_execution_duration_seconds_count{pool=\"test\",verdict=\"timeout\"} 1",
                    "eryx_pool_acquire_wait_seconds_count{outcome=\"acquired\",pool=\"test\"}",
                    "eryx_pool_acquire_wait_seconds_count{outcome=\"failed\",pool=\"test\"}",
                    "eryx_execution_fuel_count{pool=\"test\"}",
                    "eryx_pool_releases_total{pool=\"test\",reused=\"true\"}",
                    "eryx_pool_releases_total{pool=\"test\",reused=\"false\"}",
                }) {
            assertTrue(scrape.contains(name), () -> name + " not in\n" + scrape);
        }
    }

    @Test
    void gaugesOfAnUnusedBinderAreNaN() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new EryxPoolMetrics().bindTo(registry);
        assertTrue(Double.isNaN(registry.get("eryx.pool.idle").gauge().value()));
        assertEquals(0, registry.get("eryx.executions").tag("verdict", "ok").counter().count());
    }
}
