package dev.eryx.pool;

import dev.eryx.ExecutionListener;
import dev.eryx.ExecutionStats;
import dev.eryx.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A pool's {@link PoolListener}s, called in order. What one throws is dropped (logged once at
 * WARNING, then at DEBUG): a listener can never change what the pool does.
 */
final class PoolListeners {
    private static final System.Logger LOG = System.getLogger("dev.eryx.pool");

    private final List<PoolListener> listeners;
    private final AtomicBoolean warned = new AtomicBoolean();

    PoolListeners(List<PoolListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    boolean isEmpty() {
        return listeners.isEmpty();
    }

    void poolCreated(SandboxPool pool) {
        each(listener -> listener.poolCreated(pool));
    }

    void acquired(long waitedNanos) {
        Duration waited = Duration.ofNanos(waitedNanos);
        each(listener -> listener.acquired(waited));
    }

    void acquireFailed(long waitedNanos) {
        Duration waited = Duration.ofNanos(waitedNanos);
        each(listener -> listener.acquireFailed(waited));
    }

    void released(boolean reused) {
        each(listener -> listener.released(reused));
    }

    /**
     * The execution listener of one sandbox: silent until {@link Gate#open()}, so the pool's own
     * warm-up execution is not counted as anyone's.
     */
    Gate gate() {
        return new Gate();
    }

    final class Gate implements ExecutionListener {
        private volatile boolean open;

        void open() {
            open = true;
        }

        @Override
        public void executionFinished(Verdict verdict, Duration duration, ExecutionStats stats) {
            if (open) {
                each(listener -> listener.executionFinished(verdict, duration, stats));
            }
        }
    }

    private void each(Consumer<PoolListener> call) {
        for (PoolListener listener : listeners) {
            try {
                call.accept(listener);
            } catch (RuntimeException e) {
                LOG.log(
                        warned.compareAndSet(false, true)
                                ? System.Logger.Level.WARNING
                                : System.Logger.Level.DEBUG,
                        "a pool listener threw; ignored (" + listener + ")",
                        e);
            }
        }
    }
}
