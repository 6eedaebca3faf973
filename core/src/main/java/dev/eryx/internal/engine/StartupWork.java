package dev.eryx.internal.engine;

/**
 * Start-up work done ahead of need: loading what the first sandbox of a JVM will wait for, on a
 * daemon thread, while the caller does something else.
 */
final class StartupWork {
    private StartupWork() {}

    /**
     * Runs {@code job} on a new daemon thread. The job must be one whose result the caller asks for
     * again later (a lazily initialised holder, a class load): a failure here is dropped because
     * that later request meets it again, on the thread that can report it.
     */
    static void inBackground(String threadName, Runnable job) {
        Thread thread =
                new Thread(
                        () -> {
                            try {
                                job.run();
                            } catch (RuntimeException | Error reportedByTheLaterRequest) {
                                // see the method comment
                            }
                        },
                        threadName);
        thread.setDaemon(true);
        thread.start();
    }
}
