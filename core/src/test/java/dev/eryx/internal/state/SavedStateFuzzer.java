package dev.eryx.internal.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.eryx.internal.engine.GuestInstance;
import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.vfs.NodeType;
import dev.eryx.internal.vfs.TreeEntry;
import dev.eryx.internal.vfs.Vfs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of saved-state decoding (docs/fuzzing.md), the bytes a host may take from
 * anywhere and pass to {@code Sandbox.Builder.restoreFrom}.
 *
 * <p>A random byte string fails the checksum, so most inputs are framed by the test: the fuzzer
 * writes the inflated payload (or the compressed one) and the test adds a valid header, and
 * sometimes a signature (the {@code stateKey} path: unsigned, tampered or foreign-key states must
 * be refused, a well-signed one decodes as its unsigned twin). What must hold: the only exception
 * is IllegalArgumentException (the documented one); decoding allocates in proportion to the bytes
 * actually present, never to what the state claims; and what decodes restores into a filesystem and
 * re-encodes to a state that decodes to the same interpreter and tree.
 *
 * <p>Everything specific to the format (framing, payload layout, the decode call) is in the
 * "adapter" section below: switching to another format version changes only that section.
 */
class SavedStateFuzzer {
    private static final int PAGE = 65536;

    /** Headroom over the input's own size: stream buffers, the result's lists, a page rounding. */
    private static final long ALLOCATION_SLACK = 8L << 20;

    /**
     * Limits far above the inputs' sizes, so that only the bytes present can stop a claim (a 1 GiB
     * memory or file claim passes the limit checks and must be refused as implausible).
     */
    private static final long MAX_MEMORY_BYTES = 4L << 30;

    private static final long MAX_VFS_BYTES = 1L << 30;

    private static final byte[] KEY =
            "fuzzing-state-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER_KEY =
            "another-state-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @FuzzTest(maxDuration = "5m")
    void decodeHostileState(FuzzedDataProvider data) {
        int mode = data.consumeInt(0, 3);
        int variant = mode == 3 ? data.consumeInt(0, 3) : 0;
        int tamperAt = mode == 3 ? data.consumeInt(0, 65535) : 0;
        byte[] body = data.consumeRemainingAsBytes();
        if (mode == 3) {
            checkSigned(body, variant, tamperAt);
            return;
        }
        byte[] state =
                switch (mode) {
                    case 0 -> body; // the whole state as given: the header's checks
                    case 1 -> frame(deflate(body), null); // a payload, compressed and framed here
                    default ->
                            frame(body, null); // a compressed stream as given: the inflater's path
                };
        SavedState decoded = decodeBounded(state, mode == 1 ? body : null, null);
        if (decoded != null) {
            checkRoundTrip(decoded);
        }
    }

    /**
     * The signed path, for a compressed stream as given: framed unsigned (variant 0), signed and
     * then altered at one byte (1), signed with another key (2), or signed with the key (3), and
     * decoded with the key. Signature checks come before inflation, so the stream need not be
     * valid.
     */
    private static void checkSigned(byte[] compressed, int variant, int tamperAt) {
        switch (variant) {
            case 0 -> refused(frame(compressed, null), "not signed");
            case 1 -> {
                byte[] state = frame(compressed, KEY);
                state[tamperAt % state.length] ^= (byte) (1 + (tamperAt >>> 8) % 255);
                refused(state, null);
            }
            case 2 -> refused(frame(compressed, OTHER_KEY), "signature does not match");
            default -> {
                SavedState signed = decodeBounded(frame(compressed, KEY), null, KEY);
                SavedState unsigned;
                try {
                    unsigned = decode(frame(compressed, null), null);
                } catch (IllegalArgumentException e) {
                    assertTrue(signed == null, "signed state decoded, its unsigned twin did not");
                    return;
                }
                assertNotNull(signed, "unsigned state decoded, its signed twin did not");
                assertTrue(signed.signed() && !unsigned.signed());
                assertSameContents(unsigned, signed);
            }
        }
    }

