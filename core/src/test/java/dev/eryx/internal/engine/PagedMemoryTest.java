package dev.eryx.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PagedMemory} (4, 16, 64 KiB pages) against Chicory's {@link ByteArrayMemory}: the same
 * random operations on both must give the same results, the same out-of-bounds failures and the
 * same contents, across page boundaries, growth, copy-on-write over an image, rollback and reset.
 */
class PagedMemoryTest {
    private static final int WASM_PAGE = Memory.PAGE_SIZE;
    private static final MemoryLimits LIMITS = new MemoryLimits(2, 6);

    /** Reference and candidate side by side; operations apply to both and compare outcomes. */
    private static final class Pair {
        ByteArrayMemory reference;
        final PagedMemory candidate;

        Pair(ByteArrayMemory reference, PagedMemory candidate) {
            this.reference = reference;
            this.candidate = candidate;
        }

        <T> void same(String what, Function<Memory, T> op) {
            Object expected;
            Object actual;
            try {
                expected = op.apply(reference);
            } catch (WasmRuntimeException e) {
                expected = WasmRuntimeException.class;
            }
            try {
                actual = op.apply(candidate);
            } catch (WasmRuntimeException e) {
                actual = WasmRuntimeException.class;
            }
            if (expected instanceof byte[] && actual instanceof byte[]) {
                assertArrayEquals((byte[]) expected, (byte[]) actual, what);
            } else {
                assertEquals(expected, actual, what);
            }
        }

        void assertSameContents(String when) {
            assertEquals(reference.pages(), candidate.pages(), when + ": pages");
            int bytes = reference.pages() * WASM_PAGE;
            assertArrayEquals(
                    reference.readBytes(0, bytes),
                    candidate.readBytes(0, bytes),
                    when + ": contents");
        }
    }

    private static ByteArrayMemory referenceWith(byte[] contents) {
        ByteArrayMemory m = new ByteArrayMemory(LIMITS);
        int pages = contents.length / WASM_PAGE;
        if (pages > m.pages()) {
            m.grow(pages - m.pages());
        }
        m.write(0, contents);
        return m;
    }

    /**
     * Addresses that hit the interesting places: page edges of every size, the end of memory,
     * negatives.
     */
    private static int address(Random random, int memoryBytes) {
        switch (random.nextInt(6)) {
            case 0:
                return random.nextInt(memoryBytes + 16);
            case 1:
                {
                    int edge =
                            (1 << (12 + random.nextInt(5)))
                                    * (1 + random.nextInt(Math.max(1, memoryBytes >>> 12)));
                    return edge - 8 + random.nextInt(16);
                }
            case 2:
                return memoryBytes - 9 + random.nextInt(18);
            case 3:
                return random.nextBoolean()
                        ? -1 - random.nextInt(10)
                        : Integer.MIN_VALUE + random.nextInt(10);
            default:
                return random.nextInt(3 * 4096);
        }
    }

