package dev.eryx.internal.net;

import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.wasi.GuestSocket;
import java.util.function.BooleanSupplier;

/**
 * The NET_NOTIFIER descriptor: polls readable while a host callback of the running execution has
 * finished and not been POLLed, so the guest's event loop waits on sockets and host calls in one
 * poll. Nothing is ever read from it: recv fails with EAGAIN, send with EPIPE.
 */
final class Notifier implements GuestSocket {
    private final BooleanSupplier callbackFinished;

    Notifier(BooleanSupplier callbackFinished) {
        this.callbackFinished = callbackFinished;
    }

    boolean readable() {
        return callbackFinished.getAsBoolean();
    }

    @Override
    public int recv(byte[] dst, int off, int len, boolean peek, boolean waitAll, boolean nonBlock) {
        throw new ErrnoException(Errno.AGAIN, "the notifier carries no data; POLL the callbacks");
    }

    @Override
    public int send(byte[] src, int off, int len, boolean nonBlock) {
        throw new ErrnoException(Errno.PIPE, "the notifier is not writable");
    }

    @Override
    public void shutdown(boolean read, boolean write) {}

    @Override
    public void close() {}

    @Override
    public boolean isConnection() {
        return false;
    }
}
