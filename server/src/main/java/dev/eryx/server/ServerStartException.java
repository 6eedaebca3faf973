package dev.eryx.server;

/**
 * {@link EryxServer#start()} failed: the address cannot be bound, or the pool cannot be built (a
 * sandbox template or packages refused). Whatever had started is closed again.
 */
public class ServerStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ServerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
