package dev.eryx.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * {@code eryx --timeout 2s -c 'while True: print(...)' | (sleep 40; cat)}: the timeout was reported
 * on time, but the process stayed until the pipe's reader came back, because eryx's own flushes
 * waited behind the guest's write stuck on the full pipe (issue 15, item 7).
 */
class StuckStdoutTest {
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aFullStdoutPipeDoesNotHoldTheProcessPastItsTimeout() throws Exception {
        CountDownLatch readerBack = new CountDownLatch(1);
        OutputStream fullPipe =
                new OutputStream() {
                    private int written;

                    @Override
                    public void write(int b) throws InterruptedIOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws InterruptedIOException {
                        written += len;
                        if (written > 64 * 1024) { // a pipe's buffer, then its reader is away
                            try {
                                readerBack.await();
                            } catch (InterruptedException e) {
                                throw new InterruptedIOException();
                            }
                        }
                    }
                };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long start = System.nanoTime();
        Thread reader =
                new Thread(
                        () -> {
                            try {
                                Thread.sleep(40_000); // the reader comes back, but far too late
                            } catch (InterruptedException e) {
                                // the test is over
                            }
                            readerBack.countDown();
                        });
        reader.setDaemon(true);
        reader.start();
        try {
            CommandLine cl =
                    EryxCommand.commandLine(
                            new ByteArrayInputStream(new byte[0]),
                            () -> false,
                            new BufferedOutputStream(fullPipe), // as Main: its lock is the trap
                            err);
            int exit = cl.execute("--timeout", "2s", "-c", "while True: print('x' * 10000)");
            ((EryxCommand) cl.getCommand()).flushOutputs(); // what Main does before exiting
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            String run = "exit " + exit + "\n" + err.toString(UTF_8);
            assertEquals(ExitCodes.TIMEOUT, exit, run);
            assertTrue(err.toString(UTF_8).contains("execution exceeded 2s"), run);
            assertTrue(seconds < 30, "took " + seconds + " s");
        } finally {
            reader.interrupt();
        }
    }
}
