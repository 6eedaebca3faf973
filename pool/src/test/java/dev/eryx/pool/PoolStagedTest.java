package dev.eryx.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.MountMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pool reset discards what one user staged: the next user starts from the host directory. */
class PoolStagedTest {
    @Test
    void aResetDiscardsStagedChanges(@TempDir Path host) throws Exception {
        Files.writeString(host.resolve("a.txt"), "host\n");
        try (SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(1)
                        .maxSize(1)
                        .template(b -> b.mount(host, "/work", MountMode.STAGED))
                        .build()) {
            try (PooledSandbox first = pool.acquire()) {
                first.execute(
                        "import os\nopen('/work/a.txt', 'w').write('first user\\n')\n"
                                + "open('/work/mine.txt', 'w').write('x')");
                assertEquals(2, first.files().pendingChanges().size());
            }
            try (PooledSandbox second = pool.acquire()) {
                assertEquals(List.of(), second.files().pendingChanges());
                assertEquals(
                        "host\n",
                        second.execute("result = open('/work/a.txt').read()").result().asText());
                assertFalse(second.files().exists("/work/mine.txt"));
            }
            assertEquals(1, pool.stats().creations(), "the same sandbox, reset");
        }
        assertEquals("host\n", Files.readString(host.resolve("a.txt")));
        assertTrue(Files.notExists(host.resolve("mine.txt")));
    }
}
