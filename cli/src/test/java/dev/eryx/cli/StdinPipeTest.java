package dev.eryx.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code (sleep 12) | eryx --timeout 2s -c 'import sys; sys.stdin.read()'} ran for 12 s: the guest
 * waited in the host's stdin read, which no timeout could end (issue 15, item 7).
 */
class StdinPipeTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS) // before the fix it waited forever
    void theTimeoutHoldsWhileTheGuestWaitsOnAnOpenStdinPipe() {
        CountDownLatch closed = new CountDownLatch(1);
        InputStream silentPipe =
                new InputStream() {
                    @Override
                    public int read() throws InterruptedIOException {
                        try {
                            closed.await(); // a writer that stays silent until the test ends
                        } catch (InterruptedException e) {
                            throw new InterruptedIOException();
                        }
                        return -1;
                    }
                };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long start = System.nanoTime();
        try {
            int exit =
                    EryxCommand.commandLine(silentPipe, () -> false, out, err)
                            .execute(
                                    "--timeout",
                                    "3s",
                                    "-c",
                                    "print('reading', flush=True)\n"
                                            + "import sys\n"
                                            + "sys.stdin.read()");
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            String run = "exit " + exit + "\n" + out.toString(UTF_8) + "\n" + err.toString(UTF_8);
            assertEquals(ExitCodes.TIMEOUT, exit, run);
            assertEquals("reading\n", out.toString(UTF_8), run); // the program ran, then timed out
            assertTrue(seconds < 30, "took " + seconds + " s");
        } finally {
            closed.countDown();
        }
    }
}
