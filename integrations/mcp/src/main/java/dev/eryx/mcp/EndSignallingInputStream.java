package dev.eryx.mcp;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Tells once when its input ends (end of stream, a read error, or close): the SDK's stdio transport
 * reads on its own thread and offers no other way to learn that the client went away.
 */
final class EndSignallingInputStream extends FilterInputStream {
    private final Runnable onEnd;
    private boolean signalled;

    EndSignallingInputStream(InputStream in, Runnable onEnd) {
        super(in);
        this.onEnd = onEnd;
    }

    @Override
    public int read() throws IOException {
        try {
            int b = super.read();
            if (b < 0) {
                end();
            }
            return b;
        } catch (IOException | RuntimeException e) {
            end();
            throw e;
        }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        try {
            int n = super.read(buffer, offset, length);
            if (n < 0) {
                end();
            }
            return n;
        } catch (IOException | RuntimeException e) {
            end();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            super.close();
        } finally {
            end();
        }
    }

    private synchronized void end() {
        if (!signalled) {
            signalled = true;
            onEnd.run();
        }
    }
}
