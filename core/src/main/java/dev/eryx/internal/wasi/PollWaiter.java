package dev.eryx.internal.wasi;

/**
 * How {@code poll_oneoff} waits for sockets: injected (by {@code dev.eryx.internal.net}) so WASI
 * needs no networking of its own. Polls without sockets keep the plain {@link Sleeper}.
 */
@FunctionalInterface
public interface PollWaiter {
    /**
     * The readiness ({@link GuestSocket#READABLE}, {@link GuestSocket#WRITABLE}) of each socket,
     * among the bits {@code interests[i]} asks for. Waits at most {@code nanos} ({@code < 0}:
     * without limit) for at least one to be ready; returns at once, possibly with none ready, when
     * the execution is being stopped.
     */
    int[] poll(GuestSocket[] sockets, int[] interests, long nanos);
}
