package dev.eryx.internal.engine;

/**
 * An immutable linear-memory image cut into pages of {@code 1 << pageShift} bytes. Every {@link
 * PagedMemory} restored from it reads these arrays directly until it first writes a page
 * (copy-on-write), so any number of sandboxes hold one copy of the unchanged pages.
 *
 * <p>The arrays are never written after construction: {@link PagedMemory} copies a page before its
 * first write, and nothing else sees them.
 */
final class SharedPages {
    private final int pageShift;
    private final byte[][] pages;
    private final int wasmPages;

    private SharedPages(int pageShift, byte[][] pages, int wasmPages) {
        this.pageShift = pageShift;
        this.pages = pages;
        this.wasmPages = wasmPages;
    }

    /** An image of {@code bytes} (a whole number of wasm pages), copied into pages. */
    static SharedPages of(byte[] bytes, int pageShift) {
        PagedMemory.checkPageShift(pageShift);
        if (bytes.length % PagedMemory.WASM_PAGE_BYTES != 0) {
            throw new IllegalArgumentException(
                    "memory image is not a whole number of pages: " + bytes.length);
        }
        int pageBytes = 1 << pageShift;
        byte[][] pages = new byte[bytes.length >>> pageShift][];
        for (int i = 0; i < pages.length; i++) {
            byte[] page = new byte[pageBytes];
            System.arraycopy(bytes, i << pageShift, page, 0, pageBytes);
            pages[i] = page;
        }
        return new SharedPages(pageShift, pages, bytes.length / PagedMemory.WASM_PAGE_BYTES);
    }

    /** Takes ownership of {@code pages}: the caller must not keep or write them. */
    static SharedPages adopt(byte[][] pages, int pageShift, int wasmPages) {
        return new SharedPages(pageShift, pages, wasmPages);
    }

    int pageShift() {
        return pageShift;
    }

    int wasmPages() {
        return wasmPages;
    }

    int pageCount() {
        return pages.length;
    }

    /** Page {@code index}; shared, never to be written. */
    byte[] page(int index) {
        return pages[index];
    }

    long bytes() {
        return (long) wasmPages * PagedMemory.WASM_PAGE_BYTES;
    }

    /** The whole image as one array (a copy). */
    byte[] toBytes() {
        byte[] out = new byte[Math.toIntExact(bytes())];
        for (int i = 0; i < pages.length; i++) {
            System.arraycopy(pages[i], 0, out, i << pageShift, pages[i].length);
        }
        return out;
    }

    /**
     * The same content cut into pages of another size (for measuring page sizes against each
     * other).
     */
    SharedPages withPageShift(int newShift) {
        return newShift == pageShift ? this : of(toBytes(), newShift);
    }
}
