package dev.eryx.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.OutputListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streamed answer of an execute route ({@code Accept: text/event-stream}): {@code event:
 * stdout} and {@code event: stderr} with {@code {"text": ...}} as the guest writes, a {@code :
 * keep-alive} comment after {@link #KEEP_ALIVE} without one, and finally {@code event: result} with
 * the JSON the route answers otherwise.
 *
 * <p>The run goes on a thread of its own and the request thread writes: the sandbox's output thread
 * only enqueues, consecutive text of one stream joining one pending frame. At most {@link
 * #MAX_PENDING_BYTES} wait for a slow client; beyond that the guest's writes wait, as on a full
 * pipe, until the client takes some or the execution is stopped (the sandbox then abandons the
 * waiting listener, so its limits still hold). The answer is committed at the first event, so a run
 * refused before it wrote anything (no sandbox free, no such session) is still a JSON error with
 * its status. A write that fails (the client went away), or anything else that ends the answer
 * early, interrupts the run's thread, which cancels the execution; the request then waits for the
 * run to end, so a client cannot escape its token's concurrency limit by hanging up.
 */
final class EventStream implements OutputListener {
    static final String CONTENT_TYPE = "text/event-stream; charset=utf-8";
    static final Duration KEEP_ALIVE = Duration.ofSeconds(2);

    /** UTF-8 bytes of guest text waiting for the client before the guest's writes wait. */
    static final int MAX_PENDING_BYTES = 1 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(EventStream.class);
    private static final byte[] KEEP_ALIVE_COMMENT = Json.utf8(": keep-alive\n\n");

    /** Text of one stream written in a row, not yet sent: consecutive writes share one frame. */
    private static final class Pending {
        final String event;
        final StringBuilder text = new StringBuilder();
        long bytes;

        Pending(String event) {
            this.event = event;
        }
    }

    private final Duration keepAlive;
    private final long maxPendingBytes;
    private final Object lock = new Object();
    // All guarded by lock.
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private long pendingBytes;
    private boolean done; // the run has ended: what it wrote is all here
    private boolean closed; // serve has returned or given up: nothing more is sent

    EventStream(Duration keepAlive) {
        this(keepAlive, MAX_PENDING_BYTES);
    }

    /**
     * @param maxPendingBytes UTF-8 bytes of output held for the client before the guest's writes
     *     wait for it (one write larger than that is still taken whole when nothing is pending)
     */
    EventStream(Duration keepAlive, long maxPendingBytes) {
        this.keepAlive = keepAlive;
        this.maxPendingBytes = maxPendingBytes;
    }

    /** The UTF-8 bytes of output written by the guest and not yet taken for the client. */
    long pendingBytes() {
        synchronized (lock) {
            return pendingBytes;
        }
    }

    /** Whether a request's {@code Accept} header asks for an event stream. */
    static boolean wanted(String accept) {
        if (accept == null) {
            return false;
        }
        for (String range : accept.split(",")) {
            int params = range.indexOf(';');
            String type = (params < 0 ? range : range.substring(0, params)).strip();
            if (type.equalsIgnoreCase("text/event-stream")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void stdout(String text) {
        enqueue("stdout", text);
    }

    @Override
    public void stderr(String text) {
        enqueue("stderr", text);
    }

    /**
     * Holds the text for the client, behind what is pending already; waits while that is at the
     * bound. The sandbox abandons a listener still waiting when its execution is stopped (timeout,
     * cancel), and a stream that has given up drops the text, so a slow client never holds a run
     * past its limits.
     */
    private void enqueue(String event, String text) {
        if (text.isEmpty()) {
            return;
        }
        long bytes = utf8Length(text);
        synchronized (lock) {
            while (!closed && !done && pendingBytes > 0 && pendingBytes + bytes > maxPendingBytes) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // the sandbox is stopping: drop it
                    return;
                }
            }
            if (closed || done) {
                return; // after the run's end: text the sandbox abandoned
            }
            Pending last = pending.peekLast();
            if (last == null || !last.event.equals(event)) {
                last = new Pending(event);
                pending.addLast(last);
            }
            last.text.append(text);
            last.bytes += bytes;
            pendingBytes += bytes;
            lock.notifyAll();
        }
    }

    private static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)
                    && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** The run has ended: the stream's end is next, once what is pending is sent. */
    private void finish() {
        synchronized (lock) {
            done = true;
            lock.notifyAll();
        }
    }

    /** Nothing more is sent: a listener waiting for room drops its text. */
    private void close() {
        synchronized (lock) {
            closed = true;
            pending.clear();
            pendingBytes = 0;
            lock.notifyAll();
        }
    }

    /**
     * The next pending text as a frame, waiting until {@code deadline} (nanoTime) for some.
     *
     * @return the frame; {@link #KEEP_ALIVE_COMMENT} at the deadline; null when the run has ended
     *     and everything was taken
     */
    private byte[] next(long deadline) throws InterruptedException {
        Pending first;
        synchronized (lock) {
            while (pending.isEmpty()) {
                if (done) {
                    return null;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return KEEP_ALIVE_COMMENT;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            first = pending.removeFirst();
            pendingBytes -= first.bytes;
            lock.notifyAll();
        }
        return frame(first.event, Json.object().put("text", first.text.toString()));
    }

    /** {@code event: NAME\ndata: JSON\n\n}; JSON escapes every line break, so data is one line. */
    static byte[] frame(String event, JsonNode data) {
        try {
            return Json.utf8(
                    "event: " + event + "\ndata: " + Json.MAPPER.writeValueAsString(data) + "\n\n");
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code run} with this stream as its output listener, streaming to {@code response}.
     *
     * @param run the execution; it gets this stream, and returns the result's JSON or throws
     *     (HttpError and the like) when it is refused
     * @param threads makes the run's thread
     * @param beforeResult runs when the run has ended, before the result is written (the permit's
     *     release: what is left is writing, as for a JSON answer)
     * @throws RuntimeException what {@code run} threw, when nothing was sent yet: the caller
     *     answers it as JSON
     */
    void serve(
            HttpServletResponse response,
            Function<OutputListener, ObjectNode> run,
            ThreadFactory threads,
            Runnable beforeResult) {
        CompletableFuture<ObjectNode> outcome = new CompletableFuture<>();
        Thread worker =
                threads.newThread(
                        () -> {
                            try {
                                outcome.complete(run.apply(this));
                            } catch (Throwable t) {
                                outcome.completeExceptionally(t);
                            } finally {
                                finish();
                            }
                        });
        worker.start();
        boolean ended = false; // the run ended by itself: nothing to stop
        try {
            ServletOutputStream out = null;
            long keepAliveNanos = keepAlive.toNanos();
            while (true) {
                byte[] event = next(System.nanoTime() + keepAliveNanos);
                if (event == null) {
                    break;
                }
                if (out == null) {
                    out = commit(response);
                }
                out.write(event);
                out.flush();
            }
            joinUninterruptibly(worker); // its last step was finish(): a moment at most
            ended = true;
            ObjectNode result;
            try {
                result = outcome.get();
            } catch (ExecutionException e) {
                RuntimeException failure = asRuntime(e.getCause());
                if (out == null) {
                    throw failure;
                }
                // Refused after a keep-alive went out (a long wait for the session): the status is
                // sent already, so the refusal is an event of its own.
                HttpError error = HttpError.of(failure);
                if (error.status == 500) {
                    LOG.warn("a streamed execution failed", failure);
                }
                beforeResult.run();
                ObjectNode data = Json.error(error.getMessage()).put("status", error.status);
                if (error.retryAfter != null) {
                    data.put("retry_after", Integer.parseInt(error.retryAfter));
                }
                out.write(frame("error", data));
                out.flush();
                return;
            }
            beforeResult.run();
            if (out == null) {
                out = commit(response);
            }
            out.write(frame("result", result));
            out.flush();
        } catch (IOException | InterruptedException gone) {
            // The client went away (or the server is stopping): the finally stops the run.
            if (gone instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        } finally {
            close();
            if (!ended) {
                // Stop the run (a client gone, or a failure while writing), then wait for it, so
                // that no run outlives its request and the token's permit.
                worker.interrupt();
                joinUninterruptibly(worker);
            }
        }
    }

    private static ServletOutputStream commit(HttpServletResponse response) throws IOException {
        response.setStatus(200);
        // Set before the body is asked for: the guard then keeps the token's permit until the
        // stream ends instead of releasing it at the first byte.
        response.setContentType(CONTENT_TYPE);
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("X-Accel-Buffering", "no"); // a buffering proxy would hold the events
        return response.getOutputStream();
    }

    private static RuntimeException asRuntime(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new RuntimeException("the run failed: " + t, t);
    }

    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
