package dev.eryx.internal.vfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The quota bounds the host heap the guest can pin (found by the attack suite's vfsFill): nothing
 * the guest keeps may go uncharged.
 */
class VfsQuotaHardeningTest {
    private static Errno errnoOf(Runnable action) {
        return assertThrows(ErrnoException.class, action::run).errno();
    }

    private static FileNode file(Vfs vfs, String path) {
        return (FileNode) vfs.resolve(vfs.rootChain(), path, true).node();
    }

    @Test
    void anUnlinkedFileStaysChargedUntilItsLastClose() {
        Vfs vfs = Vfs.builder().maxBytes(100).build();
        vfs.writeFile("/held", new byte[80]);
        OpenFile first = file(vfs, "/held").open(false);
        OpenFile second = file(vfs, "/held").open(true);
        vfs.delete("/held");
        assertEquals(80, vfs.usedBytes(), "its bytes are still reachable through the descriptors");
        assertEquals(Errno.NOSPC, errnoOf(() -> vfs.writeFile("/other", new byte[30])));
        second.write(80, new byte[10], 0, 10); // growing it while unlinked is charged too
        assertEquals(90, vfs.usedBytes());
        first.close();
        first.close(); // idempotent: one descriptor's close counts once
        assertEquals(90, vfs.usedBytes());
        second.close();
        assertEquals(0, vfs.usedBytes());
        vfs.writeFile("/other", new byte[100]);
    }

    @Test
    void aFileReplacedByRenameWhileOpenStaysChargedUntilClosed() {
        Vfs vfs = Vfs.builder().maxBytes(100).build();
        vfs.writeFile("/a", new byte[10]);
        vfs.writeFile("/b", new byte[50]);
        try (OpenFile held = file(vfs, "/b").open(false)) {
            vfs.rename(
                    vfs.resolve(vfs.rootChain(), "/a", false),
                    vfs.resolve(vfs.rootChain(), "/b", false));
            assertEquals(60, vfs.usedBytes());
            assertEquals(50, held.size());
        }
        assertEquals(10, vfs.usedBytes());
    }

    @Test
    void entriesAreCappedEvenWhenTheyHoldNoBytes() {
        Vfs vfs = Vfs.builder().maxBytes(0).build();
        for (int i = 0; i < MemoryTree.MIN_ENTRIES - 1; i++) {
            vfs.root().createFile("f" + i);
        }
        vfs.root().createDirectory("last");
        assertEquals(Errno.NOSPC, errnoOf(() -> vfs.root().createFile("one-more")));
        assertEquals(Errno.NOSPC, errnoOf(() -> vfs.root().createDirectory("one-more")));
        assertEquals(Errno.NOSPC, errnoOf(() -> vfs.root().createSymlink("one-more", "")));
        vfs.delete("/f0");
        vfs.delete("/last");
        vfs.root().createFile("again");
        vfs.root().createDirectory("again-dir");
        assertEquals(Errno.NOSPC, errnoOf(() -> vfs.root().createFile("one-more")));
    }

    @Test
    void theEntryCapGrowsWithTheByteQuota() {
        Vfs vfs = Vfs.builder().maxBytes(4096 * MemoryTree.BYTES_PER_ENTRY).build();
        for (int i = 0; i < 4096; i++) {
            vfs.root().createDirectory("d" + i);
        }
        assertEquals(Errno.NOSPC, errnoOf(() -> vfs.root().createDirectory("one-more")));
    }
}
