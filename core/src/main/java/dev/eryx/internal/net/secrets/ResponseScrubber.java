package dev.eryx.internal.net.secrets;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Real values → placeholders (same length) in the bytes a server sends, before the guest reads
 * them; across reads, and across the chunk boundaries of a chunked HTTP/1.x body: when the stream
 * starts like an HTTP/1.x response, its framing is followed (status line, headers, Content-Length
 * or chunked bodies, responses one after another) and chunk-size lines are skipped by the matching.
 * Anything unexpected (or a stream that is not HTTP) turns it into a plain byte matcher for the
 * rest of the connection, which still finds every value not split by framing.
 *
 * <p>Limits (docs/network.md, "Secrets"): a server that compresses, encodes (base64, JSON escapes,
 * percent-encoding) or splits the value defeats it; it only sees what the server sends. Responses
 * to HEAD or with 204/304 are read by their status; a HEAD response announcing a body length
 * desynchronizes the framing, after which the plain matcher goes on. Not thread-safe.
 */
final class ResponseScrubber {
    private static final int MAX_LINE = 64 * 1024;

    private enum State {
        START,
        HEADERS,
        BODY,
        CHUNK_SIZE,
        CHUNK_DATA,
        CHUNK_DATA_END,
        TRAILERS,
        PLAIN
    }

    private final StreamReplacer replacer;
    private State state = State.START;
    private final ByteBuilder line = new ByteBuilder(128);
    private long remaining;
    private int status;
    private long contentLength;
    private boolean chunked;

    ResponseScrubber(StreamReplacer replacer) {
        this.replacer = replacer;
    }

    byte[] inbound(byte[] b, int off, int len) {
        ByteBuilder out = new ByteBuilder(len + 16);
        int end = off + len;
        int i = off;
        while (i < end) {
            switch (state) {
                case PLAIN -> {
                    replacer.content(b, i, end - i, out);
                    i = end;
                }
                case BODY, CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, end - i);
                    replacer.content(b, i, n, out);
                    i += n;
                    remaining -= n;
                    if (remaining == 0) {
                        state = state == State.BODY ? State.START : State.CHUNK_DATA_END;
                    }
                }
                case CHUNK_SIZE, CHUNK_DATA_END -> {
                    byte c = b[i++];
                    replacer.framing(c, out);
                    lineByte(c);
                }
                default -> {
                    byte c = b[i++];
                    replacer.content(c, out);
                    lineByte(c);
                }
            }
        }
        return out.toArray();
    }

    byte[] inboundEnd() {
        ByteBuilder out = new ByteBuilder(64);
        replacer.flush(out);
        state = State.PLAIN;
        return out.toArray();
    }

    /** A byte of a line-oriented state; acts on the line at LF. */
    private void lineByte(byte c) {
        if (state == State.START && line.length() < 5) {
            // Not "HTTP/": not a response we can frame.
            if (c != "HTTP/".charAt(line.length())) {
                if (!(line.length() == 0 && (c == '\r' || c == '\n'))) {
                    plain();
                    return;
                }
                return; // stray CRLF between responses
            }
        }
        if (c != '\n') {
            if (line.length() >= MAX_LINE) {
                plain();
                return;
            }
            line.add(c);
            return;
        }
        String text = new String(line.array(), 0, line.length(), StandardCharsets.ISO_8859_1);
        line.clear();
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        switch (state) {
            case START -> statusLine(text);
            case HEADERS -> headerLine(text);
            case CHUNK_SIZE -> chunkSize(text);
            case CHUNK_DATA_END -> {
                if (text.isEmpty()) {
                    state = State.CHUNK_SIZE;
                } else {
                    plain();
                }
            }
            case TRAILERS -> {
                if (text.isEmpty()) {
                    state = State.START;
                }
            }
            default -> plain();
        }
    }

    private void statusLine(String text) {
        // HTTP/1.x NNN reason
        if (text.length() < 12
                || !text.startsWith("HTTP/1.")
                || text.charAt(8) != ' '
                || !text.substring(9, 12).chars().allMatch(Character::isDigit)) {
            plain();
            return;
        }
        status = Integer.parseInt(text.substring(9, 12));
        contentLength = -1;
        chunked = false;
        state = State.HEADERS;
    }

    private void headerLine(String text) {
        if (!text.isEmpty()) {
            int colon = text.indexOf(':');
            if (colon <= 0) {
                plain();
                return;
            }
            String name = text.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = text.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
            if (name.equals("content-length")) {
                try {
                    long n = Long.parseLong(value);
                    if (n < 0 || (contentLength >= 0 && contentLength != n)) {
                        plain();
                        return;
                    }
                    contentLength = n;
                } catch (NumberFormatException e) {
                    plain();
                }
            } else if (name.equals("transfer-encoding")) {
                chunked = value.endsWith("chunked");
            }
            return;
        }
        // End of the headers: where does the body end?
        if (status == 101) {
            plain(); // switched protocols: not HTTP any more
        } else if (status / 100 == 1 || status == 204 || status == 304) {
            state = State.START;
        } else if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (contentLength >= 0) {
            remaining = contentLength;
            state = remaining == 0 ? State.START : State.BODY;
        } else {
            plain(); // the body runs to the end of the connection
        }
    }

    private void chunkSize(String text) {
        int semicolon = text.indexOf(';');
        String hex = (semicolon >= 0 ? text.substring(0, semicolon) : text).trim();
        long size;
        try {
            if (hex.isEmpty() || hex.length() > 15) {
                throw new NumberFormatException();
            }
            size = Long.parseLong(hex, 16);
        } catch (NumberFormatException e) {
            plain();
            return;
        }
        if (size == 0) {
            state = State.TRAILERS;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
    }

    private void plain() {
        state = State.PLAIN;
        line.clear();
    }
}
