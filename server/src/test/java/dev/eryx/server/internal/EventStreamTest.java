package dev.eryx.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.OutputListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The event stream against a response that records what it is told. */
class EventStreamTest {
    /** What a response was told; {@code failWrites} makes every write fail (the client left). */
    private static final class Recorded {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final Map<String, String> headers = new ConcurrentHashMap<>();
        final AtomicInteger status = new AtomicInteger();
        final AtomicBoolean committed = new AtomicBoolean();
        final boolean failWrites;
        volatile CountDownLatch blockWrites; // writes wait for it, when set
        volatile RuntimeException failWith; // writes throw it, when set

        Recorded(boolean failWrites) {
            this.failWrites = failWrites;
        }

        String text() {
            synchronized (body) {
                return body.toString(StandardCharsets.UTF_8);
            }
        }

        HttpServletResponse response() {
            ServletOutputStream out =
                    new ServletOutputStream() {
                        @Override
                        public void write(int b) throws IOException {
                            write(new byte[] {(byte) b}, 0, 1);
                        }

                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            if (failWrites) {
                                throw new IOException("broken pipe");
                            }
                            if (failWith != null) {
                                throw failWith;
                            }
                            CountDownLatch gate = blockWrites;
                            if (gate != null) {
                                try {
                                    gate.await();
                                } catch (InterruptedException e) {
                                    throw new IOException("interrupted", e);
                                }
                            }
                            synchronized (body) {
                                body.write(b, off, len);
                            }
                        }

                        @Override
                        public boolean isReady() {
                            return true;
                        }

                        @Override
                        public void setWriteListener(WriteListener listener) {}
                    };
            return (HttpServletResponse)
                    Proxy.newProxyInstance(
                            getClass().getClassLoader(),
                            new Class<?>[] {HttpServletResponse.class},
                            (proxy, method, args) -> {
                                switch (method.getName()) {
                                    case "setStatus" -> status.set((Integer) args[0]);
                                    case "setContentType" ->
                                            headers.put("Content-Type", (String) args[0]);
                                    case "setHeader" ->
                                            headers.put((String) args[0], (String) args[1]);
                                    case "getOutputStream" -> {
                                        committed.set(true);
                                        return out;
                                    }
                                    default ->
                                            throw new UnsupportedOperationException(
                                                    method.getName());
                                }
                                return null;
                            });
        }
    }

    private static void serve(
            Recorded recorded,
            Duration keepAlive,
            Function<OutputListener, ObjectNode> run,
            Runnable beforeResult) {
        new EventStream(keepAlive).serve(recorded.response(), run, Thread::new, beforeResult);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void outputInOrderThenTheResultAfterThePermitIsReleased() {
        Recorded recorded = new Recorded(false);
        AtomicInteger released = new AtomicInteger();
        serve(
                recorded,
                Duration.ofSeconds(10),
                output -> {
                    output.stdout("a");
                    output.stderr("b\n");
                    output.stdout("c");
                    return Json.object().put("verdict", "ok");
                },
                () -> {
                    assertFalse(recorded.text().contains("result"));
                    released.incrementAndGet();
                });
        assertEquals(
                "event: stdout\ndata: {\"text\":\"a\"}\n\n"
                        + "event: stderr\ndata: {\"text\":\"b\\n\"}\n\n"
                        + "event: stdout\ndata: {\"text\":\"c\"}\n\n"
                        + "event: result\ndata: {\"verdict\":\"ok\"}\n\n",
                recorded.text());
        assertEquals(1, released.get());
        assertEquals(200, recorded.status.get());
        assertEquals("text/event-stream; charset=utf-8", recorded.headers.get("Content-Type"));
        assertEquals("no-cache", recorded.headers.get("Cache-Control"));
    }

    @Test
    void aQuietRunGetsKeepAlives() {
        Recorded recorded = new Recorded(false);
        serve(
                recorded,
                Duration.ofMillis(20),
                output -> {
                    sleep(200);
                    return Json.object().put("verdict", "ok");
                },
                () -> {});
        String text = recorded.text();
        assertTrue(text.startsWith(": keep-alive\n\n: keep-alive\n\n"), text);
        assertTrue(text.endsWith("event: result\ndata: {\"verdict\":\"ok\"}\n\n"), text);
    }

    @Test
    void aRefusalBeforeAnyEventIsThrownForAJsonAnswer() {
        Recorded recorded = new Recorded(false);
        HttpError error =
                assertThrows(
                        HttpError.class,
                        () ->
                                serve(
                                        recorded,
                                        Duration.ofSeconds(10),
                                        output -> {
                                            throw new HttpError(404, "no such session: x");
                                        },
                                        () -> {}));
        assertEquals(404, error.status);
        assertFalse(recorded.committed.get());
    }

    @Test
    void aRefusalAfterAKeepAliveIsAnErrorEvent() {
        Recorded recorded = new Recorded(false);
        serve(
                recorded,
                Duration.ofMillis(20),
                output -> {
                    sleep(100);
                    throw new HttpError(404, "session x has ended");
                },
                () -> {});
        assertTrue(
                recorded.text()
                        .endsWith(
                                "event: error\ndata: {\"error\":\"session x has ended\",\"status\":404}\n\n"),
                recorded.text());
    }

    @Test
    void aFailedWriteInterruptsTheRunAndWaitsForItsEnd() throws Exception {
        Recorded recorded = new Recorded(true);
        CountDownLatch interrupted = new CountDownLatch(1);
        AtomicBoolean ended = new AtomicBoolean();
        long started = System.nanoTime();
        serve(
                recorded,
                Duration.ofSeconds(10),
                output -> {
                    output.stdout("tick");
                    try {
                        Thread.sleep(30_000);
                    } catch (InterruptedException e) {
                        interrupted.countDown();
                        sleep(100); // stopping takes a moment: serve waits for it
                    }
                    ended.set(true);
                    return Json.object().put("verdict", "cancelled");
                },
                () -> {});
        assertTrue(interrupted.await(0, TimeUnit.SECONDS), "the run was not interrupted");
        assertTrue(ended.get(), "serve returned before the run ended");
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(10).toNanos());
    }

    @Test
    void aClientThatDoesNotReadHoldsBoundedOutputAndTheGuestWaits() throws Exception {
        Recorded recorded = new Recorded(false);
        CountDownLatch release = new CountDownLatch(1);
        recorded.blockWrites = release;
        EventStream stream = new EventStream(Duration.ofSeconds(10), 1000);
        int writes = 5000;
        AtomicInteger written = new AtomicInteger();
        Thread request =
                new Thread(
                        () ->
                                stream.serve(
                                        recorded.response(),
                                        output -> {
                                            for (int i = 0; i < writes; i++) {
                                                output.stdout("0123456789");
                                                written.incrementAndGet();
                                            }
                                            return Json.object().put("verdict", "ok");
                                        },
                                        Thread::new,
                                        () -> {}));
        request.start();
        // The first frame's write blocks; the guest goes on until 1000 bytes wait, then stalls.
        int seen = -1;
        while (written.get() != seen) {
            seen = written.get();
            sleep(200);
        }
        assertTrue(seen < writes, "the guest never waited: " + seen);
        assertTrue(stream.pendingBytes() <= 1000, "pending: " + stream.pendingBytes());
        assertTrue(stream.pendingBytes() > 0);

        release.countDown();
        request.join(10_000);
        assertFalse(request.isAlive());
        assertEquals(writes, written.get());
        Matcher frames =
                Pattern.compile("event: stdout\ndata: \\{\"text\":\"([0-9]*)\"\\}\n\n")
                        .matcher(recorded.text());
        StringBuilder text = new StringBuilder();
        int events = 0;
        while (frames.find()) {
            text.append(frames.group(1));
            events++;
        }
        assertEquals("0123456789".repeat(writes), text.toString());
        // Only the writes that waited behind the blocked client are sure to be joined (about 100
        // of 10 bytes in the 1000-byte buffer); after the release, joining depends on scheduling.
        assertTrue(events <= writes - 90, "consecutive writes were not joined: " + events);
        assertTrue(recorded.text().endsWith("event: result\ndata: {\"verdict\":\"ok\"}\n\n"));
    }

    @Test
    void anyFailureWhileWritingStopsTheRunBeforeItPropagates() throws Exception {
        Recorded recorded = new Recorded(false);
        recorded.failWith = new IllegalStateException("the response broke");
        CountDownLatch interrupted = new CountDownLatch(1);
        AtomicBoolean ended = new AtomicBoolean();
        IllegalStateException thrown =
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                serve(
                                        recorded,
                                        Duration.ofSeconds(10),
                                        output -> {
                                            output.stdout("tick");
                                            try {
                                                Thread.sleep(30_000);
                                            } catch (InterruptedException e) {
                                                interrupted.countDown();
                                                sleep(100);
                                            }
                                            ended.set(true);
                                            return Json.object().put("verdict", "cancelled");
                                        },
                                        () -> {}));
        assertEquals("the response broke", thrown.getMessage());
        assertTrue(interrupted.await(0, TimeUnit.SECONDS), "the run was not interrupted");
        assertTrue(ended.get(), "serve returned before the run ended");
    }

    @Test
    void a429AfterAKeepAliveSaysWhenToRetry() {
        Recorded recorded = new Recorded(false);
        serve(
                recorded,
                Duration.ofMillis(20),
                output -> {
                    sleep(100);
                    throw HttpError.tooMany("no sandbox is free");
                },
                () -> {});
        assertTrue(
                recorded.text()
                        .endsWith(
                                "event: error\ndata: {\"error\":\"no sandbox is free\",\"status\":429,"
                                        + "\"retry_after\":1}\n\n"),
                recorded.text());
    }

    @Test
    void anAcceptListingEventStreamAsksForOne() {
        assertTrue(EventStream.wanted("text/event-stream"));
        assertTrue(EventStream.wanted("application/json, Text/Event-Stream;q=0.9"));
        assertFalse(EventStream.wanted(null));
        assertFalse(EventStream.wanted("application/json"));
        assertFalse(EventStream.wanted("*/*"));
        assertFalse(EventStream.wanted("text/event-streams"));
    }

    @Test
    void anEventIsOneDataLineWhateverTheTextHolds() {
        byte[] frame = EventStream.frame("stdout", Json.object().put("text", "a\nb\r\nc\u2028é"));
        assertEquals(
                "event: stdout\ndata: {\"text\":\"a\\nb\\r\\nc\u2028é\"}\n\n",
                new String(frame, StandardCharsets.UTF_8));
    }
}
