package dev.eryx.micrometer;

import dev.eryx.ExecutionStats;
import dev.eryx.Verdict;
import dev.eryx.pool.PoolListener;
import dev.eryx.pool.SandboxPool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters for one {@link SandboxPool}: a {@link PoolListener} the pool tells about its
 * work, and a {@link MeterBinder} that registers the meters.
 *
 * <pre>{@code
 * EryxPoolMetrics metrics = new EryxPoolMetrics();
 * SandboxPool pool = SandboxPool.builder().listener(metrics).build();
 * metrics.bindTo(registry); // before or after the pool is built
 * }</pre>
 *
 * <p>Meters (Micrometer name, then the Prometheus name):
 *
 * <ul>
 *   <li>{@code eryx.pool.idle}, {@code eryx.pool.active}, {@code eryx.pool.capacity} (gauges:
 *       {@code eryx_pool_idle}, {@code eryx_pool_active}, {@code eryx_pool_capacity}): idle and
 *       lent sandboxes, and how many may exist at once; NaN until the pool is built;
 *   <li>{@code eryx.executions} {@code {verdict}} (counter, {@code eryx_executions_total}): every
 *       execution of the pool's sandboxes, by {@link Verdict#wireName()};
 *   <li>{@code eryx.execution.duration} {@code {verdict}} (timer, {@code
 *       eryx_execution_duration_seconds});
 *   <li>{@code eryx.pool.acquire.wait} {@code {outcome=acquired|failed}} (timer, {@code
 *       eryx_pool_acquire_wait_seconds}): how long acquisitions waited;
 *   <li>{@code eryx.execution.fuel} (distribution summary, {@code eryx_execution_fuel}): fuel
 *       burned per execution;
 *   <li>{@code eryx.pool.releases} {@code {reused=true|false}} (counter, {@code
 *       eryx_pool_releases_total}): sandboxes returned, reset for reuse or discarded.
 * </ul>
 *
 * Every meter carries the tags given to the constructor. Every verdict, outcome and release kind is
 * registered up front, so a dashboard sees zeros rather than missing series. Events that happen
 * before {@link #bindTo} are not counted. One instance serves one pool; it may be bound to several
 * registries. Thread-safe.
 */
public final class EryxPoolMetrics implements PoolListener, MeterBinder {
    private final Tags tags;

    /** The meters of each registry this was bound to. */
    private final List<Meters> bound = new CopyOnWriteArrayList<>();

    private volatile SandboxPool pool;

    /** Meters without extra tags. */
    public EryxPoolMetrics() {
        this(Tags.empty());
    }

    /** Meters carrying {@code tags} (for example the pool's name, when a host has several). */
    public EryxPoolMetrics(Iterable<Tag> tags) {
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        gauge(registry, "eryx.pool.idle", "Sandboxes ready to hand out", m -> m.stat(Stat.IDLE));
        gauge(registry, "eryx.pool.active", "Sandboxes lent out", m -> m.stat(Stat.ACTIVE));
        gauge(
                registry,
                "eryx.pool.capacity",
                "Sandboxes that may exist at once",
                m -> m.stat(Stat.CAPACITY));
        bound.add(new Meters(registry, tags));
    }

    private void gauge(
            MeterRegistry registry,
            String name,
            String description,
            ToDoubleFunction<EryxPoolMetrics> value) {
        Gauge.builder(name, this, value)
                .description(description)
                .tags(tags)
                .strongReference(true) // the registry keeps this binder alive, not the caller
                .register(registry);
    }

    private enum Stat {
        IDLE,
        ACTIVE,
        CAPACITY
    }

    private double stat(Stat stat) {
        SandboxPool current = pool;
        if (current == null) {
            return Double.NaN;
        }
        switch (stat) {
            case IDLE:
                return current.stats().idle();
            case ACTIVE:
                return current.stats().inUse();
            default:
                return current.capacity();
        }
    }

    @Override
    public void poolCreated(SandboxPool pool) {
        this.pool = pool;
    }

    @Override
    public void acquired(Duration waited) {
        for (Meters meters : bound) {
            meters.acquired.record(waited);
        }
    }

    @Override
    public void acquireFailed(Duration waited) {
        for (Meters meters : bound) {
            meters.acquireFailed.record(waited);
        }
    }

    @Override
    public void released(boolean reused) {
        for (Meters meters : bound) {
            (reused ? meters.reused : meters.discarded).increment();
        }
    }

    @Override
    public void executionFinished(Verdict verdict, Duration duration, ExecutionStats stats) {
        for (Meters meters : bound) {
            meters.executions.get(verdict).increment();
            meters.durations.get(verdict).record(duration);
            meters.fuel.record(stats.fuelConsumed());
        }
    }

    /** The meters of one registry, registered once so that events only look them up. */
    private static final class Meters {
        final Map<Verdict, Counter> executions = new EnumMap<>(Verdict.class);
        final Map<Verdict, Timer> durations = new EnumMap<>(Verdict.class);
        final Timer acquired;
        final Timer acquireFailed;
        final DistributionSummary fuel;
        final Counter reused;
        final Counter discarded;

        Meters(MeterRegistry registry, Tags tags) {
            for (Verdict verdict : Verdict.values()) {
                Tags withVerdict = tags.and("verdict", verdict.wireName());
                executions.put(
                        verdict,
                        Counter.builder("eryx.executions")
                                .description("Executions of the pool's sandboxes, by verdict")
                                .tags(withVerdict)
                                .register(registry));
                durations.put(
                        verdict,
                        Timer.builder("eryx.execution.duration")
                                .description("Wall-clock time of executions, by verdict")
                                .tags(withVerdict)
                                .register(registry));
            }
            acquired = acquireWait(registry, tags, "acquired");
            acquireFailed = acquireWait(registry, tags, "failed");
            fuel =
                    DistributionSummary.builder("eryx.execution.fuel")
                            .description(
                                    "Fuel (guest function entries and loop iterations) burned per execution")
                            .tags(tags)
                            .register(registry);
            reused = releases(registry, tags, true);
            discarded = releases(registry, tags, false);
        }

        private static Timer acquireWait(MeterRegistry registry, Tags tags, String outcome) {
            return Timer.builder("eryx.pool.acquire.wait")
                    .description("Time acquisitions waited for a sandbox, by outcome")
                    .tags(tags.and("outcome", outcome))
                    .register(registry);
        }

        private static Counter releases(MeterRegistry registry, Tags tags, boolean reused) {
            return Counter.builder("eryx.pool.releases")
                    .description("Sandboxes returned to the pool: reset for reuse, or discarded")
                    .tags(tags.and("reused", Boolean.toString(reused)))
                    .register(registry);
        }
    }
}
