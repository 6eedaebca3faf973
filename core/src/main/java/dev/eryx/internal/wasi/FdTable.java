package dev.eryx.internal.wasi;

import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ErrnoException;
import java.util.Arrays;

/**
 * All file-descriptor state of one guest, in one object (so it can be captured and restored as a
 * unit later). New descriptors take the lowest free number, as POSIX requires.
 */
public final class FdTable {
    private final int maxOpen;
    private Descriptor[] slots = new Descriptor[16];
    private int openCount;

    FdTable(int maxOpen) {
        if (maxOpen < 4) {
            throw new IllegalArgumentException(
                    "maxOpen must leave room for stdio and the preopen: " + maxOpen);
        }
        this.maxOpen = maxOpen;
    }

    public int openCount() {
        return openCount;
    }

    public int maxOpen() {
        return maxOpen;
    }

    public boolean isOpen(long fd) {
        return fd >= 0 && fd < slots.length && slots[(int) fd] != null;
    }

    /** The descriptor, or EBADF. {@code fd} is the unsigned guest value. */
    Descriptor get(long fd) {
        if (fd < 0 || fd >= slots.length || slots[(int) fd] == null) {
            throw new ErrnoException(Errno.BADF, "bad file descriptor");
        }
        return slots[(int) fd];
    }

    /** Fails with EMFILE if no descriptor could be allocated; call before side effects. */
    void requireFreeSlot() {
        if (openCount >= maxOpen) {
            throw new ErrnoException(Errno.MFILE, "too many open files");
        }
    }

    int allocate(Descriptor descriptor) {
        requireFreeSlot();
        for (int fd = 0; fd < slots.length; fd++) {
            if (slots[fd] == null) {
                return put(fd, descriptor);
            }
        }
        int fd = slots.length;
        slots = Arrays.copyOf(slots, Math.min(maxOpen, slots.length * 2));
        return put(fd, descriptor);
    }

    private int put(int fd, Descriptor descriptor) {
        slots[fd] = descriptor;
        openCount++;
        return fd;
    }

    /** Closes {@code fd} and returns the descriptor it held. */
    Descriptor close(long fd) {
        Descriptor d = get(fd);
        slots[(int) fd] = null;
        openCount--;
        d.close();
        return d;
    }

    /**
     * Moves {@code from} onto {@code to}, closing what {@code to} held. Both must be open. Returns
     * the descriptor closed, null when {@code from == to} (nothing moves).
     */
    Descriptor renumber(long from, long to) {
        Descriptor moving = get(from);
        get(to);
        if (from == to) {
            return null;
        }
        Descriptor replaced = close(to);
        slots[(int) from] = null;
        slots[(int) to] = moving;
        return replaced;
    }

    /** The open descriptor numbers (for {@link #closeAllExcept} after a rolled-back execution). */
    public java.util.BitSet openDescriptors() {
        java.util.BitSet open = new java.util.BitSet(slots.length);
        for (int fd = 0; fd < slots.length; fd++) {
            if (slots[fd] != null) {
                open.set(fd);
            }
        }
        return open;
    }

    /**
     * Closes every descriptor whose number is not in {@code keep}: those opened by an execution
     * whose guest memory was rolled back, which no guest object refers to any more.
     */
    public void closeAllExcept(java.util.BitSet keep) {
        for (int fd = 0; fd < slots.length; fd++) {
            if (slots[fd] != null && !keep.get(fd)) {
                close(fd);
            }
        }
    }

    /** Closes every descriptor (releasing host file handles). */
    void closeAll() {
        for (int fd = 0; fd < slots.length; fd++) {
            if (slots[fd] != null) {
                close(fd);
            }
        }
    }
}
