package dev.eryx.internal.engine;

import com.dylibso.chicory.runtime.Memory;

/**
 * A guest memory that can be restored from an image, rolled back to the start of an execution and
 * reset to its image: what {@link GuestInstance} needs beyond Chicory's {@link Memory}. {@link
 * PagedMemory} implements it (docs/performance.md "Guest memory"); a second layout, one array per
 * sandbox, was measured behind it and removed ("Round 2 (issue 19)", lever 3).
 *
 * <p>Threads: the guest thread does everything, except {@link #writeI32Shared} on an address passed
 * to {@link #prepareWrite} in the current epoch, by another thread holding the same lock as every
 * call to {@link #beginEpoch}, {@link #rollback} and {@link #resetToImage}.
 */
public interface JournaledMemory extends Memory {

    /** Starts journaling: from now on, {@link #rollback()} returns to the memory as it is now. */
    void beginEpoch();

    /** Whether {@link #rollback()} can restore the start of the current epoch. */
    boolean canRollback();

    /**
     * Puts back every page written since {@link #beginEpoch()} and shrinks to the size then.
     *
     * @return false (and nothing changed) if there is no epoch or its journal was abandoned
     */
    boolean rollback();

    /**
     * Returns to the image this memory was restored from (size included) and ends journaling.
     *
     * @throws IllegalStateException if the memory was not restored from an image
     */
    void resetToImage();

    /**
     * Makes {@code [addr, addr + size)} writable for the rest of the epoch without the slow path.
     */
    void prepareWrite(int addr, int size);

    /**
     * A store from a thread other than the guest's, to an address prepared by {@link
     * #prepareWrite}.
     */
    void writeI32Shared(int addr, int value);

    /** Bytes this memory holds privately (not shared with its image), journal excluded. */
    long ownedBytes();

    /** Pages written since the epoch began. */
    int pagesWrittenThisEpoch();

    /** Bytes of page copies the current epoch's journal holds. */
    long journalBytes();

    /** The granularity of copy-on-write and of the journal, in bytes. */
    int pageBytes();

    /** Whether the guest was refused memory (its cap, or the JVM heap) since the epoch began. */
    boolean growthRefused();

    /** The high-water mark of the size since creation or the last reset, in bytes. */
    long peakBytes();

    /** Ends instantiation: from now on {@link #zero()} and {@link #initialize} do what they say. */
    void instantiated();

    /** Whether this memory was restored from {@code candidate} (the very object). */
    boolean isOver(SharedPages candidate);

    /** The contents as an immutable image (copies: this memory keeps writing its own). */
    SharedPages toImage();
}