    private static void randomOp(Pair p, Random random, int step) {
        int size = p.reference.pages() * WASM_PAGE;
        int addr = address(random, size);
        String what = "step " + step + " addr " + addr;
        switch (random.nextInt(14)) {
            case 0:
                {
                    byte v = (byte) random.nextInt();
                    p.same(
                            what + " writeByte",
                            m -> {
                                m.writeByte(addr, v);
                                return null;
                            });
                    p.same(what + " read", m -> m.read(addr));
                    break;
                }
            case 1:
                {
                    short v = (short) random.nextInt();
                    p.same(
                            what + " writeShort",
                            m -> {
                                m.writeShort(addr, v);
                                return null;
                            });
                    p.same(what + " readShort", m -> m.readShort(addr));
                    p.same(what + " readU16", m -> m.readU16(addr));
                    break;
                }
            case 2:
                {
                    int v = random.nextInt();
                    p.same(
                            what + " writeI32",
                            m -> {
                                m.writeI32(addr, v);
                                return null;
                            });
                    p.same(what + " readInt", m -> m.readInt(addr));
                    break;
                }
            case 3:
                {
                    long v = random.nextLong();
                    p.same(
                            what + " writeLong",
                            m -> {
                                m.writeLong(addr, v);
                                return null;
                            });
                    p.same(what + " readLong", m -> m.readLong(addr));
                    break;
                }
            case 4:
                {
                    float v = Float.intBitsToFloat(random.nextInt());
                    p.same(
                            what + " writeF32",
                            m -> {
                                m.writeF32(addr, v);
                                return null;
                            });
                    p.same(what + " readF32", m -> m.readF32(addr));
                    p.same(
                            what + " readFloat bits",
                            m -> Float.floatToRawIntBits(m.readFloat(addr)));
                    break;
                }
            case 5:
                {
                    double v = Double.longBitsToDouble(random.nextLong());
                    p.same(
                            what + " writeF64",
                            m -> {
                                m.writeF64(addr, v);
                                return null;
                            });
                    p.same(what + " readF64", m -> m.readF64(addr));
                    p.same(
                            what + " readDouble bits",
                            m -> Double.doubleToRawLongBits(m.readDouble(addr)));
                    break;
                }
            case 6:
                {
                    int len = random.nextInt(3) == 0 ? random.nextInt(70_000) : random.nextInt(40);
                    p.same(what + " readBytes " + len, m -> m.readBytes(addr, len));
                    break;
                }
            case 7:
                {
                    byte[] data =
                            new byte
                                    [random.nextInt(3) == 0
                                            ? random.nextInt(70_000)
                                            : random.nextInt(40)];
                    random.nextBytes(data);
                    int offset = data.length == 0 ? 0 : random.nextInt(data.length);
                    int len =
                            random.nextInt(10) == 0
                                    ? data.length + 1
                                    : random.nextInt(data.length - offset + 1);
                    p.same(
                            what + " write " + offset + "+" + len,
                            m -> {
                                m.write(addr, data, offset, len);
                                return null;
                            });
                    break;
                }
            case 8:
                {
                    int len =
                            random.nextInt(5) == 0
                                    ? -random.nextInt(5)
                                    : random.nextInt(random.nextBoolean() ? 100 : 70_000);
                    byte v = (byte) random.nextInt();
                    p.same(
                            what + " fill " + len,
                            m -> {
                                m.fill(v, addr, addr + len);
                                return null;
                            });
                    break;
                }
            case 9:
                {
                    int src =
                            random.nextBoolean()
                                    ? address(random, size)
                                    : addr + random.nextInt(200) - 100;
                    int len = random.nextInt(4) == 0 ? random.nextInt(70_000) : random.nextInt(300);
                    p.same(
                            what + " copy from " + src + " len " + len,
                            m -> {
                                m.copy(addr, src, len);
                                return null;
                            });
                    break;
                }
            case 10:
                {
                    int pages = random.nextInt(8) == 0 ? -1 : random.nextInt(3);
                    p.same(what + " grow " + pages, m -> m.grow(pages));
                    break;
                }
            case 11:
                p.same(
                        what + " readI8/U8/I16/I32/U32/I64",
                        m ->
                                Arrays.asList(
                                                m.readI8(addr),
                                                m.readU8(addr),
                                                m.readI16(addr),
                                                m.readI32(addr),
                                                m.readU32(addr),
                                                m.readI64(addr))
                                        .toString());
                break;
            case 12:
                {
                    // Aligned only: Chicory refuses misaligned atomics with an
                    // IllegalStateException of the
                    // JVM, and CPython built without threads issues no atomics at all. The
                    // reference side
                    // is a plain read-add-write because ByteArrayMemory's atomics fail on every
                    // address
                    // under JDK 25 (its byte-array VarHandle reports any access as out of bounds
                    // there).
                    int aligned = addr & ~3;
                    int v = random.nextInt();
                    p.same(
                            what + " atomicAddInt",
                            m ->
                                    m instanceof PagedMemory
                                            ? m.atomicAddInt(aligned, v)
                                            : plainAtomicAdd(m, aligned, v));
                    break;
                }
            default:
                if (random.nextInt(10) == 0) {
                    p.same(
                            what + " zero",
                            m -> {
                                m.zero();
                                return null;
                            });
                }
                p.same(what + " pages", Memory::pages);
                break;
        }
    }

    /**
     * The semantics of {@code i32.atomic.rmw.add} without the JVM's atomics: bounds check, add, old
     * value.
     */
    private static int plainAtomicAdd(Memory m, int addr, int v) {
        int old = m.readInt(addr);
        m.writeI32(addr, old + v);
        return old;
    }

    private static PagedMemory restored(SharedPages image) {
        PagedMemory m = PagedMemory.over(image, LIMITS, HeapAllowance.unlimited(), Long.MAX_VALUE);
        m.instantiated();
        return m;
    }

    @Test
    void whileInstantiatingARestoredMemoryKeepsItsImage() {
        byte[] contents = new byte[2 * WASM_PAGE];
        Arrays.fill(contents, (byte) 5);
        PagedMemory m =
                PagedMemory.over(
                        SharedPages.of(contents, 14), LIMITS, HeapAllowance.unlimited(), 0);
        m.zero(); // what Chicory's Instance does before applying data segments
        m.initialize(null, null);
        assertEquals(5, m.read(WASM_PAGE + 3));
        m.instantiated();
        m.zero();
        assertEquals(0, m.read(WASM_PAGE + 3));
    }

