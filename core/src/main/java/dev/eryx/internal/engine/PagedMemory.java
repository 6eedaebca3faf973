package dev.eryx.internal.engine;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
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
 * The guest's linear memory: an array of pages (smaller than wasm's 64 KiB pages, see
 * docs/performance.md "Guest memory" for how the size was chosen) with three properties Chicory's
 * {@code ByteArrayMemory} lacks.
 *
 * <ul>
 *   <li><b>Copy-on-write over an image.</b> A memory restored from a {@link SharedPages} reads the
 *       image's pages until it first writes one, then copies that page. Restoring is O(pages)
 *       reference stores and sandboxes from one image share its unchanged pages.
 *   <li><b>Epochs and rollback.</b> Between {@link #beginEpoch()} and the next one, the first write
 *       to each page that existed at the epoch's start keeps the old page aside (the journal).
 *       {@link #rollback()} puts them back and drops pages grown since: the memory is exactly as at
 *       the epoch's start, in O(pages written).
 *   <li><b>Reset.</b> {@link #resetToImage()} returns to the image in O(pages owned).
 * </ul>
 *
 * <p>Every write finds its page through {@code writable[]}, which holds a page only while it may be
 * written directly; a null sends the write to {@link #makeWritable} (copy-on-write, journal), and
 * each page takes that slow path at most once per epoch. Reads go straight to {@code readable[]}.
 * Growth allocates only the new pages (never a second copy of the memory) and asks a {@link
 * HeapAllowance} first; the journal stops (and the epoch becomes impossible to roll back) rather
 * than grow past its budget or the heap's.
 *
 * <p>Threads: the guest thread does everything, except that another thread may write to a page
 * previously passed to {@link #prepareWrite} in the current epoch, while holding the same lock as
 * every call to {@link #beginEpoch}, {@link #rollback} and {@link #resetToImage} (the interrupt
 * flag of {@link GuestInstance}). Not a shared memory: wait/notify are refused like in Chicory.
 */
public final class PagedMemory implements JournaledMemory {
    static final int WASM_PAGE_BYTES = Memory.PAGE_SIZE;
    private static final int WASM_PAGE_SHIFT = 16;

    /** 16 KiB, by measurement (docs/performance.md). */
    public static final int DEFAULT_PAGE_SHIFT = 14;

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

    // shift, pageBytes, mask, readable and writable are public (in this non-exported package) for
    // one reason: the classpath-only prototype of issue 19's lever 5 (wasm-assets/build/tools/
    // Codegen.java, --inline-paged-loads/-stores) reads them from the generated code to run the
    // loads' and stores' fast paths inline. Nothing else may use them.
    public final int shift;
    public final int pageBytes;
    public final int mask;

    /** Our pages per wasm page. */
    private final int ratio;

    private final MemoryLimits limits;
    private final SharedPages image;
    private final HeapAllowance heap;
    private final long maxJournalBytes;

    /** Current content of every page below the size; null above it. */
    public final byte[][] readable;

    /** {@code readable[i]} while page i may be written without the slow path, else null. */
    public final byte[][] writable;

    /** The page as it was at the epoch's start, for pages written since (journal). */
    private final byte[][] saved;

    /** Whether {@code readable[i]} is ours (else it is the image's). */
    private final boolean[] owned;

    private final boolean[] listedAsOwned;
    private int[] ownedList = new int[64];
    private int ownedCount;

    /** Pages whose {@code writable} entry is set; cleared when the next epoch begins. */
    private int[] touched = new int[64];

    private int touchedCount;

    private int wasmPages;
    private DataSegment[] dataSegments;

    /**
     * Chicory zeroes the memory and applies the data segments while instantiating; a memory
     * restored from an image already holds the result of both, so until {@link #instantiated()}
     * they are skipped.
     */
    private boolean restoring;

    private boolean journaling;
    private boolean journalAbandoned;
    private long journalBytes;
    private int epochWasmPages;
    private int peakWasmPages;

    /** Whether a {@link #grow} failed (cap or heap) since the epoch began. */
    private boolean growthRefused;

    private PagedMemory(
            MemoryLimits limits,
            SharedPages image,
            int shift,
            HeapAllowance heap,
            long maxJournalBytes) {
        checkPageShift(shift);
        if (image != null && image.pageShift() != shift) {
            throw new IllegalArgumentException(
                    "image pages are "
                            + (1 << image.pageShift())
                            + " bytes, this memory's are "
                            + (1 << shift));
        }
        if (maxJournalBytes < 0) {
            throw new IllegalArgumentException("maxJournalBytes must be >= 0: " + maxJournalBytes);
        }
        this.shift = shift;
        this.pageBytes = 1 << shift;
        this.mask = pageBytes - 1;
        this.ratio = WASM_PAGE_BYTES >>> shift;
        this.limits = limits;
        this.image = image;
        this.heap = heap;
        this.maxJournalBytes = maxJournalBytes;
        int capacity = maximumPages() * ratio;
        this.readable = new byte[capacity][];
        this.writable = new byte[capacity][];
        this.saved = new byte[capacity][];
        this.owned = new boolean[capacity];
        this.listedAsOwned = new boolean[capacity];
        int startPages = image == null ? limits.initialPages() : image.wasmPages();
        if (startPages > maximumPages()) {
            throw new IllegalArgumentException(
                    "the image needs "
                            + startPages
                            + " pages of 64 KiB, more than the cap of "
                            + maximumPages());
        }
        if (image != null) {
            for (int i = 0; i < image.pageCount(); i++) {
                readable[i] = image.page(i);
            }
            wasmPages = image.wasmPages();
            restoring = true;
        } else if (allocate(0, startPages) < 0) {
            throw new OutOfMemoryError(
                    "no heap for the guest's initial memory of " + startPages + " pages");
        } else {
            wasmPages = startPages;
        }
        peakWasmPages = wasmPages;
    }

    /** An empty memory of {@code limits.initialPages()} zero pages (booting a module). */
    public static PagedMemory fresh(
            MemoryLimits limits, int pageShift, HeapAllowance heap, long maxJournalBytes) {
        return new PagedMemory(limits, null, pageShift, heap, maxJournalBytes);
    }

    /** A memory that starts as {@code image} and shares its pages until it writes them. */
    static PagedMemory over(
            SharedPages image, MemoryLimits limits, HeapAllowance heap, long maxJournalBytes) {
        return new PagedMemory(limits, image, image.pageShift(), heap, maxJournalBytes);
    }

    static void checkPageShift(int shift) {
        if (shift < 12 || shift > WASM_PAGE_SHIFT) {
            throw new IllegalArgumentException(
                    "page size must be 4 KiB to 64 KiB (shift 12..16): " + shift);
        }
    }

    // ---- epochs ---------------------------------------------------------------------------------

    /**
     * Starts journaling: from now on, {@link #rollback()} returns to the memory as it is now. Costs
     * O(pages written in the previous epoch).
     */
    @Override
    public void beginEpoch() {
        clearTouched();
        journaling = true;
        journalAbandoned = false;
        journalBytes = 0;
        epochWasmPages = wasmPages;
        growthRefused = false;
    }

    /** Whether {@link #rollback()} can restore the start of the current epoch. */
    @Override
    public boolean canRollback() {
        return journaling && !journalAbandoned;
    }

    /**
     * Puts back every page written since {@link #beginEpoch()} and shrinks to the size then.
     *
     * @return false (and nothing changed) if there is no epoch or its journal was abandoned
     */
    @Override
    public boolean rollback() {
        if (!canRollback()) {
            return false;
        }
        int keep = epochWasmPages * ratio;
        for (int t = 0; t < touchedCount; t++) {
            int i = touched[t];
            if (i < keep) {
                byte[] old = saved[i];
                if (old != null) {
                    readable[i] = old;
                    owned[i] = image == null || i >= image.pageCount() || old != image.page(i);
                }
            }
        }
        for (int i = keep; i < wasmPages * ratio; i++) {
            readable[i] = null;
            owned[i] = false;
        }
        wasmPages = epochWasmPages;
        beginEpoch();
        return true;
    }

    /**
     * Returns to the image this memory was restored from (size included) and ends journaling, in
     * O(pages this memory owns).
     *
     * @throws IllegalStateException if the memory was not restored from an image
     */
    @Override
    public void resetToImage() {
        if (image == null) {
            throw new IllegalStateException("this memory was not restored from an image");
        }
        clearTouched();
        int imagePages = image.pageCount();
        for (int k = 0; k < ownedCount; k++) {
            int i = ownedList[k];
            readable[i] = i < imagePages ? image.page(i) : null;
            owned[i] = false;
            listedAsOwned[i] = false;
        }
        ownedCount = 0;
        for (int i = imagePages; i < wasmPages * ratio; i++) {
            readable[i] = null;
        }
        wasmPages = image.wasmPages();
        journaling = false;
        journalAbandoned = false;
        journalBytes = 0;
        peakWasmPages = wasmPages;
    }

    /** Ends instantiation: from now on {@link #zero()} and {@link #initialize} do what they say. */
    @Override
    public void instantiated() {
        restoring = false;
    }

    /** Whether this memory was restored from {@code candidate} (the very object). */
    @Override
    public boolean isOver(SharedPages candidate) {
        return image != null && image == candidate;
    }

    /** Makes the page(s) of {@code [addr, addr + size)} writable for the rest of the epoch. */
    @Override
    public void prepareWrite(int addr, int size) {
        checkBounds(addr, size);
        for (int i = addr >>> shift; i <= (addr + size - 1) >>> shift; i++) {
            if (writable[i] == null) {
                makeWritable(i, addr, size);
            }
        }
    }

    private void clearTouched() {
        for (int t = 0; t < touchedCount; t++) {
            int i = touched[t];
            writable[i] = null;
            saved[i] = null;
        }
        touchedCount = 0;
    }

    /**
     * Bytes of page arrays this memory holds privately (not shared with its image), journal
     * excluded.
     */
    @Override
    public long ownedBytes() {
        long n = 0;
        for (int k = 0; k < ownedCount; k++) {
            if (owned[ownedList[k]]) {
                n++;
            }
        }
        return n << shift;
    }

    @Override
    public int pageBytes() {
        return pageBytes;
    }

    /** Pages written since the epoch began (each took the slow path once). */
    @Override
    public int pagesWrittenThisEpoch() {
        return touchedCount;
    }

    /** Bytes of page copies the current epoch's journal holds. */
    @Override
    public long journalBytes() {
        return journalBytes;
    }

    /**
     * Whether the guest asked for memory it was refused (its cap, or the JVM heap) since the epoch
     * began.
     */
    @Override
    public boolean growthRefused() {
        return growthRefused;
    }

    /** The high-water mark of the size since creation or the last reset, in bytes. */
    @Override
    public long peakBytes() {
        return (long) peakWasmPages * WASM_PAGE_BYTES;
    }

    /**
     * The pages of this memory as an immutable image (copies: this memory keeps writing its own).
     */
    @Override
    public SharedPages toImage() {
        byte[][] pages = new byte[wasmPages * ratio][];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = owned[i] ? readable[i].clone() : readable[i];
        }
        return SharedPages.adopt(pages, shift, wasmPages);
    }

    @Override
    public void writeI32Shared(int addr, int value) {
        // The page is in writable[] for the whole epoch and growth never moves it: a plain store.
        writeI32(addr, value);
    }

    // ---- the slow path
    // ---------------------------------------------------------------------------

    /**
     * The first write to page {@code i} in this epoch; {@code addr, size} only name the access for
     * errors.
     */
    private byte[] makeWritable(int i, int addr, int size) {
        if (i < 0 || i >= readable.length || readable[i] == null) {
            throw outOfBounds(addr, size);
        }
        byte[] current = readable[i];
        boolean journal = journaling && !journalAbandoned && i < epochWasmPages * ratio;
        byte[] page;
        if (!owned[i]) {
            // The image's page: copy it. Its original stays in the image, so the journal needs no
            // copy.
            page = current.clone();
            owned[i] = true;
            if (!listedAsOwned[i]) {
                listedAsOwned[i] = true;
                ownedList = push(ownedList, ownedCount++, i);
            }
        } else if (journal) {
            if (journalBytes + pageBytes > maxJournalBytes || !heap.mayAllocate(pageBytes)) {
                abandonJournal();
                page = current;
            } else {
                page = current.clone();
                journalBytes += pageBytes;
            }
        } else {
            page = current;
        }
        if (journal && !journalAbandoned) {
            saved[i] = current;
        }
        readable[i] = page;
        writable[i] = page;
        touched = push(touched, touchedCount++, i);
        return page;
    }

    /**
     * Too much to journal: keep writing in place from now on. Pages already copied stay copies
     * (their saved originals are simply dropped); the epoch can no longer be rolled back.
     */
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

    /** Adds zeroed pages {@code [fromWasmPage, toWasmPage)}; -1 if the heap cannot take them. */
    private int allocate(int fromWasmPage, int toWasmPage) {
        long bytes = (long) (toWasmPage - fromWasmPage) * WASM_PAGE_BYTES;
        if (bytes > 0 && !heap.mayAllocate(bytes)) {
            return -1;
        }
        int first = fromWasmPage * ratio;
        int end = toWasmPage * ratio;
        try {
            for (int i = first; i < end; i++) {
                readable[i] = new byte[pageBytes];
            }
        } catch (OutOfMemoryError e) {
            // Ours to undo: the guest sees a failed memory.grow, not an error from the JVM.
            for (int i = first; i < end; i++) {
                readable[i] = null;
            }
            return -1;
        }
        for (int i = first; i < end; i++) {
            owned[i] = true;
            listedAsOwned[i] = true;
            ownedList = push(ownedList, ownedCount++, i);
            // New pages are not in the epoch's journal (rollback drops them), so they start
            // writable.
            writable[i] = readable[i];
            touched = push(touched, touchedCount++, i);
        }
        return fromWasmPage;
    }

    // ---- Memory: size
    // ----------------------------------------------------------------------------

    @Override
    public int pages() {
        return wasmPages;
    }

    @Override
    public int grow(int size) {
        int previous = wasmPages;
        int next = previous + size;
        if (size < 0 || next > maximumPages() || next < previous || allocate(previous, next) < 0) {
            growthRefused = true;
            return -1;
        }
        wasmPages = next;
        peakWasmPages = Math.max(peakWasmPages, next);
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
                if (offset < 0 || (long) offset + data.length > sizeInBytes()) {
                    throw new UninstantiableException(
                            "out of bounds memory access: data segment at "
                                    + offset
                                    + " of "
                                    + data.length
                                    + " bytes, memory is "
                                    + sizeInBytes());
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

    // ---- Memory: bounds
    // --------------------------------------------------------------------------

    private long sizeInBytes() {
        return (long) wasmPages << WASM_PAGE_SHIFT;
    }

    private void checkBounds(int addr, int size) {
        if (addr < 0 || size < 0 || (long) addr + size > sizeInBytes()) {
            throw outOfBounds(addr, size);
        }
    }

    private WasmRuntimeException outOfBounds(int addr, int size) {
        return new WasmRuntimeException(
                "out of bounds memory access: attempted to access address: "
                        + addr
                        + " but limit is: "
                        + sizeInBytes()
                        + " and size: "
                        + size);
    }

    /** The page of {@code addr} made writable for the epoch, for bulk writes. */
    private byte[] writePage(int addr, int size) {
        int i = addr >>> shift;
        if (i < writable.length) {
            byte[] page = writable[i];
            if (page != null) {
                return page;
            }
        }
        return makeWritable(i, addr, size);
    }

    // ---- Memory: loads and stores
    // -----------------------------------------------------------------------
    //
    // The generated code inlines these into methods of thousands of bytecodes, where C2 stops
    // inlining once the method and what it inlined reach 8,000 bytecodes (DesiredMethodLimit): the
    // smaller an accessor, the more of a method's accesses are inlined rather than called
    // (docs/performance.md, "Lever 3", round 2). So each accessor is only its fast path, in
    // ByteArrayMemory's shape: an access inside one page, its page found without a bounds test of
    // ours (an address outside the memory finds no page, or none in the array, and the caught
    // exception reports it), everything else in a separate method.

    @Override
    public byte read(int addr) {
        try {
            return readable[addr >>> shift][addr & mask];
        } catch (RuntimeException e) {
            throw outOfBounds(addr, 1);
        }
    }

    @Override
    public short readShort(int addr) {
        int off = addr & mask;
        if (off <= pageBytes - 2) {
            try {
                return (short) SHORT.get(readable[addr >>> shift], off);
            } catch (RuntimeException e) {
                throw outOfBounds(addr, 2);
            }
        }
        return readShortAcross(addr);
    }

    private short readShortAcross(int addr) {
        checkBounds(addr, 2);
        return (short) ((read(addr) & 0xFF) | (read(addr + 1) << 8));
    }

    @Override
    public long readU16(int addr) {
        return readShort(addr) & 0xFFFFL;
    }

    @Override
    public int readInt(int addr) {
        int off = addr & mask;
        if (off <= pageBytes - 4) {
            try {
                return (int) INT.get(readable[addr >>> shift], off);
            } catch (RuntimeException e) {
                throw outOfBounds(addr, 4);
            }
        }
        return readIntAcross(addr);
    }

    private int readIntAcross(int addr) {
        checkBounds(addr, 4);
        int v = 0;
        for (int k = 3; k >= 0; k--) {
            v = (v << 8) | (read(addr + k) & 0xFF);
        }
        return v;
    }

    @Override
    public long readLong(int addr) {
        int off = addr & mask;
        if (off <= pageBytes - 8) {
            try {
                return (long) LONG.get(readable[addr >>> shift], off);
            } catch (RuntimeException e) {
                throw outOfBounds(addr, 8);
            }
        }
        return readLongAcross(addr);
    }

    private long readLongAcross(int addr) {
        checkBounds(addr, 8);
        long v = 0;
        for (int k = 7; k >= 0; k--) {
            v = (v << 8) | (read(addr + k) & 0xFFL);
        }
        return v;
    }

    @Override
    public float readFloat(int addr) {
        int off = addr & mask;
        if (off <= pageBytes - 4) {
            try {
                return (float) FLOAT.get(readable[addr >>> shift], off);
            } catch (RuntimeException e) {
                throw outOfBounds(addr, 4);
            }
        }
        return Float.intBitsToFloat(readIntAcross(addr));
    }

    @Override
    public long readF32(int addr) {
        return readInt(addr); // sign-extended, as ByteArrayMemory does
    }

    @Override
    public double readDouble(int addr) {
        int off = addr & mask;
        if (off <= pageBytes - 8) {
            try {
                return (double) DOUBLE.get(readable[addr >>> shift], off);
            } catch (RuntimeException e) {
                throw outOfBounds(addr, 8);
            }
        }
        return Double.longBitsToDouble(readLongAcross(addr));
    }

    @Override
    public long readF64(int addr) {
        return readLong(addr);
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        checkBounds(addr, len);
        byte[] out = new byte[len];
        int done = 0;
        while (done < len) {
            int a = addr + done;
            int off = a & mask;
            int chunk = Math.min(len - done, pageBytes - off);
            System.arraycopy(readable[a >>> shift], off, out, done, chunk);
            done += chunk;
        }
        return out;
    }

    // A store finds its page in writable[]; no page there (not written yet this epoch, or outside
    // the memory) sends it to the slow path, which copies the page or reports the address. An
    // address past the largest memory is past writable[] too: the caught exception sends it there
    // as well.

    @Override
    public void writeByte(int addr, byte data) {
        try {
            byte[] page = writable[addr >>> shift];
            if (page != null) {
                page[addr & mask] = data;
                return;
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            // outside any memory: makeWritable reports it
        }
        makeWritable(addr >>> shift, addr, 1)[addr & mask] = data;
    }

    @Override
    public void writeShort(int addr, short data) {
        int off = addr & mask;
        if (off <= pageBytes - 2) {
            try {
                byte[] page = writable[addr >>> shift];
                if (page != null) {
                    SHORT.set(page, off, data);
                    return;
                }
            } catch (ArrayIndexOutOfBoundsException e) {
                // outside any memory: the slow path reports it
            }
        }
        writeShortSlow(addr, data);
    }

    private void writeShortSlow(int addr, short data) {
        int off = addr & mask;
        if (off <= pageBytes - 2) {
            SHORT.set(makeWritable(addr >>> shift, addr, 2), off, data);
            return;
        }
        checkBounds(addr, 2);
        writeByte(addr, (byte) data);
        writeByte(addr + 1, (byte) (data >>> 8));
    }

    @Override
    public void writeI32(int addr, int data) {
        int off = addr & mask;
        if (off <= pageBytes - 4) {
            try {
                byte[] page = writable[addr >>> shift];
                if (page != null) {
                    INT.set(page, off, data);
                    return;
                }
            } catch (ArrayIndexOutOfBoundsException e) {
                // outside any memory: the slow path reports it
            }
        }
        writeI32Slow(addr, data);
    }

    private void writeI32Slow(int addr, int data) {
        int off = addr & mask;
        if (off <= pageBytes - 4) {
            INT.set(makeWritable(addr >>> shift, addr, 4), off, data);
            return;
        }
        checkBounds(addr, 4);
        for (int k = 0; k < 4; k++) {
            writeByte(addr + k, (byte) (data >>> (8 * k)));
        }
    }

    @Override
    public void writeLong(int addr, long data) {
        int off = addr & mask;
        if (off <= pageBytes - 8) {
            try {
                byte[] page = writable[addr >>> shift];
                if (page != null) {
                    LONG.set(page, off, data);
                    return;
                }
            } catch (ArrayIndexOutOfBoundsException e) {
                // outside any memory: the slow path reports it
            }
        }
        writeLongSlow(addr, data);
    }

    private void writeLongSlow(int addr, long data) {
        int off = addr & mask;
        if (off <= pageBytes - 8) {
            LONG.set(makeWritable(addr >>> shift, addr, 8), off, data);
            return;
        }
        checkBounds(addr, 8);
        for (int k = 0; k < 8; k++) {
            writeByte(addr + k, (byte) (data >>> (8 * k)));
        }
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
    public void write(int addr, byte[] data, int offset, int size) {
        if (offset < 0 || size < 0 || (long) offset + size > data.length) {
            throw new WasmRuntimeException(
                    "out of bounds memory access: attempted to access address: "
                            + offset
                            + " but limit is: "
                            + data.length
                            + " and size: "
                            + size);
        }
        checkBounds(addr, size);
        int done = 0;
        while (done < size) {
            int a = addr + done;
            int off = a & mask;
            int chunk = Math.min(size - done, pageBytes - off);
            System.arraycopy(data, offset + done, writePage(a, chunk), off, chunk);
            done += chunk;
        }
    }

    @Override
    public void zero() {
        if (restoring) {
            return;
        }
        fill((byte) 0, 0, (int) sizeInBytes());
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        int size = toIndex - fromIndex;
        checkBounds(fromIndex, size);
        int done = 0;
        while (done < size) {
            int a = fromIndex + done;
            int off = a & mask;
            int chunk = Math.min(size - done, pageBytes - off);
            Arrays.fill(writePage(a, chunk), off, off + chunk, value);
            done += chunk;
        }
    }

    @Override
    public void copy(int dest, int src, int size) {
        checkBounds(src, size);
        checkBounds(dest, size);
        if (dest <= src) {
            // Low to high: a chunk only overwrites bytes below the part of the source still to
            // read.
            int done = 0;
            while (done < size) {
                int s = src + done;
                int d = dest + done;
                int chunk =
                        Math.min(
                                size - done,
                                Math.min(pageBytes - (s & mask), pageBytes - (d & mask)));
                byte[] to = writePage(d, chunk);
                System.arraycopy(readable[s >>> shift], s & mask, to, d & mask, chunk);
                done += chunk;
            }
        } else {
            // High to low, for the mirror-image reason.
            int left = size;
            while (left > 0) {
                int s = src + left - 1;
                int d = dest + left - 1;
                int chunk = Math.min(left, Math.min((s & mask) + 1, (d & mask) + 1));
                byte[] to = writePage(d, chunk);
                System.arraycopy(
                        readable[s >>> shift],
                        (s & mask) - chunk + 1,
                        to,
                        (d & mask) - chunk + 1,
                        chunk);
                left -= chunk;
            }
        }
    }
}
