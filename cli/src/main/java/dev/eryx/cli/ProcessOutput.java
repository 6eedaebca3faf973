package dev.eryx.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One of the process's output streams, written two ways: as text by picocli and eryx's own messages
 * ({@link #writer()}, UTF-8), and as bytes by the guest ({@link #writeGuest}), which reach the
 * stream unchanged so binary output survives. Pending text is flushed before guest bytes, so the
 * two keep their order.
 */
final class ProcessOutput {
    private final OutputStream stream;
    private final PrintWriter writer;

    /**
     * Whether a guest write is in progress: one blocked on a full pipe (a reader that stopped)
     * holds the stream, and the sandbox has abandoned it at the stop; see {@link #flush()}.
     */
    private volatile boolean guestWriting;

    /** Shared by stdout and stderr: whether the guest's last byte on either ended a line. */
    private final AtomicBoolean atLineStart;

    ProcessOutput(OutputStream stream, AtomicBoolean atLineStart) {
        this.stream = stream;
        this.writer =
                new PrintWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), false);
        this.atLineStart = atLineStart;
    }

    /** A stdout/stderr pair that share the line state. */
    static ProcessOutput[] pair(OutputStream out, OutputStream err) {
        AtomicBoolean atLineStart = new AtomicBoolean(true);
        return new ProcessOutput[] {
            new ProcessOutput(out, atLineStart), new ProcessOutput(err, atLineStart)
        };
    }

    PrintWriter writer() {
        return writer;
    }

    /** Guest output, as it arrives; written and flushed at once (the output is live). */
    synchronized void writeGuest(byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        writer.flush();
        guestWriting = true;
        try {
            stream.write(bytes);
            stream.flush();
        } catch (IOException e) {
            // As PrintWriter does for our own text: a closed pipe must not fail the execution.
        } finally {
            guestWriting = false;
        }
        atLineStart.set(bytes[bytes.length - 1] == '\n');
    }

    /**
     * Flushes eryx's own text, unless a guest write is stuck on a full pipe: then the flush would
     * wait for the pipe's reader too, and the process would outlive its timeout (the text could not
     * be written anyway).
     */
    void flush() {
        if (!guestWriting) {
            writer.flush();
        }
    }

    /**
     * Ends the guest's unterminated last line, so that a message of eryx's that follows starts on a
     * line of its own instead of being glued onto the output.
     */
    void startLine() {
        if (!atLineStart.getAndSet(true)) {
            writer.println();
        }
    }
}
