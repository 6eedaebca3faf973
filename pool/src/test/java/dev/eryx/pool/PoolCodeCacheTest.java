package dev.eryx.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@link SandboxPool.Builder#codeCache}: a pool's sandboxes share one compiled-code cache, no other
 * pool does, and it can be turned off. A hit is seen in the guest, by an audit hook on the
 * runtime's {@code marshal.loads}, within one lease (a release resets the hook away).
 */
class PoolCodeCacheTest {
    private static final String HOOK =
            """
            import sys
            _eryx_loads = [0]
            def _eryx_hook(event, args):
                if event == 'marshal.loads' and sys._getframe(1).f_code.co_name == '_load':
                    _eryx_loads[0] += 1
            sys.addaudithook(_eryx_hook)
            """;

    private static int probes;

    private static int loads(PooledSandbox sandbox) {
        return sandbox.execute("result = _eryx_loads[0]  # " + ++probes).result().asInt();
    }

    /** Runs {@code code} in one lease until it is served (or 20 attempts): whether it was. */
    private static boolean servedWithin(SandboxPool pool, String code, int attempts)
            throws InterruptedException {
        try (PooledSandbox sandbox = pool.acquire()) {
            sandbox.execute(HOOK);
            for (int i = 0; i < attempts; i++) {
                int before = loads(sandbox);
                assertEquals("hit?\n", sandbox.execute(code).stdout());
                if (loads(sandbox) > before) {
                    return true;
                }
                Thread.sleep(100);
            }
            return false;
        }
    }

    @Test
    void thePoolsSandboxesShareItsCacheAndNoOtherPoolDoes() throws Exception {
        String code = "print('hit?')  # " + UUID.randomUUID();
        try (SandboxPool first = SandboxPool.builder().minIdle(0).maxSize(2).build();
                SandboxPool second = SandboxPool.builder().minIdle(0).maxSize(2).build();
                SandboxPool off =
                        SandboxPool.builder().minIdle(0).maxSize(2).codeCache(false).build()) {
            assertTrue(servedWithin(first, code, 600), "the pool caches a repeated source");
            assertTrue(servedWithin(first, code, 1), "in its next lease too");
            assertFalse(servedWithin(second, code, 1), "another pool's cache is its own");
            assertFalse(servedWithin(off, code, 20), "a pool without a cache never serves");
        }
    }
}
