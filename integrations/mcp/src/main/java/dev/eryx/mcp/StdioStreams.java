package dev.eryx.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stdin and stdout of one stdio connection, as the SDK's transport sees them.
 *
 * <p>The transport stops writing replies as soon as its input ends, so a client that writes its
 * requests and closes stdin at once ({@code printf ... | eryx mcp}) would lose every reply still
 * being worked on. Hence the end of input is held back from the transport until every request read
 * so far has its reply written and flushed, the connection is {@linkplain #abort() aborted}, or no
 * reply came for the grace time (a bound, not a wait: requests are answered as they finish).
 * Requests and replies are matched by JSON-RPC id, reading each line as it goes by.
 *
 * <p>A last line without a newline is ended with one: the transport reads lines, and would
 * otherwise look for the rest of that line after the end of input.
 */
final class StdioStreams {
    private static final Logger LOG = LoggerFactory.getLogger(StdioStreams.class);

    /** Longer lines are passed on but not tracked (the transport refuses them anyway). */
    private static final int MAX_TRACKED_LINE = 16 * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final InputStream in;
    private final OutputStream out;
    private final Duration grace;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Object lock = new Object();

    /** Ids of requests read and not answered yet. Guarded by {@link #lock}. */
    private final Set<String> pending = new HashSet<>();

    /** When a reply was last flushed (System.nanoTime()). Guarded by {@link #lock}. */
    private long lastReply;

    /** Guarded by {@link #lock}. */
    private boolean aborted;

    private final InputStream input = new Input();
    private final OutputStream output = new Output();

    StdioStreams(InputStream in, OutputStream out, Duration grace) {
        this.in = Objects.requireNonNull(in, "in");
        this.out = Objects.requireNonNull(out, "out");
        this.grace = Objects.requireNonNull(grace, "grace");
    }

    /** What the transport reads: ends once the input ended and the requests read are answered. */
    InputStream input() {
        return input;
    }

    /** What the transport writes: marks the requests it answers. */
    OutputStream output() {
        return output;
    }

    /** Waits until the transport has seen the end of input, or {@link #abort()}. */
    void awaitEnd() throws InterruptedException {
        ended.await();
    }

    /** Stops waiting for replies: the transport sees the end of input now. */
    void abort() {
        synchronized (lock) {
            aborted = true;
            lock.notifyAll();
        }
        ended.countDown();
    }

    /** Blocks until every request read so far is answered, the grace time passed, or abort(). */
    private void awaitReplies() throws InterruptedException {
        synchronized (lock) {
            lastReply = System.nanoTime();
            while (!pending.isEmpty() && !aborted) {
                long left = grace.toNanos() - (System.nanoTime() - lastReply);
                if (left <= 0) {
                    LOG.warn(
                            "stdin ended; no reply for {} ms, giving up on requests {}",
                            grace.toMillis(),
                            pending);
                    return;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private void requestRead(String id) {
        synchronized (lock) {
            pending.add(id);
        }
    }

    private void repliesWritten(List<String> ids) {
        synchronized (lock) {
            if (pending.removeAll(ids)) {
                lastReply = System.nanoTime();
                lock.notifyAll();
            }
        }
    }

    /** A JSON-RPC id as a key: 1 and 1.0 alike, a string apart from a number. */
    private static String key(JsonNode id) {
        if (id.isNumber()) {
            return "n:" + id.decimalValue().stripTrailingZeros().toPlainString();
        }
        return "s:" + id.asText();
    }

    private static JsonNode parse(byte[] line, int length) {
        try {
            JsonNode node = JSON.readTree(line, 0, length);
            return node != null && node.isObject() ? node : null;
        } catch (IOException | RuntimeException notJson) {
            return null; // the transport reports it
        }
    }

    /** Splits bytes into lines and hands each complete line on. */
    private abstract static class Lines {
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private boolean tooLong;

        void accept(byte[] b, int off, int len) {
            int start = off;
            int end = off + len;
            for (int i = off; i < end; i++) {
                if (b[i] == '\n') {
                    append(b, start, i - start);
                    endLine();
                    start = i + 1;
                }
            }
            append(b, start, end - start);
        }

        boolean isEmpty() {
            return line.size() == 0 && !tooLong;
        }

        void endLine() {
            if (!tooLong) {
                JsonNode message = parse(line.toByteArray(), line.size());
                if (message != null) {
                    onMessage(message);
                }
            }
            line.reset();
            tooLong = false;
        }

        private void append(byte[] b, int off, int len) {
            if (tooLong || len == 0) {
                return;
            }
            if (line.size() + len > MAX_TRACKED_LINE) {
                tooLong = true;
                line.reset();
            } else {
                line.write(b, off, len);
            }
        }

        abstract void onMessage(JsonNode message);
    }

    private final class Input extends InputStream {
        private final Lines lines =
                new Lines() {
                    @Override
                    void onMessage(JsonNode message) {
                        JsonNode id = message.get("id");
                        if (message.hasNonNull("method") && id != null && !id.isNull()) {
                            requestRead(key(id));
                        }
                    }
                };
        private boolean eof;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            int n;
            if (eof) {
                n = -1;
            } else {
                try {
                    n = in.read(b, off, len);
                } catch (IOException | RuntimeException e) {
                    ended.countDown();
                    throw e;
                }
            }
            if (n > 0) {
                lines.accept(b, off, n);
                return n;
            }
            if (n == 0) {
                return 0;
            }
            eof = true;
            if (!lines.isEmpty()) {
                b[off] = '\n';
                lines.endLine();
                return 1;
            }
            try {
                awaitReplies();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ended.countDown();
            return -1;
        }

        @Override
        public int available() throws IOException {
            return eof ? 0 : in.available();
        }

        @Override
        public void close() throws IOException {
            try {
                in.close();
            } finally {
                ended.countDown();
            }
        }
    }

    private final class Output extends OutputStream {
        /** Replies written and not flushed yet. Used by the transport's writer under its lock. */
        private final List<String> written = new ArrayList<>();

        private final Lines lines =
                new Lines() {
                    @Override
                    void onMessage(JsonNode message) {
                        JsonNode id = message.get("id");
                        if (!message.has("method")
                                && id != null
                                && (message.has("result") || message.has("error"))) {
                            written.add(key(id));
                        }
                    }
                };

        @Override
        public synchronized void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            lines.accept(b, off, len);
        }

        @Override
        public synchronized void flush() throws IOException {
            out.flush();
            if (!written.isEmpty()) {
                repliesWritten(List.copyOf(written));
                written.clear();
            }
        }

        @Override
        public synchronized void close() throws IOException {
            flush();
            out.close();
        }
    }
}
