package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Saved state as an attack surface (issue 15, items 2 and 3): a guest whose files make {@code
 * saveState()} explode, and bytes crafted to make {@code restoreFrom(...).build()} allocate what
 * they claim, pass as another key's, or downgrade to an older format. The crafted states carry
 * valid checksums, written here from the format in docs/saved-state.md, so only the decoder's own
 * checks stand in the way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SavedStateAttacksTest {
    private static final int HEADER = 56;
    private static final int IDENTITY_AT = 12;
    private static final int CRC_AT = 52;
    private static final int PAGE = 65536;

    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes();
    private static final byte[] OTHER_KEY = "fedcba9876543210fedcba9876543210".getBytes();

    private Bystander bystander;

    /** A plain state (x = 42) and the same signed with {@link #KEY}. */
    private byte[] plain;

    private byte[] signed;

    @BeforeAll
    void start() {
        bystander = new Bystander();
        try (Sandbox sandbox = Sandbox.builder().build()) {
            sandbox.execute("x = 42");
            plain = sandbox.saveState();
        }
        try (Sandbox sandbox = Sandbox.builder().stateKey(KEY).build()) {
            sandbox.execute("x = 42");
            signed = sandbox.saveState();
        }
    }

    @AfterAll
    void stop() {
        bystander.close();
    }

    // ------------------------------------------------------------------ item 2: saving

    @Test
    void symlinkLoopsAreSavedAsSymlinksNotWalked() {
        byte[][] state = new byte[1][];
        try (Sandbox attacked = Sandbox.builder().build()) {
            attacked.execute(
                    "import os\n"
                            + "os.symlink('/tmp', '/tmp/loop0')\n"
                            + "os.symlink('/tmp', '/tmp/loop1')\n"
                            + "os.symlink('/', '/tmp/root')\n"
                            + "os.symlink('loop0/loop1', '/tmp/relative')\n"
                            + "os.makedirs('/tmp/d/e')\n"
                            + "os.symlink('../..', '/tmp/d/e/up')");
            bystander.alongside(() -> state[0] = attacked.saveState());
            assertTrue(attacked.isUsable());
        }
        // Two loops followed to any depth would be astronomically large; as links they are bytes.
        assertTrue(state[0].length < 8 << 20, "state of " + state[0].length + " bytes");
        try (Sandbox restored = Sandbox.builder().restoreFrom(state[0]).build()) {
            assertEquals(
                    "[\"/tmp\",\"/tmp\",\"/\",\"loop0/loop1\",\"../..\",true,42]",
                    restored.execute(
                                    "import os\n"
                                            + "result = [os.readlink('/tmp/loop0'),"
                                            + " os.readlink('/tmp/loop1'), os.readlink('/tmp/root'),"
                                            + " os.readlink('/tmp/relative'),"
                                            + " os.readlink('/tmp/d/e/up'),"
                                            + " 'loop0' in os.listdir('/tmp/loop0/loop1/loop0'),"
                                            + " 42]")
                            .result()
                            .toString());
        }
    }

    @Test
    void filesDirectoriesSymlinksAndTimesRoundTripAndSurviveAReset(@TempDir Path host)
            throws IOException {
        Files.writeString(host.resolve("secret.txt"), "host file");
        byte[] state;
        try (Sandbox original = Sandbox.builder().mount(host, "/data", true).build()) {
            original.execute(
                    "import os\n"
                            + "os.makedirs('/work/empty')\n"
                            + "os.makedirs('/work/sub')\n"
                            + "open('/work/sub/a.bin', 'wb').write(bytes(range(256)) * 3)\n"
                            + "open('/work/zero', 'wb').close()\n"
                            + "os.symlink('sub/a.bin', '/work/link-file')\n"
                            + "os.symlink('/work/sub', '/work/link-dir')\n"
                            + "os.symlink('/nowhere', '/work/dangling')\n"
                            + "os.symlink('/data/secret.txt', '/work/into-mount')\n"
                            + "os.utime('/work/sub/a.bin', ns=(1_000_000_000_123, 2_000_000_000_456))\n"
                            + "os.utime('/work/sub', ns=(3_000_000_000_000, 4_000_000_000_789))");
            state = original.saveState();
        }
        String check =
                "import os\n"
                        + "result = [sorted(os.listdir('/work')), os.listdir('/work/empty'),\n"
                        + "  open('/work/link-file', 'rb').read() == bytes(range(256)) * 3,\n"
                        + "  os.path.getsize('/work/zero'), os.readlink('/work/link-dir'),\n"
                        + "  os.listdir('/work/link-dir'), os.path.islink('/work/dangling'),\n"
                        + "  os.path.exists('/work/dangling'), os.readlink('/work/into-mount'),\n"
                        + "  os.path.exists('/work/into-mount'),\n"
                        + "  os.stat('/work/sub/a.bin').st_mtime_ns,\n"
                        + "  os.stat('/work/sub').st_mtime_ns]";
        String expected =
                "[[\"dangling\",\"empty\",\"into-mount\",\"link-dir\",\"link-file\",\"sub\",\"zero\"],"
                        + "[],true,0,\"/work/sub\",[\"a.bin\"],true,false,\"/data/secret.txt\","
                        + "false,2000000000456,4000000000789]";
        // Restored without the mount: the link into it dangles, no host byte was saved.
        try (Sandbox restored = Sandbox.builder().restoreFrom(state).build()) {
            assertEquals(expected, restored.execute(check).result().toString());
            restored.execute(
                    "import os, shutil\nos.unlink('/work/link-dir')\nshutil.rmtree('/work/sub')");
            assertTrue(restored.reset());
            assertEquals(expected, restored.execute(check).result().toString());
        }
    }

    // ------------------------------------------------------------------ item 3: restoring

    @Test
    void craftedClaimsAreRefusedBeforeAnythingIsAllocated() {
        Crafted crafted = new Crafted(plain);
        ResourceLimits unlimitedMemory =
                ResourceLimits.builder().maxMemoryBytes(ResourceLimits.UNLIMITED).build();
        ResourceLimits unlimitedBoth =
                unlimitedMemory.toBuilder().maxVfsBytes(ResourceLimits.UNLIMITED).build();
        byte[] random = new byte[128 << 10];
        new Random(7).nextBytes(random);
        bystander.alongside(
                () -> {
                    // 16,000 pages (1,000 MiB) against the default 256 MiB cap: the section says
                    // so.
                    assertRefused(
                            crafted.state(s -> crafted.interpreter(s, 16_000, true)),
                            "limits allow");
                    // The same with a section length that lies: the page count itself is checked.
                    assertRefused(
                            crafted.state(s -> crafted.interpreter(s, 16_000, false)),
                            "maxMemoryBytes");
                    // Without a memory cap, a few bytes cannot hold a gigabyte either.
                    assertRefused(
                            unlimitedMemory,
                            crafted.state(s -> crafted.interpreter(s, 16_000, true)),
                            "compressed bytes can hold");
                    // A 1 GiB file: refused by the limits, without them by the compressed size,
                    // and by the quota when incompressible padding (an optional section, which is
                    // skipped) makes 100 MB plausible.
                    assertRefused(
                            crafted.state(s -> crafted.file(s, 0, "big", 1 << 30)), "limits allow");
                    assertRefused(
                            unlimitedBoth,
                            crafted.state(s -> crafted.file(s, 0, "big", 1 << 30)),
                            "can hold");
                    assertRefused(
                            crafted.state(
                                    s -> {
                                        crafted.section(s, 77, 0, random);
                                        crafted.file(s, 0, "big", 100 << 20);
                                    }),
                            "maxVfsBytes");
                    // A section of 3 GB (declared; a bomb would inflate to it).
                    assertRefused(
                            crafted.state(s -> crafted.header(s, 78, 0, 3L << 30)), "limits allow");
                    // Globals the module does not have.
                    assertRefused(
                            crafted.state(s -> crafted.interpreterWithGlobals(s, 70_000)),
                            "globals");
                    assertRefused(
                            crafted.state(s -> crafted.interpreterWithGlobals(s, 3)), "globals");
                    // A tree that is no tree, names that are no names.
                    assertRefused(crafted.state(s -> crafted.directory(s, 5, "x")), "parent");
                    assertRefused(
                            crafted.state(
                                    s -> {
                                        crafted.file(s, 0, "f", 1);
                                        crafted.directory(s, 1, "x");
                                    }),
                            "parent");
                    for (String bad : new String[] {"..", ".", "a/b", "nul\0"}) {
                        assertRefused(crafted.state(s -> crafted.directory(s, 0, bad)), "name");
                    }
                    assertRefused(
                            crafted.state(
                                    s -> {
                                        crafted.directory(s, 0, "twice");
                                        crafted.directory(s, 0, "twice");
                                    }),
                            "repeats");
                    // What a later format requires, this one refuses; what it may skip, it skips.
                    assertRefused(
                            crafted.state(s -> crafted.section(s, 99, 1, new byte[4])),
                            "does not have");
                    assertRefused(
                            crafted.state(s -> crafted.section(s, 99, 0, new byte[4])),
                            "no interpreter section");
                    assertRefused(crafted.state(s -> {}), "no interpreter section");
                });
    }

    @Test
    void truncatedGarbageAndOldFormatsAreRefusedClearly() {
        Crafted crafted = new Crafted(plain);
        bystander.alongside(
                () -> {
                    for (int length : new int[] {0, 9, 10, 40, 56, 57, plain.length - 1}) {
                        assertRefused(Arrays.copyOf(plain, length), "");
                    }
                    byte[] garbage = new byte[4096];
                    new Random(3).nextBytes(garbage);
                    assertRefused(crafted.withPayload(garbage), "corrupt");
                    assertRefused(crafted.withPayload(crafted.deflate(garbage)), "corrupt");
                    byte[] version1 = plain.clone();
                    version1[8] = 0;
                    version1[9] = 1;
                    assertRefused(version1, "saved state format 1 is no longer supported");
                    byte[] flags = plain.clone();
                    flags[11] = 4;
                    assertRefused(flags, "flags");
                });
        try (Sandbox ok = Sandbox.builder().restoreFrom(plain).build()) {
            assertEquals(42, ok.execute("result = x").result().asInt());
        }
    }

    @Test
    void signedStatesAreCheckedAgainstTheKey() {
        Crafted crafted = new Crafted(plain);
        // Signed, with the key: restores (and the restored sandbox signs in turn).
        byte[] again;
        try (Sandbox ok = Sandbox.builder().stateKey(KEY).restoreFrom(signed).build()) {
            assertEquals(42, ok.execute("result = x").result().asInt());
            again = ok.saveState();
        }
        // Without a key the signature cannot be checked; the state restores (documented).
        try (Sandbox unchecked = Sandbox.builder().restoreFrom(again).build()) {
            assertEquals(42, unchecked.execute("result = x").result().asInt());
        }
        bystander.alongside(
                () -> {
                    assertRefused(keyed(KEY), plain, "not signed");
                    assertRefused(keyed(OTHER_KEY), signed, "does not match");
                    // Altered, checksum fixed up: only the signature notices.
                    byte[] tampered = signed.clone();
                    tampered[HEADER + 100] ^= 1;
                    crafted.fixCrc(tampered, tampered.length - 32);
                    assertRefused(keyed(KEY), tampered, "does not match");
                    // Altered and re-signed with another key.
                    assertRefused(
                            keyed(KEY), crafted.resign(tampered, OTHER_KEY), "does not match");
                    // Downgraded to unsigned: flag cleared, trailer cut.
                    byte[] stripped = Arrays.copyOf(signed, signed.length - 32);
                    stripped[11] = 0;
                    assertRefused(keyed(KEY), stripped, "not signed");
                });
        assertThrows(
                IllegalArgumentException.class, () -> Sandbox.builder().stateKey(new byte[15]));
        assertThrows(NullPointerException.class, () -> Sandbox.builder().stateKey(null));
        // The key is copied: changing the caller's array changes nothing.
        byte[] mutable = KEY.clone();
        Sandbox.Builder builder = Sandbox.builder().stateKey(mutable).restoreFrom(signed);
        mutable[0] ^= 1;
        try (Sandbox ok = builder.build()) {
            assertEquals(42, ok.execute("result = x").result().asInt());
        }
    }

    private static Sandbox.Builder keyed(byte[] key) {
        return Sandbox.builder().stateKey(key);
    }

    private static void assertRefused(byte[] state, String expected) {
        assertRefused(Sandbox.builder(), state, expected);
    }

    private static void assertRefused(ResourceLimits limits, byte[] state, String expected) {
        assertRefused(Sandbox.builder().resourceLimits(limits), state, expected);
    }

    private static void assertRefused(Sandbox.Builder builder, byte[] state, String expected) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> builder.restoreFrom(state).build().close());
        assertTrue(
                e.getMessage().contains(expected),
                "expected '" + expected + "' in: " + e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    /**
     * Writes states the way docs/saved-state.md describes, with the identity and global count of a
     * real one, so they pass every check but the one under test.
     */
    private static final class Crafted {
        private final byte[] identity;
        private final int globals;

        Crafted(byte[] real) {
            identity = Arrays.copyOfRange(real, IDENTITY_AT, IDENTITY_AT + 32);
            try (DataInputStream in =
                    new DataInputStream(
                            new InflaterInputStream(
                                    new java.io.ByteArrayInputStream(
                                            real, HEADER, real.length - HEADER)))) {
                assertEquals(1, in.readUnsignedByte(), "the interpreter section comes first");
                in.readUnsignedByte();
                in.readLong();
                globals = in.readInt();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        byte[] state(Consumer<DataOutputStream> sections) {
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(raw);
            sections.accept(out);
            header(out, 0, 1, 0);
            return withPayload(deflate(raw.toByteArray()));
        }

        byte[] deflate(byte[] raw) {
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            try (DeflaterOutputStream out = new DeflaterOutputStream(compressed)) {
                out.write(raw);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return compressed.toByteArray();
        }

        /** An unsigned state around {@code payload}, with a correct length and CRC. */
        byte[] withPayload(byte[] payload) {
            ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length);
            b.put("ERYXSTAT".getBytes(StandardCharsets.US_ASCII)).putShort((short) 2);
            b.putShort((short) 0).put(identity).putLong(payload.length).putInt(0).put(payload);
            byte[] state = b.array();
            fixCrc(state, state.length);
            return state;
        }

        void fixCrc(byte[] state, int payloadEnd) {
            CRC32 crc = new CRC32();
            crc.update(state, HEADER, payloadEnd - HEADER);
            ByteBuffer.wrap(state).putInt(CRC_AT, (int) crc.getValue());
        }

        byte[] resign(byte[] state, byte[] key) {
            byte[] copy = state.clone();
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
                mac.update(copy, 0, copy.length - 32);
                System.arraycopy(mac.doFinal(), 0, copy, copy.length - 32, 32);
            } catch (java.security.GeneralSecurityException e) {
                throw new AssertionError(e);
            }
            return copy;
        }

        void header(DataOutputStream out, int id, int flags, long length) {
            try {
                out.writeByte(id);
                out.writeByte(flags);
                out.writeLong(length);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void section(DataOutputStream out, int id, int flags, byte[] body) {
            header(out, id, flags, body.length);
            write(out, body);
        }

        /** An interpreter section claiming {@code pages}, with no memory bytes behind it. */
        void interpreter(DataOutputStream out, int pages, boolean honestLength) {
            long length = 4 + 8L * globals + 4 + (long) pages * PAGE;
            header(out, 1, 1, honestLength ? length : 4 + 8L * globals + 4);
            try {
                out.writeInt(globals);
                out.write(new byte[8 * globals]);
                out.writeInt(pages);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void interpreterWithGlobals(DataOutputStream out, int count) {
            header(out, 1, 1, 8); // the count is checked before the length
            try {
                out.writeInt(count);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void directory(DataOutputStream out, int parent, String name) {
            entry(out, parent, 1, name, 0);
        }

        /** A file entry claiming {@code size} bytes, with none behind it. */
        void file(DataOutputStream out, int parent, String name, int size) {
            entry(out, parent, 2, name, size);
        }

        private void entry(DataOutputStream out, int parent, int kind, String name, int size) {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            long length = 4 + 1 + 2 + n.length + 16 + (kind == 2 ? 4L + size : 0);
            header(out, 2, 1, length);
            try {
                out.writeInt(parent);
                out.writeByte(kind);
                out.writeShort(n.length);
                out.write(n);
                out.writeLong(0);
                out.writeLong(0);
                if (kind == 2) {
                    out.writeInt(size);
                    out.write(new byte[Math.min(size, 1)]);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static void write(DataOutputStream out, byte[] bytes) {
            try {
                out.write(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
