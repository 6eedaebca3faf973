package dev.eryx.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.ResourceLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SandboxPoolTest {

    @Test
    void aReturnedSandboxNeverCarriesStateToTheNextUser() {
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(1)
                        .template(b -> b.env("TENANT", "acme"))
                        .build()) {
            try (PooledSandbox first = pool.acquire()) {
                first.execute(
                        "secret = 'first user'\nimport os\nos.environ['LEAK'] = '1'\n"
                                + "open('/tmp/private.txt', 'w').write('mine')");
                // State persists within one lease.
                assertEquals(
                        "\"first user\"", first.execute("result = secret").result().toString());
                assertTrue(first.files().exists("/tmp/private.txt"));
            }
            try (PooledSandbox second = pool.acquire()) {
                ExecutionResult r =
                        second.execute(
                                "import os\n"
                                        + "result = ['secret' in globals(), os.path.exists('/tmp/private.txt'),"
                                        + " os.environ.get('LEAK'), os.environ.get('TENANT')]");
                assertEquals("[false,false,null,\"acme\"]", r.result().toString());
                assertFalse(second.files().exists("/tmp/private.txt"));
            }
            PoolStats stats = pool.stats();
            assertEquals(2, stats.acquisitions());
            assertEquals(2, stats.resets(), "returned sandboxes are reset in place, not discarded");
            assertEquals(0, stats.discarded());
            assertEquals(1, stats.creations(), "one sandbox served both users");
            assertEquals(0, stats.inUse());
        }
    }

    @Test
    void aResetSandboxForgetsModulesFilesDescriptorsEnvironmentAndMemory() {
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(1)
                        .template(
                                b ->
                                        b.env("TENANT", "acme")
                                                .file(
                                                        "/data/config.txt",
                                                        "template"
                                                                .getBytes(
                                                                        java.nio.charset
                                                                                .StandardCharsets
                                                                                .UTF_8)))
                        .build()) {
            String probe =
                    "import sys, os\n"
                            + "result = ['fractions' in sys.modules, 'mine' in globals(), os.environ.get('TENANT'),"
                            + " os.environ.get('EXTRA'), open('/data/config.txt').read(), os.path.exists('/tmp/x'),"
                            + " sys.getrecursionlimit(), len(os.listdir('/tmp'))]";
            String clean;
            try (PooledSandbox first = pool.acquire()) {
                clean = first.execute(probe).result().toString();
                first.execute(
                        "import fractions, sys, os\nmine = bytearray(32 * 1024 * 1024)\n"
                                + "os.environ['EXTRA'] = 'x'\nos.environ['TENANT'] = 'evil'\n"
                                + "open('/data/config.txt', 'w').write('changed')\n"
                                + "held = open('/tmp/x', 'w')\nsys.setrecursionlimit(77)\n"
                                + "sys.modules['json'] = 'poisoned module table'");
            }
            assertEquals("[false,false,\"acme\",null,\"template\",false,1000,0]", clean);
            for (int i = 0; i < 3; i++) {
                try (PooledSandbox next = pool.acquire()) {
                    assertEquals(clean, next.execute(probe).result().toString());
                    assertEquals(
                            "[1, 2]",
                            next.execute("import json\nprint(json.dumps([1, 2]))").stdout().strip(),
                            "a module replaced by the previous user is the image's again");
                    assertTrue(
                            next.execute("x = 1").stats().peakMemoryBytes()
                                    < (32L << 20) + (20L << 20),
                            "the previous user's 32 MiB are gone");
                    next.execute("import fractions\nmine = 1");
                }
            }
            assertEquals(1, pool.stats().creations());
        }
    }

    @Test
    void manyThreadsShareASmallPool() throws Exception {
        int threads = 8;
        int perThread = 20;
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(2)
                        .maxSize(3)
                        .acquireTimeout(Duration.ofSeconds(60))
                        .build()) {
            ExecutorService clients = Executors.newFixedThreadPool(threads);
            Set<Integer> live = ConcurrentHashMap.newKeySet();
            int[] maxConcurrent = {0};
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                futures.add(
                        clients.submit(
                                () -> {
                                    start.await();
                                    int ok = 0;
                                    for (int i = 0; i < perThread; i++) {
                                        try (PooledSandbox s = pool.acquire()) {
                                            int key = id * 1000 + i;
                                            live.add(key);
                                            synchronized (maxConcurrent) {
                                                maxConcurrent[0] =
                                                        Math.max(maxConcurrent[0], live.size());
                                            }
                                            ExecutionResult r =
                                                    s.execute(
                                                            "assert 'mine' not in globals()\nmine = "
                                                                    + key
                                                                    + "\nresult = mine * 2");
                                            live.remove(key);
                                            if (r.result().asInt() == key * 2) {
                                                ok++;
                                            }
                                        }
                                    }
                                    return ok;
                                }));
            }
            start.countDown();
            int ok = 0;
            for (Future<Integer> f : futures) {
                ok += f.get(100, TimeUnit.SECONDS);
            }
            clients.shutdown();
            assertEquals(threads * perThread, ok);
            assertTrue(
                    maxConcurrent[0] <= 3,
                    "at most maxSize sandboxes lent at once: " + maxConcurrent[0]);
            PoolStats stats = pool.stats();
            assertEquals(threads * perThread, stats.acquisitions());
            assertEquals(0, stats.inUse());
            assertTrue(stats.total() <= 3, stats.toString());
            assertTrue(stats.waits() > 0, stats.toString());
            System.out.println("[pool] 8 threads x 20 on maxSize 3: " + stats);
        }
    }

    @Test
    void acquireGivesUpAfterTheTimeout() {
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(1)
                        .acquireTimeout(Duration.ofMillis(200))
                        .build()) {
            try (PooledSandbox held = pool.acquire()) {
                long t0 = System.nanoTime();
                PoolExhaustedException e =
                        assertThrows(PoolExhaustedException.class, pool::acquire);
                long waitedMs = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(waitedMs >= 150 && waitedMs < 5000, "waited " + waitedMs + " ms");
                assertTrue(e.getMessage().contains("1 in use"), e.getMessage());
                held.execute("x = 1");
            }
            PoolStats stats = pool.stats();
            assertEquals(1, stats.timeouts());
            assertEquals(1, stats.acquisitions());
            // After the holder returned its sandbox the pool serves again.
            assertEquals(3, pool.execute("result = 1 + 2").result().asInt());
        }
    }

    @Test
    void aHardStoppedSessionIsRolledBackAndKeepsItsState() {
        ResourceLimits limits =
                ResourceLimits.builder().executionTimeout(Duration.ofSeconds(1)).build();
        try (SandboxPool pool =
                SandboxPool.builder().minIdle(1).maxSize(2).resourceLimits(limits).build()) {
            try (PooledSandbox session = pool.acquire()) {
                session.execute("kept = 41");
                // sum() over a range runs in C: no bytecode boundary, so only a hard stop ends it.
                assertThrows(
                        ExecutionTimeoutException.class,
                        () -> session.execute("kept = 0\nsum(range(10**13))"));
                assertTrue(session.isUsable());
                assertEquals(42, session.execute("result = kept + 1").result().asInt());
            }
            assertEquals(0, pool.stats().poisoned());
            assertEquals(1, pool.stats().resets());
        }
    }

    @Test
    void aPoisonedSandboxIsDroppedAndThePoolCarriesOn() {
        try (SandboxPool pool = SandboxPool.builder().minIdle(1).maxSize(2).build()) {
            PooledSandbox victim = pool.acquire();
            // os._exit ends the interpreter like a process exit: nothing can run in it afterwards.
            assertThrows(
                    dev.eryx.SandboxCrashedException.class,
                    () -> victim.execute("import os\nos._exit(3)"));
            assertFalse(victim.isUsable());
            victim.close();
            assertEquals(1, pool.stats().poisoned());
            assertEquals(1, pool.stats().discarded());
            for (int i = 0; i < 3; i++) {
                assertEquals(7, pool.execute("result = 3 + 4").result().asInt());
            }
            assertEquals(0, pool.stats().inUse());
        }
    }

    @Test
    void perRequestLimitsApplyToOneExecution() {
        try (SandboxPool pool = SandboxPool.builder().minIdle(1).maxSize(1).build()) {
            ResourceLimits tight =
                    ResourceLimits.builder().executionTimeout(Duration.ofMillis(200)).build();
            // A Python loop takes the cooperative interrupt: the sandbox survives.
            try (PooledSandbox s = pool.acquire()) {
                assertThrows(
                        ExecutionTimeoutException.class,
                        () -> s.execute("while True: pass", tight));
                assertTrue(s.isUsable());
                assertEquals(5, s.execute("result = 5").result().asInt());
            }
            assertThrows(
                    ExecutionTimeoutException.class, () -> pool.execute("while True: pass", tight));
            assertEquals(0, pool.stats().poisoned());
        }
    }

    @Test
    void theMemoryBudgetCapsThePool() {
        ResourceLimits limits = ResourceLimits.builder().maxMemoryBytes(64L << 20).build();
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        SandboxPool.builder()
                                .resourceLimits(limits)
                                .maxTotalMemoryBytes(32L << 20)
                                .build());
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(0)
                        .maxSize(5)
                        .resourceLimits(limits)
                        .maxTotalMemoryBytes(128L << 20)
                        .acquireTimeout(Duration.ofMillis(100))
                        .build()) {
            assertEquals(2, pool.capacity());
            try (PooledSandbox a = pool.acquire();
                    PooledSandbox b = pool.acquire()) {
                PoolExhaustedException e =
                        assertThrows(PoolExhaustedException.class, pool::acquire);
                assertTrue(e.getMessage().contains("memory budget"), e.getMessage());
            }
        }
    }

    @Test
    void preloadedModulesAreInTheImageButNotInUserGlobals() {
        try (SandboxPool pool =
                SandboxPool.builder().minIdle(1).maxSize(1).preload("json", "fractions").build()) {
            ExecutionResult r =
                    pool.execute(
                            "import sys\n"
                                    + "result = ['json' in sys.modules, 'fractions' in sys.modules, 'json' in globals()]");
            assertEquals("[true,true,false]", r.result().toString());
            assertEquals(List.of("json", "fractions"), pool.image().preloadedModules());
        }
    }

    @Test
    void closingThePoolStopsLentSandboxes() {
        SandboxPool pool = SandboxPool.builder().minIdle(1).maxSize(2).build();
        PooledSandbox lent = pool.acquire();
        pool.close();
        assertThrows(IllegalStateException.class, () -> lent.execute("x = 1"));
        lent.close();
        assertThrows(IllegalStateException.class, pool::acquire);
        assertEquals(0, pool.stats().total());
    }
}
