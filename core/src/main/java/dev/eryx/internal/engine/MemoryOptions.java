package dev.eryx.internal.engine;

import java.util.Objects;

/**
 * How a guest's linear memory is built. The default is {@link PagedMemory} with {@link
 * PagedMemory#DEFAULT_PAGE_SHIFT}-sized pages, the heap check of {@link
 * HeapAllowance#defaultHeadroom()} and a journal of at most {@link #DEFAULT_MAX_JOURNAL_BYTES};
 * {@link Layout#FLAT} trades memory for cheaper loads and stores; Chicory's own {@code
 * ByteArrayMemory} exists only to measure against (no copy-on-write, no rollback, no heap check).
 */
public final class MemoryOptions {
    /** The data structure behind a guest's linear memory. */
    public enum Layout {
        /** {@link PagedMemory}: pages shared with the image until written (the default). */
        PAGED,
        /** {@link FlatMemory}: one private array per sandbox, 16 KiB pages only. */
        FLAT,
        /** Chicory's {@code ByteArrayMemory}: measurements only. */
        CHICORY_BYTE_ARRAY
    }

    /**
     * The most memory one execution's journal may hold (copies of pages it overwrote). An execution
     * that rewrites more of its earlier memory than this cannot be rolled back; a hard stop then
     * poisons the sandbox as before. Bounds the journal far below a 2x of the cap.
     */
    public static final long DEFAULT_MAX_JOURNAL_BYTES = 64L << 20;

    private final Layout layout;
    private final int pageShift;
    private final long maxJournalBytes;
    private final HeapAllowance heapAllowance;

    private MemoryOptions(Builder b) {
        if (b.layout == Layout.FLAT && b.pageShift != FlatMemory.PAGE_SHIFT) {
            throw new IllegalArgumentException(
                    "the flat layout tracks 16 KiB pages only (shift "
                            + FlatMemory.PAGE_SHIFT
                            + "): "
                            + b.pageShift);
        }
        this.layout = b.layout;
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
        return layout == Layout.CHICORY_BYTE_ARRAY;
    }

    public Layout layout() {
        return layout;
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
        switch (layout) {
            case CHICORY_BYTE_ARRAY:
                return "ByteArrayMemory";
            case FLAT:
                return "FlatMemory";
            default:
                return "PagedMemory(" + (1 << pageShift) / 1024 + " KiB pages)";
        }
    }

    public static final class Builder {
        private Layout layout = Layout.PAGED;
        private int pageShift = PagedMemory.DEFAULT_PAGE_SHIFT;
        private long maxJournalBytes = DEFAULT_MAX_JOURNAL_BYTES;
        private HeapAllowance heapAllowance = HeapAllowance.defaultHeadroom();

        private Builder() {}

        /** Use Chicory's ByteArrayMemory instead (measurements only). */
        public Builder chicoryByteArray(boolean use) {
            this.layout = use ? Layout.CHICORY_BYTE_ARRAY : Layout.PAGED;
            return this;
        }

        public Builder layout(Layout layout) {
            this.layout = Objects.requireNonNull(layout, "layout");
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
