package dev.eryx.internal.vfs.staged;

import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.vfs.Quota;
import java.util.Arrays;

/**
 * The content of one file of a staged overlay, charged to the sandbox's quota. Like the in-memory
 * tree's files, a file dropped from the overlay while a descriptor still has it open stays charged
 * until the last close, so the guest cannot pin uncharged heap. Guarded by the overlay's lock.
 */
final class OverlayFile {
    private static final int MAX_FILE_SIZE = Integer.MAX_VALUE - 16;

    private final Quota quota;
    private byte[] content;
    private int size;
    long accessTime;
    long modifyTime;
    private int openCount;
    private boolean dropped;

    /** Takes {@code content} (already charged by the caller). */
    OverlayFile(Quota quota, byte[] content, long now) {
        this.quota = quota;
        this.content = content;
        this.size = content.length;
        this.accessTime = now;
        this.modifyTime = now;
    }

    int size() {
        return size;
    }

    byte[] content() {
        return Arrays.copyOf(content, size);
    }

    int read(long position, byte[] buffer, int offset, int length) {
        if (position >= size) {
            return 0;
        }
        int count = (int) Math.min(length, size - position);
        System.arraycopy(content, (int) position, buffer, offset, count);
        return count;
    }

    int write(long position, byte[] buffer, int offset, int length, long now) {
        long end = position + length;
        if (position < 0 || end > MAX_FILE_SIZE) {
            throw new ErrnoException(Errno.FBIG, "file too large");
        }
        ensureSize((int) end);
        System.arraycopy(buffer, offset, content, (int) position, length);
        modifyTime = now;
        return length;
    }

    void truncate(long newSize, long now) {
        if (newSize < 0 || newSize > MAX_FILE_SIZE) {
            throw new ErrnoException(newSize < 0 ? Errno.INVAL : Errno.FBIG, "bad size " + newSize);
        }
        if (newSize < size) {
            Arrays.fill(content, (int) newSize, size, (byte) 0);
            quota.chargeBytes(newSize - size);
            size = (int) newSize;
            if (content.length / 2 > size) {
                content = Arrays.copyOf(content, size);
            }
        } else {
            ensureSize((int) newSize);
        }
        modifyTime = now;
    }

    private void ensureSize(int newSize) {
        if (newSize <= size) {
            return;
        }
        quota.chargeBytes(newSize - size);
        if (newSize > content.length) {
            long doubled = Math.max(16, (long) content.length * 2);
            content =
                    Arrays.copyOf(
                            content, (int) Math.min(MAX_FILE_SIZE, Math.max(newSize, doubled)));
        }
        size = newSize;
    }

    void opened() {
        openCount++;
    }

    void closed() {
        openCount--;
        if (openCount == 0 && dropped) {
            release();
        }
    }

    /** The overlay no longer holds this file: refund now, or at the last close. */
    void drop() {
        if (dropped) {
            return;
        }
        dropped = true;
        if (openCount == 0) {
            release();
        }
    }

    private void release() {
        quota.chargeBytes(-size);
        size = 0;
        content = new byte[0];
    }
}
