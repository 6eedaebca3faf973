package dev.eryx.internal.ledger;

import dev.eryx.Effect;
import dev.eryx.internal.values.ApiValues;
import dev.eryx.internal.wasi.FileListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The audit ledger of one sandbox: what each execution did outside the interpreter (host callbacks,
 * files and network connections), in the one order the host recorded it, whichever the source.
 * Capabilities report here; nothing the guest runs can write, edit or remove an entry.
 *
 * <p>{@link #begin()} and {@link #finish()} bracket every execution on the guest thread; reports
 * come from any thread (a callback ends on a host thread or a timer). The entries of one execution
 * are bounded by {@link #MAX_ENTRIES}, so a loop of opens or calls cannot make the host hold
 * unbounded memory: later ones are only counted, in a final LEDGER_TRUNCATED entry.
 */
public final class EffectLedger implements FileListener {
    /** Entries one execution keeps; later ones are counted in a LEDGER_TRUNCATED entry. */
    public static final int MAX_ENTRIES = 10_000;

    /** Real secret values → [REDACTED] in every string of an entry. */
    private final UnaryOperator<String> redact;

    // Guarded by this.
    private List<Effect> entries = new ArrayList<>();
    private long dropped;
    private List<Effect> finished;

    public EffectLedger() {
        this(UnaryOperator.identity());
    }

    /**
     * @param redact applied to the target, error and destination of every entry
     */
    public EffectLedger(UnaryOperator<String> redact) {
        this.redact = redact;
    }

    /** Starts the ledger of a new execution, discarding anything reported since the last one. */
    public synchronized void begin() {
        entries = new ArrayList<>();
        dropped = 0;
        finished = null;
    }

    /**
     * Ends the execution's ledger and returns it, with a LEDGER_TRUNCATED entry last if entries
     * were dropped; repeated calls return the same list. What is reported afterwards belongs to no
     * execution and is discarded by the next {@link #begin()}.
     */
    public synchronized List<Effect> finish() {
        if (finished == null) {
            if (dropped > 0) {
                entries.add(
                        entry(
                                Effect.Kind.LEDGER_TRUNCATED,
                                "",
                                dropped,
                                Duration.ZERO,
                                Effect.Outcome.OK,
                                null,
                                null));
            }
            finished = List.copyOf(entries);
            entries = new ArrayList<>();
            dropped = 0;
        }
        return finished;
    }

    /**
     * A host callback ended (or was refused).
     *
     * @param bytes JSON arguments plus JSON result
     * @param error why it did not succeed; null when {@code outcome} is OK
     */
    public void callback(
            String name, long bytes, Duration duration, Effect.Outcome outcome, String error) {
        append(entry(Effect.Kind.CALLBACK, name, bytes, duration, outcome, error, null));
    }

    /**
     * A network connection (or attempt) of the guest: when it closed, failed or was refused, or
     * when the execution ended with it open (then bytes cover that execution).
     *
     * @param target {@code host:port}
     * @param error why it did not succeed; null when {@code outcome} is OK
     */
    public void connection(
            String target,
            String host,
            int port,
            String address,
            boolean tls,
            long sent,
            long received,
            Duration duration,
            Effect.Outcome outcome,
            String error) {
        append(
                ApiValues.get()
                        .connectionEffect(
                                target, duration, outcome, error, host, port, address, tls, sent,
                                received));
    }

    /** A file event from WASI, in the ledger's terms. */
    @Override
    public void onFileEvent(FileListener.Event event) {
        append(
                entry(
                        kindOf(event.operation()),
                        event.path(),
                        event.bytes(),
                        Duration.ofNanos(event.hostNanos()),
                        event.errno() == 0 ? Effect.Outcome.OK : Effect.Outcome.ERROR,
                        event.errnoName(),
                        event.destination()));
    }

    private static Effect.Kind kindOf(FileListener.Operation operation) {
        return switch (operation) {
            case READ -> Effect.Kind.FILE_READ;
            case WRITE -> Effect.Kind.FILE_WRITE;
            case UNLINK -> Effect.Kind.FILE_DELETE;
            case RENAME -> Effect.Kind.FILE_RENAME;
            case MKDIR -> Effect.Kind.DIR_CREATE;
            case RMDIR -> Effect.Kind.DIR_DELETE;
            case SYMLINK -> Effect.Kind.SYMLINK_CREATE;
        };
    }

    /** The one place entries are made. */
    private Effect entry(
            Effect.Kind kind,
            String target,
            long bytes,
            Duration duration,
            Effect.Outcome outcome,
            String error,
            String destination) {
        return ApiValues.get()
                .effect(
                        kind,
                        redact.apply(target),
                        bytes,
                        duration,
                        outcome,
                        redact.apply(error),
                        redact.apply(destination));
    }

    private synchronized void append(Effect effect) {
        if (entries.size() < MAX_ENTRIES) {
            entries.add(effect);
        } else {
            dropped++;
        }
    }
}
