package dev.eryx.internal.engine;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The guest's linear memory as one {@code byte[]} per sandbox, with a byte per 16 KiB page saying
 * whether the page may be written without the slow path (docs/performance.md, "Round 2 (issue 19)",
 * lever 3). A load is one size check and an array access; a store adds one test of that byte. The
 * price is memory: every sandbox holds a full private copy, where {@link PagedMemory} shares
 * unchanged pages with the image.
 *
 * <ul>
 *   <li><b>Restore</b> copies only the image's pages that are not all zeros into a new array.
 *   <li><b>Epochs and rollback</b> as in {@link PagedMemory}: the first write to a page in an epoch
 *       copies it aside (unless the page is still the image's, which the image keeps), and {@link
 *       #rollback()} copies back only those pages.
 *   <li><b>Reset</b> copies the image's page back over every page written since the restore.
 * </ul>
 *
 * <p>Invariant: bytes of the array above the current size are zero (growth within the array only
 * moves the size; rollback and reset zero what they cut off). Growth past the array's length
 * allocates a larger one (half again, at most the cap) and copies, so unlike {@link PagedMemory} it
 * holds two copies for a moment; a store from another thread ({@link #writeI32Shared}) takes the
 * same lock as that copy so it cannot land in the old array.
 */
public final class FlatMemory implements JournaledMemory {
    static final int PAGE_SHIFT = PagedMemory.DEFAULT_PAGE_SHIFT;
    private static final int PAGE_BYTES = 1 << PAGE_SHIFT;
    private static final int WASM_PAGE_BYTES = PagedMemory.WASM_PAGE_BYTES;
    private static final int RATIO = WASM_PAGE_BYTES >>> PAGE_SHIFT;

    /** In {@link #saved}: the page was the image's at its first write, so the image holds it. */
    private static final byte[] FROM_IMAGE = new byte[0];

    private static final VarHandle SHORT =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle FLOAT =
            MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle DOUBLE =
            MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

    private final MemoryLimits limits;
    private final SharedPages image;
    private final HeapAllowance heap;
    private final long maxJournalBytes;

    /** Held by growth while it moves the contents, and by {@link #writeI32Shared}. */
    private final Object moving = new Object();

    /** The contents; at least {@link #size} bytes, zero above it. */
    private byte[] bytes;

    /** The memory's size in bytes (wasm pages times 64 KiB). */
    private int size;

    /**
     * 1 while page i may be written without {@link #makeWritable}; cleared by the next epoch. Only
     * pages below the size are ever 1, and the table covers every unsigned 32-bit address (256
     * KiB), so a store needs no bounds check of its own: an address outside the memory finds a 0
     * and the slow path refuses it.
     */
    private final byte[] writable = new byte[1 << (32 - PAGE_SHIFT)];

    /** Whether page i may differ from the image (or from zeros, above the image). */
    private final boolean[] owned;

    private final boolean[] listedAsOwned;
    private int[] ownedList = new int[64];
    private int ownedCount;

    /** The page at the epoch's start, for pages written since: a copy, or {@link #FROM_IMAGE}. */
    private final byte[][] saved;

    /** Pages whose {@code writable} byte is set. */
    private int[] touched = new int[64];

    private int touchedCount;

    private DataSegment[] dataSegments;
    private boolean restoring;
    private boolean journaling;
    private boolean journalAbandoned;
    private long journalBytes;
    private int epochSize;
    private long peakSize;
    private boolean growthRefused;

    private FlatMemory(
            MemoryLimits limits, SharedPages image, HeapAllowance heap, long maxJournalBytes) {
        if (image != null && image.pageShift() != PAGE_SHIFT) {
            throw new IllegalArgumentException(
                    "image pages are "
                            + (1 << image.pageShift())
                            + " bytes, this memory's are "
                            + PAGE_BYTES);
        }
        if (maxJournalBytes < 0) {
            throw new IllegalArgumentException("maxJournalBytes must be >= 0: " + maxJournalBytes);
        }
        this.limits = limits;
        this.image = image;
        this.heap = heap;
        this.maxJournalBytes = maxJournalBytes;
        int pageCapacity = maximumPages() * RATIO;
        this.owned = new boolean[pageCapacity];
        this.listedAsOwned = new boolean[pageCapacity];
        this.saved = new byte[pageCapacity][];
        int startPages = image == null ? limits.initialPages() : image.wasmPages();
        if (startPages > maximumPages()) {
            throw new IllegalArgumentException(
                    "the image needs "
                            + startPages
                            + " pages of 64 KiB, more than the cap of "
                            + maximumPages());
        }
        int startBytes = startPages * WASM_PAGE_BYTES;
        if (startBytes > 0 && !heap.mayAllocate(startBytes)) {
            throw new OutOfMemoryError(
                    "no heap for the guest's initial memory of " + startPages + " pages");
        }
        this.bytes = new byte[startBytes];
        this.size = startBytes;
        if (image != null) {
            copyImagePages(bytes);
            restoring = true;
        }
        peakSize = size;
    }

    /** An empty memory of {@code limits.initialPages()} zero pages (booting a module). */
    public static FlatMemory fresh(MemoryLimits limits, HeapAllowance heap, long maxJournalBytes) {
        return new FlatMemory(limits, null, heap, maxJournalBytes);
    }

    /** A memory that starts as a copy of {@code image} (16 KiB pages). */
    static FlatMemory over(
            SharedPages image, MemoryLimits limits, HeapAllowance heap, long maxJournalBytes) {
        return new FlatMemory(limits, image, heap, maxJournalBytes);
    }

    /** Copies the image's non-zero pages into {@code target}, which is all zeros. */
    private void copyImagePages(byte[] target) {
        boolean[] zero = image.zeroPages();
        for (int i = 0; i < zero.length; i++) {
            if (!zero[i]) {
                System.arraycopy(image.page(i), 0, target, i << PAGE_SHIFT, PAGE_BYTES);
            }
        }
    }

    // ---- epochs ---------------------------------------------------------------------------------

    @Override
    public void beginEpoch() {
        clearTouched();
        journaling = true;
        journalAbandoned = false;
        journalBytes = 0;
        epochSize = size;
        growthRefused = false;
    }

    @Override
    public boolean canRollback() {
        return journaling && !journalAbandoned;
    }

    @Override
    public boolean rollback() {
        if (!canRollback()) {
            return false;
        }
        int keep = epochSize >>> PAGE_SHIFT;
        for (int t = 0; t < touchedCount; t++) {
            int i = touched[t];
            byte[] old = saved[i];
            if (i >= keep) {
                // Grown in this epoch: back to the zeros above the size.
                Arrays.fill(bytes, i << PAGE_SHIFT, (i + 1) << PAGE_SHIFT, (byte) 0);
                owned[i] = false;
            } else if (old == FROM_IMAGE) {
                restorePage(i);
                owned[i] = false;
            } else if (old != null) {
                System.arraycopy(old, 0, bytes, i << PAGE_SHIFT, PAGE_BYTES);
            }
        }
        size = epochSize;
        beginEpoch();
        return true;
    }

    /** Page {@code i} back to the image's (zeros above the image). */
    private void restorePage(int i) {
        if (image != null && i < image.pageCount()) {
            System.arraycopy(image.page(i), 0, bytes, i << PAGE_SHIFT, PAGE_BYTES);
        } else {
            Arrays.fill(bytes, i << PAGE_SHIFT, (i + 1) << PAGE_SHIFT, (byte) 0);
        }
    }

    @Override
    public void resetToImage() {
        if (image == null) {
            throw new IllegalStateException("this memory was not restored from an image");
        }
        clearTouched();
        int imageBytes = image.wasmPages() * WASM_PAGE_BYTES;
        // A sandbox that grew far past the image gives the array back rather than keep it idle.
        boolean shrink = bytes.length - imageBytes > Math.max(imageBytes >>> 2, WASM_PAGE_BYTES);
        if (shrink) {
            byte[] fresh = new byte[imageBytes];
            copyImagePages(fresh);
            synchronized (moving) {
                bytes = fresh;
            }
        }
        for (int k = 0; k < ownedCount; k++) {
            int i = ownedList[k];
            if (owned[i] && !shrink) {
                restorePage(i);
            }
            owned[i] = false;
            listedAsOwned[i] = false;
        }
        ownedCount = 0;
        size = imageBytes;
        journaling = false;
        journalAbandoned = false;
        journalBytes = 0;
        peakSize = size;
    }

    @Override
    public void instantiated() {
        restoring = false;
    }

    @Override
    public boolean isOver(SharedPages candidate) {
        return image != null && image == candidate;
    }

    @Override
    public void prepareWrite(int addr, int size) {
        checkBounds(addr, size);
        for (int i = addr >>> PAGE_SHIFT; i <= (addr + size - 1) >>> PAGE_SHIFT; i++) {
            if (writable[i] == 0) {
                makeWritable(i);
            }
        }
    }

    @Override
    public void writeI32Shared(int addr, int value) {
        synchronized (moving) {
            writeI32(addr, value);
        }
    }

    private void clearTouched() {
        for (int t = 0; t < touchedCount; t++) {
            int i = touched[t];
            writable[i] = 0;
            saved[i] = null;
        }
        touchedCount = 0;
    }

    /** The whole array: nothing of it is shared. */
    @Override
    public long ownedBytes() {
        return bytes.length;
    }

    @Override
    public int pageBytes() {
        return PAGE_BYTES;
    }

    @Override
    public int pagesWrittenThisEpoch() {
        return touchedCount;
    }

    @Override
    public long journalBytes() {
        return journalBytes;
    }

    @Override
    public boolean growthRefused() {
        return growthRefused;
    }

    @Override
    public long peakBytes() {
        return peakSize;
    }

    @Override
    public SharedPages toImage() {
        byte[][] pages = new byte[size >>> PAGE_SHIFT][];
        int imagePages = image == null ? 0 : image.pageCount();
        for (int i = 0; i < pages.length; i++) {
            pages[i] =
                    i < imagePages && !owned[i]
                            ? image.page(i)
                            : Arrays.copyOfRange(bytes, i << PAGE_SHIFT, (i + 1) << PAGE_SHIFT);
        }
        return SharedPages.adopt(pages, PAGE_SHIFT, size / WASM_PAGE_BYTES);
    }

    // ---- the slow path --------------------------------------------------------------------------

    /** The first write to page {@code i} in this epoch (i is below the size). */
    private void makeWritable(int i) {
        if (journaling && !journalAbandoned && i < epochSize >>> PAGE_SHIFT) {
            if (!owned[i]) {
                saved[i] = FROM_IMAGE;
            } else if (journalBytes + PAGE_BYTES > maxJournalBytes
                    || !heap.mayAllocate(PAGE_BYTES)) {
                abandonJournal();
            } else {
                saved[i] = Arrays.copyOfRange(bytes, i << PAGE_SHIFT, (i + 1) << PAGE_SHIFT);
                journalBytes += PAGE_BYTES;
            }
        }
        if (!owned[i]) {
            owned[i] = true;
            if (!listedAsOwned[i]) {
                listedAsOwned[i] = true;
                ownedList = push(ownedList, ownedCount++, i);
            }
        }
        writable[i] = 1;
        touched = push(touched, touchedCount++, i);
    }

    /** Makes every page of {@code [addr, addr + len)} writable; the range is in bounds. */
    private void makeRangeWritable(int addr, int len) {
        if (len == 0) {
            return;
        }
        for (int i = addr >>> PAGE_SHIFT; i <= (addr + len - 1) >>> PAGE_SHIFT; i++) {
            if (writable[i] == 0) {
                makeWritable(i);
            }
        }
    }

    /** A store whose page(s) are not writable yet, or outside the memory. */
    private void slowWrite(int addr, int n) {
        checkBounds(addr, n);
        makeRangeWritable(addr, n);
    }

    /** Too much to journal: write in place from now on; the epoch can no longer be rolled back. */
    private void abandonJournal() {
        journalAbandoned = true;
        for (int t = 0; t < touchedCount; t++) {
            saved[touched[t]] = null;
        }
        journalBytes = 0;
    }

    private static int[] push(int[] list, int index, int value) {
        int[] out = index < list.length ? list : Arrays.copyOf(list, list.length * 2);
        out[index] = value;
        return out;
    }

    // ---- Memory: size ---------------------------------------------------------------------------

    @Override
    public int pages() {
        return size / WASM_PAGE_BYTES;
    }

    @Override
    public int grow(int delta) {
        int previous = pages();
        long next = (long) previous + delta;
        if (delta < 0 || next > maximumPages()) {
            growthRefused = true;
            return -1;
        }
        int nextSize = (int) (next * WASM_PAGE_BYTES);
        if (nextSize > bytes.length) {
            // Half again, so that a guest growing a page at a time copies O(size) in total.
            long wanted = Math.max(nextSize, bytes.length + (long) (bytes.length >>> 1));
            int capacity = (int) Math.min(wanted, (long) maximumPages() * WASM_PAGE_BYTES);
            if (!heap.mayAllocate(capacity)) {
                growthRefused = true;
                return -1;
            }
            byte[] larger;
            try {
                larger = new byte[capacity];
            } catch (OutOfMemoryError e) {
                // Ours to undo: the guest sees a failed memory.grow, not an error from the JVM.
                growthRefused = true;
                return -1;
            }
            synchronized (moving) {
                System.arraycopy(bytes, 0, larger, 0, size);
                bytes = larger;
            }
        }
        size = nextSize;
        peakSize = Math.max(peakSize, size);
        return previous;
    }

    @Override
    public int initialPages() {
        return limits.initialPages();
    }

    @Override
    public int maximumPages() {
        return Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    public Object lock(int address) {
        // Not shared: only the guest thread runs atomics, so they need no lock of their own.
        return this;
    }

    @Override
    public int waitOn(int address, int expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    @Override
    public int waitOn(int address, long expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    @Override
    public int notify(int address, int maxThreads) {
        return 0;
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        this.dataSegments = dataSegments;
        if (dataSegments == null || restoring) {
            return;
        }
        for (DataSegment s : dataSegments) {
            if (s instanceof ActiveDataSegment) {
                ActiveDataSegment segment = (ActiveDataSegment) s;
                int offset =
                        (int)
                                ConstantEvaluators.computeConstantValue(
                                        instance, segment.offsetInstructions())[0];
                byte[] data = segment.data();
                if (offset < 0 || (long) offset + data.length > size) {
                    throw new UninstantiableException(
                            "out of bounds memory access: data segment at "
                                    + offset
                                    + " of "
                                    + data.length
                                    + " bytes, memory is "
                                    + size);
                }
                write(offset, data, 0, data.length);
            } else if (!(s instanceof PassiveDataSegment)) {
                throw new ChicoryException("Data segment should be active or passive: " + s);
            }
        }
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        write(dest, dataSegments[segmentId].data(), offset, size);
    }

    @Override
    public void drop(int segment) {
        dataSegments[segment] = PassiveDataSegment.EMPTY;
    }

    // ---- Memory: bounds -------------------------------------------------------------------------

    /**
     * Whether {@code [addr, addr + n)} leaves the memory. An address the guest computed as negative
     * is a huge unsigned one, so one comparison covers both ends.
     */
    private boolean outside(int addr, int n) {
        return Integer.toUnsignedLong(addr) + n > size;
    }

    private void checkBounds(int addr, int n) {
        if (n < 0 || outside(addr, n)) {
            throw outOfBounds(addr, n);
        }
    }

    private WasmRuntimeException outOfBounds(int addr, int n) {
        return new WasmRuntimeException(
                "out of bounds memory access: attempted to access address: "
                        + addr
                        + " but limit is: "
                        + size
                        + " and size: "
                        + n);
    }

    // ---- Memory: reads --------------------------------------------------------------------------

    @Override
    public byte read(int addr) {
        if (outside(addr, 1)) {
            throw outOfBounds(addr, 1);
        }
        return bytes[addr];
    }

    @Override
    public short readShort(int addr) {
        if (outside(addr, 2)) {
            throw outOfBounds(addr, 2);
        }
        return (short) SHORT.get(bytes, addr);
    }

    @Override
    public long readU16(int addr) {
        return readShort(addr) & 0xFFFFL;
    }

    @Override
    public int readInt(int addr) {
        if (outside(addr, 4)) {
            throw outOfBounds(addr, 4);
        }
        return (int) INT.get(bytes, addr);
    }

    @Override
    public long readLong(int addr) {
        if (outside(addr, 8)) {
            throw outOfBounds(addr, 8);
        }
        return (long) LONG.get(bytes, addr);
    }

    @Override
    public float readFloat(int addr) {
        if (outside(addr, 4)) {
            throw outOfBounds(addr, 4);
        }
        return (float) FLOAT.get(bytes, addr);
    }

    @Override
    public long readF32(int addr) {
        return readInt(addr); // sign-extended, as ByteArrayMemory does
    }

    @Override
    public double readDouble(int addr) {
        if (outside(addr, 8)) {
            throw outOfBounds(addr, 8);
        }
        return (double) DOUBLE.get(bytes, addr);
    }

    @Override
    public long readF64(int addr) {
        return readLong(addr);
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        checkBounds(addr, len);
        return Arrays.copyOfRange(bytes, addr, addr + len);
    }

    // ---- Memory: writes -------------------------------------------------------------------------

    @Override
    public void writeByte(int addr, byte data) {
        if (writable[addr >>> PAGE_SHIFT] == 0) {
            slowWrite(addr, 1);
        }
        bytes[addr] = data;
    }

    @Override
    public void writeShort(int addr, short data) {
        if ((writable[addr >>> PAGE_SHIFT] & writable[(addr + 1) >>> PAGE_SHIFT]) == 0) {
            slowWrite(addr, 2);
        }
        SHORT.set(bytes, addr, data);
    }

    @Override
    public void writeI32(int addr, int data) {
        if ((writable[addr >>> PAGE_SHIFT] & writable[(addr + 3) >>> PAGE_SHIFT]) == 0) {
            slowWrite(addr, 4);
        }
        INT.set(bytes, addr, data);
    }

    @Override
    public void writeLong(int addr, long data) {
        if ((writable[addr >>> PAGE_SHIFT] & writable[(addr + 7) >>> PAGE_SHIFT]) == 0) {
            slowWrite(addr, 8);
        }
        LONG.set(bytes, addr, data);
    }

    @Override
    public void writeF32(int addr, float data) {
        writeI32(addr, Float.floatToRawIntBits(data));
    }

    @Override
    public void writeF64(int addr, double data) {
        writeLong(addr, Double.doubleToRawLongBits(data));
    }

    @Override
    public void write(int addr, byte[] data, int offset, int len) {
        if (offset < 0 || len < 0 || (long) offset + len > data.length) {
            throw new WasmRuntimeException(
                    "out of bounds memory access: attempted to access address: "
                            + offset
                            + " but limit is: "
                            + data.length
                            + " and size: "
                            + len);
        }
        checkBounds(addr, len);
        makeRangeWritable(addr, len);
        System.arraycopy(data, offset, bytes, addr, len);
    }

    @Override
    public void zero() {
        if (restoring) {
            return;
        }
        fill((byte) 0, 0, size);
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        int len = toIndex - fromIndex;
        checkBounds(fromIndex, len);
        makeRangeWritable(fromIndex, len);
        Arrays.fill(bytes, fromIndex, toIndex, value);
    }

    @Override
    public void copy(int dest, int src, int len) {
        checkBounds(src, len);
        checkBounds(dest, len);
        makeRangeWritable(dest, len);
        System.arraycopy(bytes, src, bytes, dest, len);
    }
}
