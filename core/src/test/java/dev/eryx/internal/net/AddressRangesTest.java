package dev.eryx.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AddressRangesTest {
    private static InetAddress ip(String text) {
        return IpLiteral.parse(text).orElseThrow();
    }

    @ParameterizedTest
    @CsvSource({
        "127.0.0.1, LOOPBACK",
        "127.255.0.9, LOOPBACK",
        "::1, LOOPBACK",
        "10.1.2.3, PRIVATE",
        "172.16.0.1, PRIVATE",
        "172.31.255.255, PRIVATE",
        "192.168.1.1, PRIVATE",
        "100.64.0.1, PRIVATE",
        "100.127.255.255, PRIVATE",
        "fc00::1, PRIVATE",
        "fd12:3456::1, PRIVATE",
        "169.254.169.254, SPECIAL",
        "169.254.1.1, SPECIAL",
        "fe80::1, SPECIAL",
        "febf::1, SPECIAL",
        "0.0.0.0, SPECIAL",
        "0.1.2.3, SPECIAL",
        "::, SPECIAL",
        "224.0.0.1, SPECIAL",
        "239.255.255.250, SPECIAL",
        "ff02::1, SPECIAL",
        "255.255.255.255, SPECIAL",
        "240.0.0.1, SPECIAL",
        "192.0.2.1, SPECIAL",
        "198.51.100.1, SPECIAL",
        "203.0.113.1, SPECIAL",
        "2001:db8::1, SPECIAL",
        "198.18.0.1, SPECIAL",
        "198.19.255.255, SPECIAL",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2, SPECIAL",
        "::127.0.0.1, SPECIAL",
        "::8.8.8.8, SPECIAL",
        // embedded IPv4 judged as IPv4
        "64:ff9b::127.0.0.1, LOOPBACK",
        "64:ff9b::10.0.0.1, PRIVATE",
        "64:ff9b::169.254.169.254, SPECIAL",
        "2002:7f00:1::, LOOPBACK",
        "2002:a9fe:a9fe::1, SPECIAL",
        "2002:c0a8:101::1, PRIVATE",
    })
    void specialRanges(String address, AddressRanges.Category category) {
        assertEquals(
                category, AddressRanges.classify(ip(address)).orElseThrow().category(), address);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "93.184.216.34",
                "8.8.8.8",
                "1.1.1.1",
                "100.63.255.255",
                "100.128.0.0",
                "172.15.255.255",
                "172.32.0.0",
                "169.253.255.255",
                "198.17.255.255",
                "198.20.0.0",
                "223.255.255.255",
                "2606:4700::1111",
                "64:ff9b::8.8.8.8",
                "2002:808:808::1",
                "fbff::1"
            })
    void publicAddresses(String address) {
        assertTrue(AddressRanges.classify(ip(address)).isEmpty(), address);
    }

    @Test
    void mappedAddressesAreCheckedAsIpv4() {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = (byte) 169;
        mapped[13] = (byte) 254;
        mapped[14] = (byte) 169;
        mapped[15] = (byte) 254;
        AddressRanges.Range r = AddressRanges.classify(mapped).orElseThrow();
        assertEquals(AddressRanges.Category.SPECIAL, r.category());
        assertTrue(r.reason().contains("IPv4-mapped"), r.reason());
        assertTrue(r.reason().contains("cloud metadata"), r.reason());
        mapped[12] = 127;
        assertEquals(
                AddressRanges.Category.LOOPBACK,
                AddressRanges.classify(mapped).orElseThrow().category());
    }

    @Test
    void reasonsAreForHumans() {
        AddressRanges.Range r = AddressRanges.classify(ip("169.254.169.254")).orElseThrow();
        assertEquals("169.254.169.254 is link-local (cloud metadata lives there)", r.reason());
        assertEquals(
                "allow it with allowAddress(\"169.254.169.254/32\")",
                AddressRanges.remedy(r, ip("169.254.169.254")));
        AddressRanges.Range nat64 = AddressRanges.classify(ip("64:ff9b::a9fe:a9fe")).orElseThrow();
        assertEquals(
                "64:ff9b::a9fe:a9fe is a NAT64 address of 169.254.169.254, which is link-local"
                        + " (cloud metadata lives there)",
                nat64.reason());
    }

    @Test
    void blocksOverRawBytes() {
        AddressBlock b = AddressBlock.parse("169.254.169.254/32");
        assertTrue(b.contains(ip("169.254.169.254")));
        assertFalse(b.contains(ip("169.254.169.253")));
        assertEquals("169.254.169.254/32", b.toString());
        AddressBlock v6 = AddressBlock.parse("fc00::/7");
        assertTrue(v6.contains(ip("fdff::1")));
        assertFalse(v6.contains(ip("fe00::1")));
        assertFalse(v6.contains(ip("10.0.0.1")));
        AddressBlock mapped = AddressBlock.parse("::ffff:10.0.0.0/104");
        assertEquals("10.0.0.0/8", mapped.toString());
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        m[12] = 10;
        assertTrue(AddressBlock.parse("10.0.0.0/8").contains(m), "mapped address in an IPv4 block");
        assertEquals("10.1.2.3/32", AddressBlock.parse("10.1.2.3").toString());
        assertEquals("::/0", AddressBlock.parse("::/0").toString());
        assertTrue(AddressBlock.parse("0.0.0.0/0").contains(ip("1.2.3.4")));
        assertTrue(AddressBlock.parse("172.16.0.0/12").contains(ip("172.31.0.1")));
        assertFalse(AddressBlock.parse("172.16.0.0/12").contains(ip("172.32.0.1")));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "10.0.0.0/33",
                "::/129",
                "10.0.0.0/",
                "10.0.0.0/x",
                "example.com/8",
                "10.0.0.0/-1"
            })
    void badBlocks(String cidr) {
        assertThrows(IllegalArgumentException.class, () -> AddressBlock.parse(cidr));
    }

    @Test
    void hostBitsNameTheBlockMeant() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> AddressBlock.parse("10.0.0.1/8"));
        assertTrue(e.getMessage().contains("did you mean 10.0.0.0/8?"), e.getMessage());
    }
}
