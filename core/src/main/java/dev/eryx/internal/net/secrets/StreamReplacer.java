package dev.eryx.internal.net.secrets;

/**
 * Replaces patterns in a byte stream fed in pieces, holding back only a possible partial match (a
 * KMP automaton per pattern). Bytes are either <em>content</em>, which is matched, or
 * <em>framing</em> (chunk sizes of a chunked body), which is passed through in order but skipped by
 * the matching, so a value split by a chunk boundary is still found. A replacement of the same
 * length is written over the matched content bytes in place, framing left where it was; one of
 * another length (redaction) is only allowed on streams without framing. After a replacement the
 * matching starts afresh. Not thread-safe.
 */
final class StreamReplacer {
    private final byte[][] patterns;
    private final byte[][] replacements;
    private final int[][] failure;
    private final int[] state;
    private final boolean[] firstByte = new boolean[256];

    /** Held back: from the first byte of the longest partial match on. */
    private final ByteBuilder held = new ByteBuilder(64);

    /** Parallel to {@link #held}: which held bytes are framing. */
    private boolean[] heldFraming = new boolean[64];

    StreamReplacer(byte[][] patterns, byte[][] replacements) {
        if (patterns.length != replacements.length) {
            throw new IllegalArgumentException("one replacement per pattern");
        }
        this.patterns = patterns.clone();
        this.replacements = replacements.clone();
        this.failure = new int[patterns.length][];
        this.state = new int[patterns.length];
        for (int i = 0; i < patterns.length; i++) {
            if (patterns[i].length == 0) {
                throw new IllegalArgumentException("empty pattern");
            }
            failure[i] = failureFunction(patterns[i]);
            firstByte[patterns[i][0] & 0xff] = true;
        }
    }

    /** Longest proper prefix of p[0..k] that is also its suffix, for each k. */
    private static int[] failureFunction(byte[] p) {
        int[] f = new int[p.length];
        int k = 0;
        for (int i = 1; i < p.length; i++) {
            while (k > 0 && p[i] != p[k]) {
                k = f[k - 1];
            }
            if (p[i] == p[k]) {
                k++;
            }
            f[i] = k;
        }
        return f;
    }

    /** Whether nothing is held back. */
    boolean idle() {
        return held.length() == 0;
    }

    /** Content bytes: matched. */
    void content(byte[] b, int off, int len, ByteBuilder out) {
        int end = off + len;
        int i = off;
        while (i < end) {
            if (held.length() == 0) {
                // Fast path: nothing partial; copy up to the next byte that could start a match.
                int j = i;
                while (j < end && !firstByte[b[j] & 0xff]) {
                    j++;
                }
                out.add(b, i, j - i);
                i = j;
                if (i == end) {
                    break;
                }
            }
            content(b[i++], out);
        }
    }

    void content(byte b, ByteBuilder out) {
        hold(b, false);
        int longest = 0;
        for (int p = 0; p < patterns.length; p++) {
            byte[] pattern = patterns[p];
            int s = state[p];
            while (s > 0 && pattern[s] != b) {
                s = failure[p][s - 1];
            }
            if (pattern[s] == b) {
                s++;
            }
            if (s == pattern.length) {
                replace(p, out);
                return;
            }
            state[p] = s;
            longest = Math.max(longest, s);
        }
        release(longest, out);
    }

    /** A framing byte: passed through in order, not matched. */
    void framing(byte b, ByteBuilder out) {
        if (held.length() == 0) {
            out.add(b);
        } else {
            hold(b, true);
        }
    }

    /** Framing bytes. */
    void framing(byte[] b, int off, int len, ByteBuilder out) {
        for (int i = 0; i < len; i++) {
            framing(b[off + i], out);
        }
    }

    /** Releases everything held back (the end of the stream: no match can complete). */
    void flush(ByteBuilder out) {
        out.add(held.array(), 0, held.length());
        held.clear();
        java.util.Arrays.fill(state, 0);
    }

    private void hold(byte b, boolean isFraming) {
        if (held.length() == heldFraming.length) {
            heldFraming = java.util.Arrays.copyOf(heldFraming, heldFraming.length * 2);
        }
        heldFraming[held.length()] = isFraming;
        held.add(b);
    }

    private void replace(int p, ByteBuilder out) {
        byte[] replacement = replacements[p];
        int n = patterns[p].length;
        if (replacement.length == n) {
            // Overwrite the last n content bytes, leaving framing bytes in between alone.
            int k = n - 1;
            for (int i = held.length() - 1; i >= 0 && k >= 0; i--) {
                if (!heldFraming[i]) {
                    held.set(i, replacement[k--]);
                }
            }
            out.add(held.array(), 0, held.length());
        } else {
            // Only without framing: the match is the last n held bytes.
            out.add(held.array(), 0, held.length() - n);
            out.add(replacement);
        }
        held.clear();
        java.util.Arrays.fill(state, 0);
    }

    /** Keeps the last {@code keep} content bytes (and framing after the first of them). */
    private void release(int keep, ByteBuilder out) {
        int from = held.length();
        int counted = 0;
        while (counted < keep) {
            from--;
            if (!heldFraming[from]) {
                counted++;
            }
        }
        if (from > 0) {
            out.add(held.array(), 0, from);
            held.dropFirst(from);
            System.arraycopy(heldFraming, from, heldFraming, 0, held.length());
        }
    }
}
