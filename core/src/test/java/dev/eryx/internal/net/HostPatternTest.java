package dev.eryx.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPatternTest {
    @ParameterizedTest
    @CsvSource({
        "api.example.com, api.example.com",
        "API.Example.COM., api.example.com",
        "*.example.com, *.example.com",
        "*.Example.com:443, *.example.com:443",
        "api.example.com:8443, api.example.com:8443",
        "bücher.example, xn--bcher-kva.example",
        "_dmarc.example.com, _dmarc.example.com",
        "10.0.0.5, 10.0.0.5",
        "0x7f.1:80, 127.0.0.1:80",
        "[::1], [::1]",
        "[::1]:8080, [::1]:8080",
        "fd00::1, [fd00::1]",
        "[::ffff:10.0.0.1]:80, 10.0.0.1:80",
        "localhost, localhost",
    })
    void normalized(String pattern, String canonical) {
        HostPattern p = HostPattern.parse(pattern);
        assertEquals(canonical, p.toString());
        assertEquals(p, HostPattern.parse(p.toString()), "round trip");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "''| empty",
                "*| '*' may only",
                "*.| not a valid host name",
                "a.*.com| '*' may only",
                "*example.com| '*' may only",
                "**.example.com| '*' may only",
                "example..com| not a valid host name",
                ".example.com| not a valid host name",
                "-bad.example.com| not a valid host name",
                "api.example.com:0| 1 to 65535",
                "api.example.com:65536| 1 to 65535",
                "api.example.com:| 1 to 65535",
                "api.example.com:http| 1 to 65535",
                "api .example.com| space",
                "' api.example.com'| space",
                "https://api.example.com| not a URL",
                "api.example.com/v1| not a URL",
                "user@api.example.com| not a URL",
                "[::1| not closed",
                "[::1]x| only",
                "[example.com]:80| IPv6",
                "1::2::3| IPv6",
                "ex!ample.com| not a valid host name",
            })
    void refused(String pattern, String message) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> HostPattern.parse(pattern));
        assertTrue(e.getMessage().contains(message.trim()), e.getMessage());
    }

    @Test
    void urlMessageSaysToGiveAHost() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> HostPattern.parse("https://api.example.com/v1"));
        assertEquals(
                "bad host pattern \"https://api.example.com/v1\": give a host name such as"
                        + " api.example.com, not a URL",
                e.getMessage());
    }

    @Test
    void wildcardsMatchSubdomainsNotTheApex() {
        HostPattern p = HostPattern.parse("*.example.com");
        assertTrue(p.matches("api.example.com", 443));
        assertTrue(p.matches("a.b.example.com", 80));
        assertFalse(p.matches("example.com", 443));
        assertFalse(p.matches("badexample.com", 443));
        assertFalse(p.matches("example.com.evil.org", 443));
        assertFalse(p.matches(".example.com", 443));
    }

    @Test
    void portsLimit() {
        HostPattern p = HostPattern.parse("api.example.com:443");
        assertTrue(p.matches("api.example.com", 443));
        assertFalse(p.matches("api.example.com", 80));
        assertTrue(HostPattern.parse("api.example.com").matches("api.example.com", 1));
        assertFalse(HostPattern.parse("api.example.com").matches("www.example.com", 443));
    }

    @Test
    void literalPatternsMatchEveryForm() {
        HostPattern p = HostPattern.parse("127.0.0.1:8080");
        assertTrue(p.isLiteral());
        assertTrue(p.matches("0177.0.0.1", 8080));
        assertTrue(p.matches("2130706433", 8080));
        assertTrue(p.matches("::ffff:127.0.0.1", 8080));
        assertFalse(p.matches("127.0.0.2", 8080));
        assertFalse(p.matches("127.0.0.1", 80));
        assertTrue(p.matches(IpLiteral.parse("127.0.0.1").orElseThrow(), 8080));
    }
}
