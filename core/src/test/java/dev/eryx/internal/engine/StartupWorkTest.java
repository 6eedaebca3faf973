package dev.eryx.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StartupWorkTest {
    @Test
    void runsTheJobOnANamedDaemonThread() throws Exception {
        CompletableFuture<Thread> ranOn = new CompletableFuture<>();
        StartupWork.inBackground("eryx-test-loader", () -> ranOn.complete(Thread.currentThread()));
        Thread thread = ranOn.get(10, TimeUnit.SECONDS);
        assertEquals("eryx-test-loader", thread.getName());
        assertTrue(thread.isDaemon());
    }

    @Test
    void aFailingJobDoesNotReachTheUncaughtExceptionHandler() throws Exception {
        CountDownLatch failed = new CountDownLatch(1);
        CompletableFuture<Throwable> uncaught = new CompletableFuture<>();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.complete(e));
        try {
            StartupWork.inBackground(
                    "eryx-test-failing",
                    () -> {
                        failed.countDown();
                        throw new ExceptionInInitializerError("broken module");
                    });
            assertTrue(failed.await(10, TimeUnit.SECONDS));
            Thread.sleep(200); // give a leaked error time to reach the handler
            assertFalse(uncaught.isDone(), () -> "leaked: " + uncaught.join());
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
    }
}
