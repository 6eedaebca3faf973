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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One streamed answer of an execute route ({@code Accept: text/event-stream}): {@code event:
 * stdout} and {@code event: stderr} with {@code {"text": ...}} as the guest writes, a {@code :
 * keep-alive} comment after {@link #KEEP_ALIVE} without one, and finally {@code event: result} with
 * the JSON the route answers otherwise.
 *
 * <p>The run goes on a thread of its own and the request thread writes: the guest's output thread
 * only enqueues (the output limit bounds the queue), so a slow client never stalls the guest. The
 * answer is committed at the first event, so a run refused before it wrote anything (no sandbox
 * free, no such session) is still a JSON error with its status. A write that fails (the client went
 * away) interrupts the run's thread, which cancels the execution; the request then waits for the
 * run to end, so a client cannot escape its token's concurrency limit by hanging up.
 */
final class EventStream implements OutputListener {
    static final String CONTENT_TYPE = "text/event-stream; charset=utf-8";
    static final Duration KEEP_ALIVE = Duration.ofSeconds(10);

    private static final byte[] KEEP_ALIVE_COMMENT = Json.utf8(": keep-alive\n\n");
    private static final Object DONE = new Object();

    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>(); // byte[] or DONE
    private final Duration keepAlive;

    EventStream(Duration keepAlive) {
        this.keepAlive = keepAlive;
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
        events.add(frame("stdout", Json.object().put("text", text)));
    }

    @Override
    public void stderr(String text) {
        events.add(frame("stderr", Json.object().put("text", text)));
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
                                events.add(DONE);
                            }
                        });
        worker.start();
        ServletOutputStream out = null;
        try {
            long keepAliveNanos = keepAlive.toNanos();
            long next = System.nanoTime() + keepAliveNanos;
            while (true) {
                Object event =
                        events.poll(Math.max(0, next - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (event == DONE) {
                    break;
                }
                if (out == null) {
                    out = commit(response);
                }
                out.write(event == null ? KEEP_ALIVE_COMMENT : (byte[]) event);
                out.flush();
                next = System.nanoTime() + keepAliveNanos;
            }
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
                beforeResult.run();
                out.write(
                        frame("error", Json.error(error.getMessage()).put("status", error.status)));
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
            // The client went away (or the server is stopping): stop the run, then wait for it.
            worker.interrupt();
            joinUninterruptibly(worker);
            if (gone instanceof InterruptedException) {
                Thread.currentThread().interrupt();
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
