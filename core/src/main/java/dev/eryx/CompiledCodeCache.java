package dev.eryx;

import dev.eryx.internal.execution.CodeCache;

/**
 * Compiled code shared by the sandboxes it is given to ({@link Sandbox.Builder#codeCache}): a
 * source one of them executes repeatedly is compiled once, in the background, by a compiler sandbox
 * of the cache's own that runs no user code, and later executions of exactly that source (and file
 * name) load the compiled code instead of compiling it, which saves about 1.3 ms each
 * (docs/performance.md "Round 2", lever 6). Pools have one each ({@code
 * SandboxPool.Builder.codeCache}); a lone sandbox has none unless given one.
 *
 * <p><b>Share it only within one tenant.</b> Whether an execution was served from the cache is
 * observable inside the sandbox (an audit hook sees {@code marshal.loads} instead of a compilation,
 * and it is faster), so a sandbox learns whether another sandbox of the same cache recently ran
 * exactly a given source. Give a cache to the sandboxes of one tenant only (see docs/security.md).
 * What a tenant runs can never change what the cache serves another.
 *
 * <p>The cache serves the sandboxes of one image (the first sandbox built with it decides;
 * sandboxes of another image, or restored from a saved state, compile everything themselves), and
 * is bounded (512 entries, 16 MiB, sources up to 256 KiB). Thread-safe. {@link #close()} ends its
 * compiler thread and drops the entries; close it after its sandboxes.
 */
public final class CompiledCodeCache implements AutoCloseable {
    private final CodeCache cache = new CodeCache();

    private CompiledCodeCache() {}

    /** An empty cache, not bound to an image yet. */
    public static CompiledCodeCache create() {
        return new CompiledCodeCache();
    }

    CodeCache internal() {
        return cache;
    }

    /** Ends the compiler and drops the entries; its sandboxes compile everything from then on. */
    @Override
    public void close() {
        cache.close();
    }
}
