package dev.eryx.internal.execution;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * The guest's stdin when the host gave one: a daemon thread ({@code eryx-stdin-…}) reads the host's
 * stream into a bounded buffer, and the guest reads from the buffer. {@link InputStream#read}
 * cannot be interrupted, so a guest reading it directly would hold its execution past any timeout
 * or cancellation; waiting on the buffer instead ends when the execution is stopped ({@link #wake})
 * or its thread is interrupted, and the guest's read then fails with {@link
 * InterruptedIOException}, which the WASI layer turns into a hard stop.
 *
 * <p>One pump per sandbox, started by the first read, so a sandbox whose code never reads stdin
 * starts no thread. Bytes the pump has read but no execution has consumed yet stay buffered for the
 * next execution, as unread bytes stay in a pipe; they are lost when the sandbox closes. The pump
 * reads ahead at most {@link #CAPACITY} bytes. Closing interrupts the pump (which ends a read of an
 * interruptible stream such as a {@code PipedInputStream}); a pump blocked in a read that ignores
 * interrupts ends when that read returns, without keeping what it read. The host's stream is never
 * closed.
 */
final class StdinPump implements AutoCloseable {
    /** How far the pump reads ahead of the guest. */
    static final int CAPACITY = 64 * 1024;

    private final InputStream source;
    private final String threadName;
    private final Object lock = new Object();

    // All guarded by lock.
    private final byte[] ring = new byte[CAPACITY];
    private int head;
    private int size;
    private boolean endOfInput;
    private IOException failure;
    private boolean woken;
    private boolean closed;
    private Thread pump;

    StdinPump(InputStream source, String threadName) {
        this.source = source;
        this.threadName = threadName;
    }

    /** What the guest's fd 0 reads. */
    InputStream guestStream() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return StdinPump.this.read(b, off, len);
            }
        };
    }

    /**
     * Waits for input: returns what is buffered (at most {@code len} bytes), or -1 at the end of
     * the host's stream.
     *
     * @throws InterruptedIOException the execution was stopped, or the thread interrupted, while
     *     waiting
     * @throws IOException the host's stream failed (after everything read before was consumed)
     */
    private int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        synchronized (lock) {
            startIfNeeded();
            while (size == 0 && !endOfInput && failure == null && !closed && !woken) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    throw new InterruptedIOException("stopped while waiting for stdin");
                }
            }
            if (size > 0) {
                int n = Math.min(len, size);
                int first = Math.min(n, CAPACITY - head);
                System.arraycopy(ring, head, b, off, first);
                System.arraycopy(ring, 0, b, off + first, n - first);
                head = (head + n) % CAPACITY;
                size -= n;
                lock.notifyAll(); // room for the pump
                return n;
            }
            if (woken) {
                throw new InterruptedIOException("stopped while waiting for stdin");
            }
            if (failure != null) {
                throw new IOException("stdin failed: " + failure.getMessage(), failure);
            }
            return -1; // end of input, or closed
        }
    }

    /** The running execution is being stopped: a read waiting for input ends at once. */
    void wake() {
        synchronized (lock) {
            woken = true;
            lock.notifyAll();
        }
    }

    /** An execution begins: its reads wait again (a stop of the previous one is over). */
    void rearm() {
        synchronized (lock) {
            woken = false;
        }
    }

    private void startIfNeeded() {
        if (pump == null && !closed) {
            pump = new Thread(null, this::pump, threadName, 0, false);
            pump.setDaemon(true);
            pump.start();
        }
    }

    /** The pump thread: reads the host's stream until its end, a failure or close. */
    private void pump() {
        byte[] chunk = new byte[8192];
        while (true) {
            int room;
            synchronized (lock) {
                while (size == CAPACITY && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return; // only close interrupts the pump
                    }
                }
                if (closed) {
                    return;
                }
                room = Math.min(chunk.length, CAPACITY - size);
            }
            int n;
            try {
                n = source.read(chunk, 0, room);
            } catch (IOException | RuntimeException e) {
                synchronized (lock) {
                    failure = e instanceof IOException io ? io : new IOException(e);
                    lock.notifyAll();
                }
                return;
            }
            synchronized (lock) {
                if (closed) {
                    return;
                }
                if (n < 0) {
                    endOfInput = true;
                    lock.notifyAll();
                    return;
                }
                int tail = (head + size) % CAPACITY;
                int first = Math.min(n, CAPACITY - tail);
                System.arraycopy(chunk, 0, ring, tail, first);
                System.arraycopy(chunk, first, ring, 0, n - first);
                size += n;
                lock.notifyAll();
            }
        }
    }

    /** Ends the pump (see the class comment) and ends every read: they see the end of input. */
    @Override
    public void close() {
        Thread running;
        synchronized (lock) {
            closed = true;
            running = pump;
            lock.notifyAll();
        }
        if (running != null) {
            running.interrupt();
        }
    }
}
