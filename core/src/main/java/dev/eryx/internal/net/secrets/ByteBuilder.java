package dev.eryx.internal.net.secrets;

import java.util.Arrays;

/** A growable byte array without the locking of {@code ByteArrayOutputStream}. */
final class ByteBuilder {
    private byte[] bytes;
    private int length;

    ByteBuilder(int capacity) {
        bytes = new byte[Math.max(16, capacity)];
    }

    void add(byte b) {
        ensure(1);
        bytes[length++] = b;
    }

    void add(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, bytes, length, len);
        length += len;
    }

    void add(byte[] b) {
        add(b, 0, b.length);
    }

    int length() {
        return length;
    }

    byte at(int i) {
        return bytes[i];
    }

    void set(int i, byte b) {
        bytes[i] = b;
    }

    /** Drops the first {@code n} bytes. */
    void dropFirst(int n) {
        System.arraycopy(bytes, n, bytes, 0, length - n);
        length -= n;
    }

    void clear() {
        length = 0;
    }

    byte[] array() {
        return bytes;
    }

    byte[] toArray() {
        return Arrays.copyOf(bytes, length);
    }

    private void ensure(int more) {
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }
    }
}
