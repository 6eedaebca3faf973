package dev.eryx.internal.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.engine.GuestInstance;
import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.vfs.DirectoryNode;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.TreeEntry;
import dev.eryx.internal.vfs.Vfs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * The codec on its own, without an interpreter: a small state round-trips through a {@link Vfs},
 * however deep its tree, and mutated bytes (with the checksum fixed up, so they reach the payload)
 * fail only with {@link IllegalArgumentException}.
 */
class SavedStateCodecTest {
    private static final SavedState.Limits LIMITS = new SavedState.Limits(1 << 20, 1 << 20, 3);
    private static final byte[] KEY = "a key of sixteen+ bytes".getBytes(StandardCharsets.UTF_8);

    private static InterpreterState interpreter() {
        byte[] memory = new byte[65536];
        memory[100] = 42;
        return GuestInstance.stateOf(memory, new long[] {1, 2, 3});
    }

    private static Vfs sample(int depth) {
        Vfs vfs = Vfs.builder().maxBytes(1 << 20).build();
        vfs.mkdirs("/tmp/a");
        vfs.writeFile("/tmp/a/f.txt", "hello".getBytes(StandardCharsets.UTF_8));
        vfs.root().lookup("tmp");
        DirectoryNode tmp = (DirectoryNode) vfs.root().lookup("tmp");
        tmp.createSymlink("loop", "/tmp");
        tmp.createSymlink("dangling", "/nowhere");
        DirectoryNode dir = tmp;
        for (int i = 0; i < depth; i++) { // deeper than any path walk may go
            dir = dir.createDirectory("d");
        }
        dir.createFile("deepest");
        return vfs;
    }

    private static List<TreeEntry> listing(Vfs vfs) {
        List<TreeEntry> entries = new ArrayList<>();
        vfs.walkMemoryTree(entries::add);
        return entries;
    }

    @Test
    void aTreeDeeperThanPathsMayGoRoundTripsWithItsSymlinks() {
        Vfs original = sample(Vfs.MAX_DEPTH + 100);
        byte[] bytes = SavedState.encode(interpreter(), original, KEY);
        SavedState decoded = SavedState.decode(bytes, LIMITS, KEY);
        assertEquals(42, GuestInstance.memoryOf(decoded.interpreter())[100]);
        assertArrayEquals(new long[] {1, 2, 3}, GuestInstance.globalsOf(decoded.interpreter()));
        assertTrue(decoded.signed());
        List<TreeEntry> saved = listing(original);
        assertEquals(saved.size(), decoded.tree().size());
        Vfs restored = Vfs.builder().maxBytes(1 << 20).build();
        restored.restoreMemoryTree(decoded.tree(), Set.of());
        List<TreeEntry> again = listing(restored);
        assertEquals(saved.size(), again.size());
        for (int i = 0; i < saved.size(); i++) {
            TreeEntry a = saved.get(i);
            TreeEntry b = again.get(i);
            assertEquals(a.parent(), b.parent());
            assertEquals(a.name(), b.name());
            assertEquals(a.type(), b.type());
            assertEquals(a.target(), b.target());
            assertEquals(a.modifyTimeNanos(), b.modifyTimeNanos());
            if (a.type() == NodeType.REGULAR_FILE) {
                assertArrayEquals(a.content(), b.content());
            }
        }
        assertEquals(
                "/tmp", ((dev.eryx.internal.vfs.SymlinkNode) lookup(restored, "loop")).target());
    }

    private static Object lookup(Vfs vfs, String name) {
        return ((DirectoryNode) vfs.root().lookup("tmp")).lookup(name);
    }