    @ParameterizedTest
    @ValueSource(ints = {12, 14, 16})
    void randomOperationsMatchByteArrayMemory(int pageShift) {
        for (long seed = 1; seed <= 20; seed++) {
            Random random = new Random(seed * 31 + pageShift);
            Pair p =
                    new Pair(
                            new ByteArrayMemory(LIMITS),
                            PagedMemory.fresh(
                                    LIMITS, pageShift, HeapAllowance.unlimited(), Long.MAX_VALUE));
            for (int step = 0; step < 400; step++) {
                randomOp(p, random, step);
            }
            p.assertSameContents("seed " + seed);
            assertEquals(p.reference.maximumPages(), p.candidate.maximumPages());
            assertEquals(p.reference.initialPages(), p.candidate.initialPages());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {12, 14, 16})
    void copyOnWriteOverAnImageMatchesAndNeverChangesTheImage(int pageShift) {
        Random random = new Random(pageShift);
        byte[] contents = new byte[3 * WASM_PAGE];
        random.nextBytes(contents);
        SharedPages image = SharedPages.of(contents, pageShift);
        for (int round = 0; round < 10; round++) {
            Pair p = new Pair(referenceWith(contents), restored(image));
            for (int step = 0; step < 300; step++) {
                randomOp(p, random, step);
            }
            p.assertSameContents("round " + round);
            assertArrayEquals(contents, image.toBytes(), "the shared image was written");
            p.candidate.resetToImage();
            assertEquals(3, p.candidate.pages());
            assertArrayEquals(contents, p.candidate.readBytes(0, contents.length), "reset");
            assertEquals(0, p.candidate.ownedBytes(), "reset keeps no private page");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {12, 14, 16})
    void rollbackReturnsToTheStartOfTheEpoch(int pageShift) {
        Random random = new Random(100 + pageShift);
        byte[] contents = new byte[2 * WASM_PAGE];
        random.nextBytes(contents);
        SharedPages image = SharedPages.of(contents, pageShift);
        PagedMemory candidate = restored(image);
        Pair p = new Pair(referenceWith(contents), candidate);
        for (int epoch = 0; epoch < 30; epoch++) {
            candidate.beginEpoch();
            byte[] atStart = p.reference.readBytes(0, p.reference.pages() * WASM_PAGE);
            for (int step = 0; step < 200; step++) {
                randomOp(p, random, step);
            }
            if (random.nextBoolean()) {
                assertTrue(candidate.rollback());
                p.reference = referenceWith(atStart);
                p.assertSameContents("after rollback of epoch " + epoch);
            } else {
                p.assertSameContents("after epoch " + epoch);
            }
        }
        assertArrayEquals(contents, image.toBytes(), "the shared image was written");
    }

    @ParameterizedTest
    @ValueSource(ints = {12, 14, 16})
    void writesFromAnotherThreadToAPreparedPageLandInTheCurrentPage(int pageShift) {
        PagedMemory m =
                PagedMemory.over(
                        SharedPages.of(new byte[WASM_PAGE], pageShift),
                        LIMITS,
                        HeapAllowance.unlimited(),
                        Long.MAX_VALUE);
        m.beginEpoch();
        m.prepareWrite(100, 4);
        m.writeI32Shared(100, 7);
        m.writeI32(104, 8); // same page: no second copy that would lose the 7
        assertEquals(7, m.readInt(100));
        assertTrue(m.rollback());
        assertEquals(0, m.readInt(100));
    }

    @Test
    void aJournalOverItsBudgetIsAbandonedAndRollbackRefused() {
        int pageShift = 12;
        PagedMemory m =
                PagedMemory.fresh(LIMITS, pageShift, HeapAllowance.unlimited(), 3 << pageShift);
        // Pages written before the first epoch are the memory's own: the journal copies them.
        for (int page = 0; page < 4; page++) {
            m.writeByte(page << pageShift, (byte) 2);
        }
        m.beginEpoch();
        for (int page = 0; page < 3; page++) {
            m.writeByte(page << pageShift, (byte) 1);
        }
        assertTrue(m.canRollback());
        m.writeByte(3 << pageShift, (byte) 1);
        assertFalse(m.canRollback());
        assertFalse(m.rollback());
        assertEquals(1, m.read(3 << pageShift), "writes still land after the journal is abandoned");
        m.beginEpoch();
        assertTrue(m.canRollback(), "the next epoch journals again");
    }

    @Test
    void growthTheHeapCannotGiveFailsInsideTheGuest() {
        AtomicLong asked = new AtomicLong();
        HeapAllowance onePage =
                bytes -> {
                    asked.set(bytes);
                    return bytes <= WASM_PAGE;
                };
        PagedMemory m = PagedMemory.fresh(new MemoryLimits(1, 100), 14, onePage, Long.MAX_VALUE);
        assertEquals(-1, m.grow(2));
        assertEquals(2L * WASM_PAGE, asked.get());
        assertEquals(1, m.pages());
        assertEquals(1, m.grow(1));
        assertEquals(2, m.pages());
        assertEquals(-1, m.grow(99), "over the cap");
        assertThrows(WasmRuntimeException.class, () -> m.readInt(2 * WASM_PAGE));
    }

    @Test
    void anImageLargerThanTheCapIsRefused() {
        SharedPages image = SharedPages.of(new byte[3 * WASM_PAGE], 14);
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        PagedMemory.over(
                                image, new MemoryLimits(1, 2), HeapAllowance.unlimited(), 0));
    }
}
