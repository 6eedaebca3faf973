package dev.eryx.internal.engine;

import java.util.Objects;

/**
 * How a guest's linear memory is built. The default is {@link PagedMemory} with {@link
 * PagedMemory#DEFAULT_PAGE_SHIFT}-sized pages, the heap check of {@link
 * HeapAllowance#defaultHeadroom()} and a journal of at most {@link #DEFAULT_MAX_JOURNAL_BYTES};
 * Chicory's own {@code ByteArrayMemory} exists only to measure against (no copy-on-write, no
 * rollback, no heap check).
 */
public final class MemoryOptions {
    /**
     * The most memory one execution's journal may hold (copies of pages it overwrote). An execution
     * that rewrites more of its earlier memory than this cannot be rolled back; a hard stop then
     * poisons the sandbox as before. Bounds the journal far below a 2x of the cap.
     */
    public static final long DEFAULT_MAX_JOURNAL_BYTES = 64L << 20;

    private final boolean chicoryByteArray;
    private final int pageShift;
    private final long maxJournalBytes;
    private final HeapAllowance heapAllowance;

    private MemoryOptions(Builder b) {
        this.chicoryByteArray = b.chicoryByteArray;
        this.pageShift = b.pageShift;
        this.maxJournalBytes = b.maxJournalBytes;
        this.heapAllowance = b.heapAllowance;
    }

    public static MemoryOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean chicoryByteArray() {
        return chicoryByteArray;
    }

    public int pageShift() {
        return pageShift;
    }

    public long maxJournalBytes() {
        return maxJournalBytes;
    }

    public HeapAllowance heapAllowance() {
        return heapAllowance;
    }

    @Override
    public String toString() {
        return chicoryByteArray
                ? "ByteArrayMemory"
                : "PagedMemory(" + (1 << pageShift) / 1024 + " KiB pages)";
    }

    public static final class Builder {
        private boolean chicoryByteArray;
        private int pageShift = PagedMemory.DEFAULT_PAGE_SHIFT;
        private long maxJournalBytes = DEFAULT_MAX_JOURNAL_BYTES;
        private HeapAllowance heapAllowance = HeapAllowance.defaultHeadroom();

        private Builder() {}

        /** Use Chicory's ByteArrayMemory instead (measurements only). */
        public Builder chicoryByteArray(boolean use) {
            this.chicoryByteArray = use;
            return this;
        }

        /** Pages of {@code 1 << shift} bytes, 12 (4 KiB) to 16 (64 KiB). */
        public Builder pageShift(int shift) {
            PagedMemory.checkPageShift(shift);
            this.pageShift = shift;
            return this;
        }

        public Builder maxJournalBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("maxJournalBytes must be >= 0: " + bytes);
            }
            this.maxJournalBytes = bytes;
            return this;
        }

        public Builder heapAllowance(HeapAllowance allowance) {
            this.heapAllowance = Objects.requireNonNull(allowance, "allowance");
            return this;
        }

        public MemoryOptions build() {
            return new MemoryOptions(this);
        }
    }
}
