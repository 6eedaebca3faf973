package dev.eryx;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of an execution's audit ledger ({@link ExecutionResult#effects()}). Entries are
 * recorded by the host as the effects happen, so the guest can neither forge nor suppress them.
 * Immutable.
 *
 * <p>File entries name guest paths and cover the sandbox's own files and its mounts, never the
 * interpreter's reads of its standard library. Reads and writes are aggregated per open file: one
 * FILE_READ and/or FILE_WRITE entry when the guest closes it (or when the execution ends, for a
 * file still open). Network entries (NETWORK_CONNECT) cover every connection the guest tried: one
 * when it closes or when the execution ends while it is open, with {@link #connection()}. See
 * docs/callbacks.md, "Ledger".
 */
public final class Effect {
    /** What kind of effect. */
    public enum Kind {
        /** Bytes read from one opened file (or a failed open for reading). */
        FILE_READ,
        /**
         * Bytes written to one opened file, including creating or truncating it (or a failed open
         * for writing).
         */
        FILE_WRITE,
        /** A file or symlink removed; {@code bytes} is the removed file's size. */
        FILE_DELETE,
        /** A file or directory moved; {@link #destination()} is the new path. */
        FILE_RENAME,
        /** A directory created. */
        DIR_CREATE,
        /** A directory removed. */
        DIR_DELETE,
        /** A symlink created at {@code target}; {@link #destination()} is what it points to. */
        SYMLINK_CREATE,
        /** A host callback invocation. */
        CALLBACK,
        /**
         * A network connection the guest made or tried: {@code target} is {@code host:port}, {@code
         * bytes} the bytes sent plus received (at the socket, so TLS records included), {@link
         * #connection()} the details. REJECTED when the policy or a limit refused it (the error
         * says why; nothing was sent), ERROR when it failed, OK otherwise.
         */
        NETWORK_CONNECT,
        /**
         * Appended once when an execution produced more entries than the ledger holds; {@code
         * bytes} is how many later entries were dropped.
         */
        LEDGER_TRUNCATED
    }

    /** How the effect ended. */
    public enum Outcome {
        /** It succeeded. */
        OK,
        /** It failed: the callback threw, or the operation returned an error. */
        ERROR,
        /** The guest's arguments did not match the callback's schema; the callback did not run. */
        INVALID_ARGUMENTS,
        /** It ran longer than {@link ResourceLimits#callbackTimeout()}. */
        TIMEOUT,
        /** The guest cancelled it, or the execution ended (or was stopped) before it finished. */
        CANCELLED,
        /**
         * Refused before running: over {@link ResourceLimits#maxCallbackInvocations()}, or a
         * connection the network policy or its limits refused.
         */
        REJECTED
    }

    private final Kind kind;
    private final String target;
    private final long bytes;
    private final Duration duration;
    private final Outcome outcome;
    private final String error;
    private final String destination;
    private final Connection connection;

    /** The details of a NETWORK_CONNECT entry. Immutable. */
    public static final class Connection {
        private final String host;
        private final int port;
        private final String address;
        private final boolean tls;
        private final long bytesSent;
        private final long bytesReceived;

        Connection(String host, int port, String address, boolean tls, long sent, long received) {
            this.host = Objects.requireNonNull(host, "host");
            this.port = port;
            this.address = Objects.requireNonNull(address, "address");
            this.tls = tls;
            if (sent < 0 || received < 0) {
                throw new IllegalArgumentException("byte counts must be >= 0");
            }
            this.bytesSent = sent;
            this.bytesReceived = received;
        }

        /** The name the guest resolved (or the IP literal it connected to). */
        public String host() {
            return host;
        }

        public int port() {
            return port;
        }

        /** The address the host connected to (the one the policy checked). */
        public String address() {
            return address;
        }

        /** Whether the guest had the connection wrapped in TLS. */
        public boolean tls() {
            return tls;
        }

        /** Bytes written to the socket (ciphertext under TLS) that this entry covers. */
        public long bytesSent() {
            return bytesSent;
        }

        /** Bytes read from the socket that this entry covers. */
        public long bytesReceived() {
            return bytesReceived;
        }

        @Override
        public String toString() {
            return "Connection{"
                    + host
                    + ':'
                    + port
                    + " at "
                    + address
                    + (tls ? ", tls" : "")
                    + ", sent="
                    + bytesSent
                    + ", received="
                    + bytesReceived
                    + '}';
        }
    }

    /**
     * Built by the internals, through {@link dev.eryx.internal.values.ApiValues}.
     *
     * @param error what went wrong (an errno name such as {@code ENOENT} for files, the message for
     *     callbacks and connections); null when the outcome is {@link Outcome#OK}
     * @param destination the new path of a rename or the target of a symlink, or null
     */
    Effect(
            Kind kind,
            String target,
            long bytes,
            Duration duration,
            Outcome outcome,
            String error,
            String destination) {
        this(kind, target, bytes, duration, outcome, error, destination, null);
    }

    /** A NETWORK_CONNECT entry carries its {@code connection}; other kinds none. */
    Effect(
            Kind kind,
            String target,
            long bytes,
            Duration duration,
            Outcome outcome,
            String error,
            String destination,
            Connection connection) {
        this.connection = connection;
        this.kind = Objects.requireNonNull(kind, "kind");
        this.target = Objects.requireNonNull(target, "target");
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0: " + bytes);
        }
        this.bytes = bytes;
        this.duration = Objects.requireNonNull(duration, "duration");
        this.outcome = Objects.requireNonNull(outcome, "outcome");
        if (error != null && outcome == Outcome.OK) {
            throw new IllegalArgumentException("an OK effect has no error: " + error);
        }
        this.error = error;
        this.destination = destination;
    }

    public Kind kind() {
        return kind;
    }

    /** The guest path of a file effect, the callback's name, or a connection's host:port. */
    public String target() {
        return target;
    }

    /**
     * Bytes moved: for FILE_READ/FILE_WRITE the total read or written through that open file, for
     * FILE_DELETE the removed file's size, for a callback the size of its JSON arguments plus its
     * JSON result.
     */
    public long bytes() {
        return bytes;
    }

    /**
     * For a callback, from the guest's call until the host function finished (or was abandoned);
     * for a file effect, the host time spent serving the operations the entry covers (for an
     * aggregated read or write: the open plus every read or write).
     */
    public Duration duration() {
        return duration;
    }

    public Outcome outcome() {
        return outcome;
    }

    /**
     * Why it failed: {@code "ENOENT"}, {@code "EROFS"}, {@code "ENOSPC"}, ... for files; the
     * message for callbacks.
     */
    public Optional<String> error() {
        return Optional.ofNullable(error);
    }

    /** The details of a NETWORK_CONNECT entry; empty for the other kinds. */
    public Optional<Connection> connection() {
        return Optional.ofNullable(connection);
    }

    /** The new path of a FILE_RENAME, or the link text of a SYMLINK_CREATE. */
    public Optional<String> destination() {
        return Optional.ofNullable(destination);
    }

    @Override
    public String toString() {
        return "Effect{"
                + kind
                + ' '
                + target
                + (destination == null ? "" : " -> " + destination)
                + ", bytes="
                + bytes
                + ", duration="
                + duration
                + ", "
                + outcome
                + (error == null ? "" : " " + error)
                + '}';
    }
}
