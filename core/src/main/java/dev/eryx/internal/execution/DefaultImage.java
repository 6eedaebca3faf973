package dev.eryx.internal.execution;

import dev.eryx.ResourceLimits;
import dev.eryx.internal.engine.GuestModule;
import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.state.SavedState;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The interpreter image plain {@code Sandbox.builder().build()} restores from: CPython booted with
 * nothing preloaded beyond what the runtime itself imports, after one execution that only settles
 * the garbage collector ({@link ImageCapture#SETTLE}).
 *
 * <p>Booting takes seconds on the JVM, restoring milliseconds, so the build boots it once ({@link
 * #main}, run by core's pom after compilation) and ships the result as the class-path resource
 * {@value #RESOURCE} in the saved-state format. A JVM restores from that resource; only when it is
 * missing, unreadable or made for another guest build (a stale build output) does the JVM boot the
 * image itself, once, silently. Both paths produce the same interpreter: the capture runs with a
 * fixed random seed and clock, so the image holds nothing of the machine or moment it was made on,
 * and the per-sandbox environment, seed, clock, files, mounts, callbacks and limits are applied
 * after the restore exactly as for any other image.
 */
public final class DefaultImage {
    /** Resource name, relative to this class, of the image captured at build time. */
    static final String RESOURCE = "default-image.eryxstate";

    /**
     * Seed of the WASI randomness the capture sees; sandboxes reseed {@code random} on adoption.
     */
    static final long CAPTURE_SEED = 0;

    /** Wall clock the capture sees: fixed, so the image does not depend on when it was built. */
    static final Instant CAPTURE_TIME = Instant.parse("2026-01-01T00:00:00Z");

    /**
     * Step of the capture's monotonic clock per read: boot records monotonic readings in memory, so
     * host timing would otherwise make every build's image differ.
     */
    private static final long CAPTURE_CLOCK_STEP_NANOS = 1_000;

    private static final class Holder {
        static final InterpreterState IMAGE = load();
    }

    private DefaultImage() {}

    public static InterpreterState get() {
        return Holder.IMAGE;
    }

    private static InterpreterState load() {
        // Any sandbox restored from this image needs the module next; parse it meanwhile.
        GuestModule.loadInBackground();
        InputStream prebuilt = DefaultImage.class.getResourceAsStream(RESOURCE);
        return decodePrebuilt(prebuilt)
                .orElseGet(
                        () ->
                                SavedState.decode(capture(), SavedState.Limits.TRUSTED, null)
                                        .interpreter());
    }

    /**
     * The image in {@code resource} (closed here), or empty when it is absent or cannot be used:
     * any such image is a stale or damaged build output, and booting is the correct fallback.
     */
    static Optional<InterpreterState> decodePrebuilt(InputStream resource) {
        if (resource == null) {
            return Optional.empty();
        }
        try (InputStream in = resource) {
            return Optional.of(
                    SavedState.decode(in.readAllBytes(), SavedState.Limits.TRUSTED, null)
                            .interpreter());
        } catch (IOException | IllegalArgumentException unusable) {
            return Optional.empty();
        }
    }

    /**
     * Boots the interpreter in a template sandbox with no environment, files or mounts, runs one
     * execution that only settles the garbage collector (the first execution imports what every
     * execution needs) and returns the result as a saved state.
     */
    static byte[] capture() {
        AtomicLong monotonicNanos = new AtomicLong();
        SandboxSpec template =
                SandboxSpec.builder()
                        .limits(ResourceLimits.unlimited())
                        .randomSeed(CAPTURE_SEED)
                        .clock(Clock.fixed(CAPTURE_TIME, ZoneOffset.UTC))
                        .monotonicClock(() -> monotonicNanos.addAndGet(CAPTURE_CLOCK_STEP_NANOS))
                        .build();
        try (SandboxRuntime runtime = SandboxRuntime.start(template)) {
            runtime.submit(ImageCapture.SETTLE, ResourceLimits.unlimited()).get();
            return runtime.captureWithFiles((image, vfs) -> SavedState.encode(image, vfs, null));
        }
    }

    /**
     * Build-time entry point: captures the image and writes it to standard output (the build
     * redirects it into the class-path resource; the library itself never writes host files).
     * Refuses to write binary data to a terminal.
     */
    public static void main(String[] args) {
        if (args.length != 0) {
            System.err.println("usage: java " + DefaultImage.class.getName() + " > " + RESOURCE);
            System.exit(2);
        }
        if (System.console() != null) {
            System.err.println(
                    "refusing to write the binary image to a terminal; redirect standard output");
            System.exit(2);
        }
        byte[] image = capture();
        // Decoding proves the bytes round-trip before the build packages them.
        SavedState.decode(image, SavedState.Limits.TRUSTED, null);
        PrintStream out = System.out;
        out.write(image, 0, image.length);
        out.flush();
        if (out.checkError()) {
            System.err.println("cannot write the image to standard output");
            System.exit(1);
        }
        // The guest and watchdog threads are daemons; exit explicitly so a stray non-daemon
        // thread cannot hang the build.
        System.exit(0);
    }
}
