package dev.eryx.internal.net.secrets;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Replaces the real values of a sandbox's secrets by {@value #MARK} in what leaves the sandbox:
 * output, results, error messages, ledger entries, and (keeping their size, see {@link
 * #sameLength}) files written to host mounts. Immutable; what it hands out is per stream.
 */
public final class Redactor {
    public static final String MARK = "[REDACTED]";

    private static final byte[] MARK_BYTES = MARK.getBytes(StandardCharsets.US_ASCII);

    private final List<String> values;
    private final byte[][] valueBytes;
    private final int longest;

    Redactor(List<String> values) {
        this.values = List.copyOf(values);
        this.valueBytes = new byte[values.size()][];
        int max = 0;
        for (int i = 0; i < values.size(); i++) {
            valueBytes[i] = values.get(i).getBytes(StandardCharsets.UTF_8);
            max = Math.max(max, valueBytes[i].length);
        }
        this.longest = max;
    }

    /** Whether there is nothing to redact. */
    public boolean isEmpty() {
        return values.isEmpty();
    }

    public String redact(String s) {
        if (s == null) {
            return null;
        }
        for (String value : values) {
            if (s.contains(value)) {
                s = s.replace(value, MARK);
            }
        }
        return s;
    }

    public byte[] redact(byte[] b) {
        if (isEmpty()) {
            return b;
        }
        ByteBuilder out = new ByteBuilder(b.length);
        StreamReplacer replacer = marking();
        replacer.content(b, 0, b.length, out);
        replacer.flush(out);
        return out.toArray();
    }

    /**
     * A streaming redactor for one output stream (matches across writes). It holds back a possible
     * partial match until the next write decides it; {@link OutputStream#flush()} passes on only
     * what is decided, {@link OutputStream#close()} everything.
     */
    public OutputStream wrap(OutputStream out) {
        if (isEmpty()) {
            return out;
        }
        StreamReplacer replacer = marking();
        return new FilterOutputStream(out) {
            private final ByteBuilder pending = new ByteBuilder(256);

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                replacer.content(b, off, len, pending);
                emit();
            }

            @Override
            public void close() throws IOException {
                replacer.flush(pending);
                emit();
                super.close();
            }

            private void emit() throws IOException {
                if (pending.length() > 0) {
                    out.write(pending.array(), 0, pending.length());
                    pending.clear();
                }
            }
        };
    }

    /**
     * Redaction that keeps the length, for files written at offsets: each value becomes {@value
     * #MARK} padded with '*' (or a shorter mark for a shorter value), so the offsets the guest
     * writes at stay right.
     */
    public SameLength sameLength() {
        byte[][] masks = new byte[valueBytes.length][];
        for (int i = 0; i < valueBytes.length; i++) {
            masks[i] = mask(valueBytes[i].length);
        }
        return new SameLength(valueBytes, masks, longest);
    }

    private StreamReplacer marking() {
        byte[][] marks = new byte[valueBytes.length][];
        java.util.Arrays.fill(marks, MARK_BYTES);
        return new StreamReplacer(valueBytes, marks);
    }

    static byte[] mask(int length) {
        byte[] mask = new byte[length];
        java.util.Arrays.fill(mask, (byte) '*');
        if (length >= MARK_BYTES.length) {
            System.arraycopy(MARK_BYTES, 0, mask, 0, MARK_BYTES.length);
        } else {
            mask[0] = '[';
            mask[length - 1] = ']';
        }
        return mask;
    }

    /** Same-length redaction of byte ranges (see {@link #sameLength()}). */
    public static final class SameLength {
        private final byte[][] values;
        private final byte[][] masks;
        private final int longest;

        SameLength(byte[][] values, byte[][] masks, int longest) {
            this.values = values;
            this.masks = masks;
            this.longest = longest;
        }

        /** Bytes before a write worth looking at again: a value split across two writes. */
        public int overlap() {
            return Math.max(0, longest - 1);
        }

        /** The bytes with every value masked; the same array if none occurs. */
        public byte[] apply(byte[] b) {
            if (values.length == 0) {
                return b;
            }
            ByteBuilder out = new ByteBuilder(b.length);
            StreamReplacer replacer = new StreamReplacer(values, masks);
            replacer.content(b, 0, b.length, out);
            replacer.flush(out);
            byte[] result = out.toArray();
            return java.util.Arrays.equals(result, b) ? b : result;
        }
    }
}
