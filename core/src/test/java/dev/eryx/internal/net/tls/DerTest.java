package dev.eryx.internal.net.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The DER reader refuses malformed input with IllegalArgumentException and nothing else. */
class DerTest {
    @Test
    void readsNestedElementsAndOids() {
        // SEQUENCE { OID 2.5.4.3, UTF8String "x" }
        byte[] der = {0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0C, 0x01, 'x'};
        List<Der.Element> parts = Der.single(der).children();
        assertEquals("2.5.4.3", parts.get(0).oid());
        assertEquals("x", parts.get(1).text());
    }

    @Test
    void malformedInputIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Der.single(new byte[] {0x30, 0x05, 0}));
        assertThrows(
                IllegalArgumentException.class,
                () -> Der.single(new byte[] {0x30, (byte) 0x84, 0x7f, 0, 0, 0}));
        assertThrows(IllegalArgumentException.class, () -> Der.single(new byte[] {0x30}));
        assertThrows(IllegalArgumentException.class, () -> Der.single(new byte[0]));
    }

    @Test
    void randomBytesNeverEscapeAsAnotherException() {
        Random random = new Random(17);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[random.nextInt(40)];
            random.nextBytes(b);
            if (b.length > 0 && random.nextBoolean()) {
                b[0] = 0x30;
            }
            try {
                for (Der.Element e : Der.parse(b, 0, b.length)) {
                    walk(e, 0);
                }
            } catch (IllegalArgumentException expected) {
                // refused: fine
            }
        }
    }

    private static void walk(Der.Element e, int depth) {
        e.text();
        if (e.tag() == Der.OID) {
            e.oid();
        }
        if ((e.tag() & 0x20) != 0 && depth < 10) {
            for (Der.Element c : e.children()) {
                walk(c, depth + 1);
            }
        }
    }
}
