package dev.eryx.internal.wasi;

import com.dylibso.chicory.runtime.Memory;
import dev.eryx.internal.vfs.Errno;
import dev.eryx.internal.vfs.ErrnoException;

/**
 * The one bounds-checked view of guest memory every WASI function uses. Addresses and lengths are
 * unsigned 32-bit values held in longs; anything outside memory fails with EFAULT before Chicory is
 * touched, so no out-of-bounds exception can escape a host call.
 */
final class GuestMemory {
    private final Memory memory;
    private final long size;

    GuestMemory(Memory memory) {
        this.memory = memory;
        this.size = memory == null ? 0 : (long) memory.pages() * Memory.PAGE_SIZE;
    }

    /** An i32 argument as the unsigned value wasm means by it. */
    static long u32(long argument) {
        return argument & 0xFFFF_FFFFL;
    }

    /** Checks {@code [address, address + length)} is inside memory; returns the address as int. */
    int check(long address, long length) {
        if (address < 0 || length < 0 || address + length > size) {
            throw new ErrnoException(Errno.FAULT, "guest pointer out of bounds");
        }
        return (int) address;
    }

    int readI32(long address) {
        return memory.readInt(check(address, 4));
    }

    long readU32(long address) {
        return u32(readI32(address));
    }

    long readI64(long address) {
        return memory.readLong(check(address, 8));
    }

    int readU8(long address) {
        return memory.read(check(address, 1)) & 0xFF;
    }

    int readU16(long address) {
        return memory.readShort(check(address, 2)) & 0xFFFF;
    }

    byte[] readBytes(long address, int length) {
        return memory.readBytes(check(address, length), length);
    }

    void writeI32(long address, int value) {
        memory.writeI32(check(address, 4), value);
    }

    void writeU16(long address, int value) {
        memory.writeShort(check(address, 2), (short) value);
    }

    void writeI64(long address, long value) {
        memory.writeLong(check(address, 8), value);
    }

    void writeBytes(long address, byte[] bytes, int offset, int length) {
        memory.write(check(address, length), bytes, offset, length);
    }
}
