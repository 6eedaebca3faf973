package dev.eryx.internal.net;

import java.util.Arrays;

/** A growable FIFO of bytes (plaintext waiting for the guest, bytes waiting for the network). */
final class ByteQueue {
    private byte[] data = new byte[0];
    private int start;
    private int end;

    int size() {
        return end - start;
    }

    boolean isEmpty() {
        return start == end;
    }

    void add(byte[] b, int off, int len) {
        if (len == 0) {
            return;
        }
        if (end + len > data.length) {
            int size = size();
            if (size + len <= data.length) {
                System.arraycopy(data, start, data, 0, size);
            } else {
                data = Arrays.copyOfRange(data, start, Math.max(size + len, data.length * 2));
            }
            start = 0;
            end = size;
        }
        System.arraycopy(b, off, data, end, len);
        end += len;
    }

    /** Copies up to {@code len} bytes out; {@code consume}: also removes them. */
    int take(byte[] dst, int off, int len, boolean consume) {
        int n = Math.min(len, size());
        System.arraycopy(data, start, dst, off, n);
        if (consume) {
            drop(n);
        }
        return n;
    }

    void drop(int n) {
        start += n;
        if (start == end) {
            start = 0;
            end = 0;
            if (data.length > 1 << 20) {
                data = new byte[0]; // a large transfer's buffer is not kept
            }
        }
    }

    /** The backing array; the bytes are from {@link #offset()} for {@link #size()}. */
    byte[] array() {
        return data;
    }

    int offset() {
        return start;
    }

    void clear() {
        start = 0;
        end = 0;
        data = new byte[0];
    }
}
