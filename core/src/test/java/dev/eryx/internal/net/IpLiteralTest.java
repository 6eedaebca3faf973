package dev.eryx.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpLiteralTest {
    @ParameterizedTest
    @CsvSource({
        "127.0.0.1, 127.0.0.1",
        "0177.0.0.1, 127.0.0.1",
        "0x7f.1, 127.0.0.1",
        "0X7F.0.0.1, 127.0.0.1",
        "127.1, 127.0.0.1",
        "127.0.1, 127.0.0.1",
        "2130706433, 127.0.0.1",
        "0x7f000001, 127.0.0.1",
        "017700000001, 127.0.0.1",
        "0, 0.0.0.0",
        "169.254.43518, 169.254.169.254",
        "0xa9fea9fe, 169.254.169.254",
        "10.0.0.1., 10.0.0.1",
        "4294967295, 255.255.255.255",
        "::1, ::1",
        "[::1], ::1",
        "::, ::",
        "fe80::1%eth0, fe80::1",
        "[fe80::1%25en0], fe80::1",
        "::ffff:127.0.0.1, 127.0.0.1",
        "::ffff:7f00:1, 127.0.0.1",
        "0:0:0:0:0:ffff:a9fe:a9fe, 169.254.169.254",
        "64:ff9b::169.254.169.254, 64:ff9b::a9fe:a9fe",
        "2001:DB8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:db8::, 2001:db8::",
        "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
        "1::8, 1::8",
        "::0.0.0.1, ::1",
    })
    void literalsInTheGuestsForms(String text, String canonical) {
        byte[] b = IpLiteral.parseBytes(text);
        assertEquals(canonical, IpLiteral.format(IpLiteral.address(b)), text);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "example.com",
                "localhost",
                "1.2.3.4.5",
                "256.0.0.1",
                "1.256.0.1",
                "1.2.65536",
                "4294967296",
                "08.0.0.1",
                "0x.1",
                "1..2",
                ".1.2.3",
                "0xg.1",
                "１２７.0.0.1",
                "1:2:3:4:5:6:7:8:9",
                "1::2::3",
                "12345::1",
                "::ffff:1.2.3",
                "::ffff:01.2.3.4.5",
                "fe80::1%",
                "[1.2.3.4]",
                "",
                ":",
                "1.2.3.4 "
            })
    void notLiterals(String text) {
        assertNull(IpLiteral.parseBytes(text), text);
    }
}
