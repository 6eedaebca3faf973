package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 5: eight memory bombs in parallel inside a modest heap. Eight 256 MiB caps are 2 GiB; the
 * JVM gets 768 MiB. Guest growth past what the heap can give must fail inside the guest ({@code
 * memory.grow} returns -1, Python raises MemoryError), never as an OutOfMemoryError in some thread;
 * the JVM survives and every sandbox keeps working. Runs {@link MemoryBombs} in a JVM of its own so
 * the small heap is exactly the one under test.
 */
class MemoryBombsTest {
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void eightMemoryBombsInParallelInA768MiBHeap() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb =
                new ProcessBuilder(
                                List.of(
                                        java.toString(),
                                        "-Xmx768m",
                                        "-Xss16m",
                                        "-cp",
                                        System.getProperty("java.class.path"),
                                        MemoryBombs.class.getName()))
                        .redirectErrorStream(true);
        Process process = pb.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), output);
        System.out.println("[memory bombs]\n" + output);
        assertEquals(0, process.exitValue(), pb.command() + "\n" + output);
        assertTrue(output.contains("ALL OK"), output);
        assertTrue(!output.contains("OutOfMemoryError"), output);
        assertEquals(
                MemoryBombs.BOMBS,
                output.lines().filter(l -> l.startsWith("bomb ")).count(),
                output);
    }
}
