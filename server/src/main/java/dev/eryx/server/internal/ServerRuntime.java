package dev.eryx.server.internal;

import java.net.URI;

/** A started server: Jetty, the pool, the sessions' tool, the metrics. */
public final class ServerRuntime implements AutoCloseable {
    private ServerRuntime() {}

    /** Starts everything, or closes what had started and throws. */
    public static ServerRuntime start(ServerConfig config) {
        throw new UnsupportedOperationException("server: start() lands in the next commit");
    }

    public int port() {
        throw new UnsupportedOperationException();
    }

    public URI uri() {
        throw new UnsupportedOperationException();
    }

    public void join() throws InterruptedException {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
}
