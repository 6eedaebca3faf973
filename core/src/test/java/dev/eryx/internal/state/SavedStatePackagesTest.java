package dev.eryx.internal.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.engine.GuestInstance;
import dev.eryx.internal.engine.InterpreterState;
import dev.eryx.internal.packages.PackageIdentity;
import dev.eryx.internal.vfs.Vfs;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The PACKAGES section (id 3) on its own: written only when there are packages, read back in order,
 * and refused when malformed (docs/saved-state.md).
 */
class SavedStatePackagesTest {
    private static final SavedState.Limits LIMITS = new SavedState.Limits(1 << 20, 1 << 20, 1);
    private static final List<PackageIdentity> TWO =
            List.of(
                    new PackageIdentity("jinja2", "3.1.2", "a".repeat(64)),
                    new PackageIdentity("markupsafe", "2.1.2", "b".repeat(64)));

    private static InterpreterState interpreter() {
        return GuestInstance.stateOf(new byte[65536], new long[] {7});
    }

    private static Vfs vfs() {
        return Vfs.builder().maxBytes(1 << 20).build();
    }

    @Test
    void packagesRoundTripAndNoneWritesNoSection() {
        byte[] state = SavedState.encode(interpreter(), vfs(), null, TWO);
        assertEquals(TWO, SavedState.decode(state, LIMITS, null).packages());
        byte[] none = SavedState.encode(interpreter(), vfs(), null, List.of());
        assertEquals(List.of(), SavedState.decode(none, LIMITS, null).packages());
        // Without packages the bytes are what the format wrote before the section existed.
        assertEquals(
                List.of(),
                SavedState.decode(SavedState.encode(interpreter(), vfs(), null), LIMITS, null)
                        .packages());
        assertTrue(state.length > none.length);
    }

    @Test
    void malformedSectionsAreRefusedAsCorrupt() {
        byte[] one = body(List.<String[]>of(new String[] {"a", "1", "x"}));
        assertRefused("saved state is corrupt: two packages sections", one, one);
        assertRefused(
                "saved state is corrupt: package a listed twice",
                body(
                        List.<String[]>of(
                                new String[] {"a", "1", "x"}, new String[] {"a", "2", "y"})));
        assertRefused("saved state is corrupt: a packages section of 0 packages", new byte[2]);
        assertRefused(
                "saved state is corrupt: package 1 has a field of 0 bytes",
                body(List.<String[]>of(new String[] {"a", "", "x"})));
        byte[] trailing = java.util.Arrays.copyOf(one, one.length + 3);
        assertRefused(
                "saved state is corrupt: packages section of "
                        + trailing.length
                        + " bytes, expected "
                        + one.length,
                trailing);
        byte[] overlong = one.clone();
        overlong[3] = 100; // the name claims more bytes than the section holds
        assertRefused(
                "saved state is corrupt: packages section longer than its " + one.length + " bytes",
                overlong);
    }

    @Test
    void longVersionsFitAndLongerFieldsAreRefused() {
        List<PackageIdentity> longest =
                List.of(new PackageIdentity("n".repeat(1024), "1." + "0".repeat(1022), "ab"));
        byte[] state = SavedState.encode(interpreter(), vfs(), null, longest);
        assertEquals(longest, SavedState.decode(state, LIMITS, null).packages());
        assertRefused(
                "saved state is corrupt: package 1 has a field of 1025 bytes",
                body(List.<String[]>of(new String[] {"n".repeat(1025), "1", "x"})));
    }

    @Test
    void mutatedSectionsFailOnlyWithIllegalArgumentException() {
        byte[] valid = body(List.<String[]>of(new String[] {"jinja2", "3.1.2", "ab"}));
        Random random = new Random(16);
        for (int round = 0; round < 300; round++) {
            byte[] mutated = valid.clone();
            mutated[random.nextInt(mutated.length)] = (byte) random.nextInt();
            byte[] state = stateWith(List.of(mutated));
            try {
                SavedState.decode(state, LIMITS, null);
            } catch (IllegalArgumentException expected) {
                // refused with a message, never another exception
            }
        }
    }

    private static void assertRefused(String message, byte[]... sections) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> SavedState.decode(stateWith(List.of(sections)), LIMITS, null));
        assertEquals(message, e.getMessage());
    }

    /** A PACKAGES body as docs/saved-state.md specifies it. */
    private static byte[] body(List<String[]> identities) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeShort(identities.size());
            for (String[] identity : identities) {
                for (String field : identity) {
                    byte[] utf8 = field.getBytes(StandardCharsets.UTF_8);
                    out.writeShort(utf8.length);
                    out.write(utf8);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A valid unsigned state whose payload holds the given PACKAGES bodies after INTERPRETER. */
    private static byte[] stateWith(List<byte[]> packageBodies) {
        try {
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(raw);
            section(out, SavedState.SECTION_INTERPRETER, 4 + 8 + 4 + 65536);
            out.writeInt(1);
            out.writeLong(7);
            out.writeInt(1);
            out.write(new byte[65536]);
            for (byte[] body : packageBodies) {
                section(out, SavedState.SECTION_PACKAGES, body.length);
                out.write(body);
            }
            section(out, SavedState.SECTION_END, 0);
            out.flush();
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            try (DeflaterOutputStream deflate = new DeflaterOutputStream(compressed)) {
                deflate.write(raw.toByteArray());
            }
            byte[] payload = compressed.toByteArray();
            CRC32 crc = new CRC32();
            crc.update(payload);
            ByteArrayOutputStream whole = new ByteArrayOutputStream();
            DataOutputStream header = new DataOutputStream(whole);
            header.write(SavedState.MAGIC);
            header.writeShort(SavedState.FORMAT_VERSION);
            header.writeShort(0);
            header.write(ModuleIdentity.current());
            header.writeLong(payload.length);
            header.writeInt((int) crc.getValue());
            header.write(payload);
            return whole.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void section(DataOutputStream out, int id, long length) throws IOException {
        out.writeByte(id);
        out.writeByte(SavedState.SECTION_REQUIRED);
        out.writeLong(length);
    }
}
