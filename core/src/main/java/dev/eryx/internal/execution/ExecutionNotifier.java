package dev.eryx.internal.execution;

import dev.eryx.EryxException;
import dev.eryx.ExecutionListener;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionStats;
import dev.eryx.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tells a sandbox's {@link ExecutionListener}s how each execution ended. A listener is host code
 * the guest never reaches, but it must not change an outcome either: what it throws is dropped
 * (logged once at WARNING, then at DEBUG, so a broken metrics hook cannot flood the log).
 */
final class ExecutionNotifier {
    private static final System.Logger LOG = System.getLogger("dev.eryx");

    private final List<ExecutionListener> listeners;
    private final AtomicBoolean warned = new AtomicBoolean();

    ExecutionNotifier(List<ExecutionListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    /**
     * An execution ended with {@code result} or {@code failure} (exactly one is non-null).
     *
     * @param measured its wall time, used when neither the result nor the failure carries one
     */
    void finished(ExecutionResult result, Throwable failure, Duration measured) {
        if (listeners.isEmpty()) {
            return;
        }
        ExecutionResult carried = result;
        if (carried == null && failure instanceof EryxException eryx) {
            carried = eryx.partialResult();
        }
        Verdict verdict = failure != null ? Verdict.of(failure) : Verdict.of(result);
        Duration duration = carried != null ? carried.duration() : measured;
        ExecutionStats stats = carried != null ? carried.stats() : ExecutionStats.none();
        for (ExecutionListener listener : listeners) {
            try {
                listener.executionFinished(verdict, duration, stats);
            } catch (RuntimeException e) {
                LOG.log(
                        warned.compareAndSet(false, true)
                                ? System.Logger.Level.WARNING
                                : System.Logger.Level.DEBUG,
                        "an execution listener threw; ignored (" + listener + ")",
                        e);
            }
        }
    }
}