    private static void refused(byte[] state, String reason) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> decode(state, KEY));
        assertNotNull(e.getMessage());
        assertTrue(reason == null || e.getMessage().contains(reason), e.getMessage());
    }

    /**
     * Decodes {@code state}, checking that only IllegalArgumentException escapes and that the
     * allocation stays bounded by the bytes present.
     *
     * @param payload the inflated payload when the test made it, else null (inflated here)
     * @return the decoded state, or null when it was refused
     */
    private static SavedState decodeBounded(byte[] state, byte[] payload, byte[] key) {
        byte[] compressed = compressedPart(state);
        byte[] inflated = payload != null ? payload : inflatePrefix(compressed, 64 << 20);
        // A claim within zlib's largest ratio of the compressed bytes is allocated before the
        // bytes are read (a truncated stream then fails): that is the decoder's bound, and for
        // the inputs a campaign makes (a few KiB) it stays within the slack.
        long present = Math.max(inflated.length, plausibleBytes(compressed.length));
        long bound = 4 * Math.min(present, MAX_MEMORY_BYTES + MAX_VFS_BYTES) + ALLOCATION_SLACK;
        long[] allocated = new long[1];
        SavedState decoded = decodeMeasured(state, key, allocated);
        if (DECODE_BOUNDS_ALLOCATION && allocated[0] > bound) {
            // The first run of a path may load classes on this thread, which Jazzer's agent
            // instruments (tens of MiB, counted as this thread's): measure a second run.
            decoded = decodeMeasured(state, key, allocated);
            assertTrue(
                    allocated[0] <= bound,
                    "decoding a state of "
                            + inflated.length
                            + " inflated bytes allocated "
                            + allocated[0]);
        }
        return decoded;
    }

    /** {@link #decode}, or null when refused; sets {@code allocated[0]} to what it allocated. */
    private static SavedState decodeMeasured(byte[] state, byte[] key, long[] allocated) {
        long before = allocatedBytes();
        try {
            return decode(state, key);
        } catch (IllegalArgumentException expected) {
            assertNotNull(expected.getMessage());
            return null;
        } finally {
            allocated[0] = allocatedBytes() - before;
        }
    }

    /** The adapter frames states the decoder accepts, so the fuzzer gets past the header. */
    @Test
    void aFramedPayloadDecodes() {
        byte[] memory = new byte[PAGE];
        memory[17] = 42;
        InterpreterState interpreter = GuestInstance.stateOf(memory, new long[] {7});
        Vfs vfs = Vfs.builder().build();
        vfs.restoreMemoryTree(
                List.of(
                        TreeEntry.directory(0, "tmp", 1, 2),
                        TreeEntry.file(1, "f", new byte[] {1, 2, 3}, 3, 4),
                        TreeEntry.symlink(1, "loop", "/tmp", 5, 6)),
                Set.of());
        byte[] encoded = SavedState.encode(interpreter, vfs, null);
        SavedState first = decode(frame(compressedPart(encoded), null), null);
        assertEquals(42, GuestInstance.memoryOf(first.interpreter())[17]);
        assertEquals(3, first.tree().size());
        assertEquals("/tmp", first.tree().get(2).target());
        checkRoundTrip(first);
        // the signed path: the adapter's signature is the encoder's, and what it must refuse
        byte[] signed = frame(compressedPart(encoded), KEY);
        assertArrayEquals(SavedState.encode(interpreter, vfs, KEY), signed);
        assertSameContents(first, decode(signed, KEY));
        refused(frame(compressedPart(encoded), null), "not signed");
        refused(frame(compressedPart(encoded), OTHER_KEY), "signature does not match");
    }

    /**
     * What decodes is a tree of valid names, restores into a filesystem (or is refused there with
     * the documented exception, as {@code build()} would), and re-encodes, signed, to a state that
     * decodes to the same contents.
     */
    private static void checkRoundTrip(SavedState decoded) {
        byte[] memory = GuestInstance.memoryOf(decoded.interpreter());
        assertTrue(memory.length > 0 && memory.length % PAGE == 0, "memory of " + memory.length);
        List<TreeEntry> tree = decoded.tree();
        for (int i = 0; i < tree.size(); i++) {
            TreeEntry entry = tree.get(i);
            assertTrue(entry.parent() <= i, "entry " + (i + 1) + " has a later parent");
            assertTrue(
                    entry.parent() == 0
                            || tree.get(entry.parent() - 1).type() == NodeType.DIRECTORY,
                    "entry " + (i + 1) + " has a parent that is no directory");
            String name = entry.name();
            assertTrue(
                    !name.isEmpty()
                            && !name.equals(".")
                            && !name.equals("..")
                            && name.indexOf('/') < 0
                            && name.indexOf('\0') < 0,
                    name);
        }
        Vfs vfs = Vfs.builder().maxBytes(MAX_VFS_BYTES).build();
        try {
            vfs.restoreMemoryTree(tree, Set.of());
        } catch (IllegalArgumentException refused) {
            assertNotNull(refused.getMessage());
            return;
        }
        SavedState again = decode(SavedState.encode(decoded.interpreter(), vfs, KEY), KEY);
        assertSameContents(decoded, again);
    }

    /**
     * The same globals, memory and tree (by path: a re-encoded tree may list it in another order).
     */
    private static void assertSameContents(SavedState expected, SavedState actual) {
        assertArrayEquals(
                GuestInstance.globalsOf(expected.interpreter()),
                GuestInstance.globalsOf(actual.interpreter()));
        assertArrayEquals(
                GuestInstance.memoryOf(expected.interpreter()),
                GuestInstance.memoryOf(actual.interpreter()));
        Map<String, TreeEntry> want = byPath(expected.tree());
        Map<String, TreeEntry> got = byPath(actual.tree());
        assertEquals(want.keySet(), got.keySet());
        for (Map.Entry<String, TreeEntry> e : want.entrySet()) {
            TreeEntry a = e.getValue();
            TreeEntry b = got.get(e.getKey());
            assertEquals(a.type(), b.type(), e.getKey());
            assertArrayEquals(a.content(), b.content(), e.getKey());
            assertEquals(a.target(), b.target(), e.getKey());
            assertEquals(a.accessTimeNanos(), b.accessTimeNanos(), e.getKey());
            assertEquals(a.modifyTimeNanos(), b.modifyTimeNanos(), e.getKey());
        }
    }

    private static Map<String, TreeEntry> byPath(List<TreeEntry> tree) {
        String[] paths = new String[tree.size() + 1];
        paths[0] = "";
        Map<String, TreeEntry> byPath = new HashMap<>();
        for (int i = 0; i < tree.size(); i++) {
            TreeEntry entry = tree.get(i);
            paths[i + 1] = paths[entry.parent()] + "/" + entry.name();
            if (byPath.put(paths[i + 1], entry) != null) {
                fail("two entries at " + paths[i + 1]);
            }
        }
        return byPath;
    }

    private static long allocatedBytes() {
        return THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    private static byte[] deflate(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream deflater = new DeflaterOutputStream(out)) {
            deflater.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Up to {@code limit} inflated bytes of {@code compressed} (as far as it is valid). */
    private static byte[] inflatePrefix(byte[] compressed, int limit) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InflaterInputStream in =
                new InflaterInputStream(new ByteArrayInputStream(compressed))) {
            byte[] buffer = new byte[8192];
            int n;
            while (out.size() < limit && (n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
            }
        } catch (IOException corrupt) {
            // what was inflated before the corruption is what the decoder sees too
        }
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- adapter: format version 2

    /**
     * Whether the decoder bounds what it allocates by the bytes present. Version 2 does (issue 15,
     * item 3): it refuses claims its compressed bytes cannot back and checks sizes before
     * allocating.
     */
    static final boolean DECODE_BOUNDS_ALLOCATION = true;

    /** The decoder under test, under limits far above any input. */
    static SavedState decode(byte[] state, byte[] key) {
        return SavedState.decode(
                state, new SavedState.Limits(MAX_MEMORY_BYTES, MAX_VFS_BYTES, -1), key);
    }

    /**
     * The most inflated bytes the decoder lets {@code compressed} bytes claim: zlib's largest ratio
     * (1032:1) plus a page and a little (docs/saved-state.md, "Decoding hostile bytes").
     */
    static long plausibleBytes(long compressed) {
        return 1032 * compressed + PAGE + 1024;
    }

    /** The compressed payload of a framed state (empty when too short to have one). */
    static byte[] compressedPart(byte[] state) {
        int header = SavedState.HEADER_BYTES;
        boolean signed = state.length > 11 && (state[11] & SavedState.FLAG_SIGNED) != 0;
        int end = state.length - (signed ? SavedState.MAC_BYTES : 0);
        return end <= header ? new byte[0] : java.util.Arrays.copyOfRange(state, header, end);
    }

    /**
     * A valid header (this build's identity, length and checksum) before {@code compressed}, and an
     * HMAC-SHA256 trailer under {@code key} when it is not null.
     */
    static byte[] frame(byte[] compressed, byte[] key) {
        CRC32 crc = new CRC32();
        crc.update(compressed);
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(whole)) {
            out.write("ERYXSTAT".getBytes(StandardCharsets.US_ASCII));
            out.writeShort(SavedState.FORMAT_VERSION);
            out.writeShort(key != null ? SavedState.FLAG_SIGNED : 0);
            out.write(ModuleIdentity.current());
            out.writeLong(compressed.length);
            out.writeInt((int) crc.getValue());
            out.write(compressed);
            out.flush();
            if (key != null) {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
                out.write(mac.doFinal(whole.toByteArray()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
        return whole.toByteArray();
    }
}