    @Test
    void theRestoreRespectsTheQuotaAndTheSkippedPaths() {
        SavedState decoded =
                SavedState.decode(SavedState.encode(interpreter(), sample(3), null), LIMITS, null);
        Vfs tooSmall = Vfs.builder().maxBytes(3).build();
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> tooSmall.restoreMemoryTree(decoded.tree(), Set.of()));
        assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
        Vfs skipping = Vfs.builder().maxBytes(1 << 20).build();
        skipping.restoreMemoryTree(decoded.tree(), Set.of("/tmp/a"));
        assertTrue(skipping.exists("/tmp/d"));
        assertTrue(!skipping.exists("/tmp/a"));
    }

    @Test
    void mutatedBytesFailOnlyWithIllegalArgumentException() {
        byte[] state = SavedState.encode(interpreter(), sample(20), null);
        Random random = new Random(15);
        int refused = 0;
        for (int round = 0; round < 800; round++) {
            byte[] mutated = mutate(state, random);
            if (random.nextBoolean() && mutated.length >= SavedState.HEADER_BYTES) {
                fixCrc(mutated);
            }
            try {
                SavedState.decode(mutated, LIMITS, random.nextInt(4) == 0 ? KEY : null);
            } catch (IllegalArgumentException expected) {
                refused++;
            }
        }
        assertTrue(refused > 500, refused + " refused");
    }

    private static byte[] mutate(byte[] state, Random random) {
        byte[] copy = state.clone();
        switch (random.nextInt(6)) {
            case 4, 5 -> {
                return mutateInflated(state, random);
            }
            case 0 -> copy[random.nextInt(copy.length)] ^= (byte) (1 << random.nextInt(8));
            case 1 -> {
                for (int i = 0; i < 8; i++) {
                    copy[
                                    SavedState.HEADER_BYTES
                                            + random.nextInt(
                                                    copy.length - SavedState.HEADER_BYTES)] =
                            (byte) random.nextInt();
                }
            }
            case 2 -> copy = java.util.Arrays.copyOf(copy, random.nextInt(copy.length));
            default -> copy[random.nextInt(SavedState.HEADER_BYTES)] = (byte) random.nextInt();
        }
        return copy;
    }

    /** Mutates the inflated sections and packs them again: reaches the section parser. */
    private static byte[] mutateInflated(byte[] state, Random random) {
        try {
            byte[] raw =
                    new java.util.zip.InflaterInputStream(
                                    new java.io.ByteArrayInputStream(
                                            state,
                                            SavedState.HEADER_BYTES,
                                            state.length - SavedState.HEADER_BYTES))
                            .readAllBytes();
            int changes = 1 + random.nextInt(3);
            for (int i = 0; i < changes; i++) {
                // Mostly the sections' headers and small fields, past the memory image.
                int at =
                        random.nextBoolean()
                                ? random.nextInt(Math.min(raw.length, 64))
                                : raw.length - 1 - random.nextInt(Math.min(raw.length, 4096));
                raw[at] = (byte) (random.nextBoolean() ? random.nextInt() : raw[at] ^ 0x80);
            }
            java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream();
            try (java.util.zip.DeflaterOutputStream out =
                    new java.util.zip.DeflaterOutputStream(compressed)) {
                out.write(raw);
            }
            byte[] payload = compressed.toByteArray();
            ByteBuffer b = ByteBuffer.allocate(SavedState.HEADER_BYTES + payload.length);
            b.put(state, 0, SavedState.HEADER_BYTES).put(payload);
            byte[] result = b.array();
            ByteBuffer.wrap(result).putLong(SavedState.HEADER_BYTES - 12, payload.length);
            fixCrc(result);
            return result;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void fixCrc(byte[] state) {
        long payload = ByteBuffer.wrap(state).getLong(SavedState.HEADER_BYTES - 12);
        if (payload < 0 || payload > state.length - SavedState.HEADER_BYTES) {
            return;
        }
        CRC32 crc = new CRC32();
        crc.update(state, SavedState.HEADER_BYTES, (int) payload);
        ByteBuffer.wrap(state).putInt(SavedState.HEADER_BYTES - 4, (int) crc.getValue());
    }
}
