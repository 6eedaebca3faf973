package dev.eryx.pool;

import dev.eryx.EryxException;

/**
 * No sandbox became free within the pool's acquire timeout: every sandbox the concurrency cap and
 * the memory budget allow is in use. The request was refused before any guest code ran.
 */
public class PoolExhaustedException extends EryxException {
    public PoolExhaustedException(String message) {
        super(message, null);
    }
}
