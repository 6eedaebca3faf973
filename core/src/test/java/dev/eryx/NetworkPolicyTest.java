package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkPolicyTest {
    @Test
    void patternsAndBlocksAreNormalizedAndDeduplicated() {
        NetworkPolicy p =
                NetworkPolicy.builder()
                        .allowHost("API.example.com.")
                        .allowHost("api.example.com")
                        .allowHost("*.Example.org:443")
                        .allowAddress("169.254.169.254")
                        .allowAddress("169.254.169.254/32")
                        .build();
        assertEquals(List.of("api.example.com", "*.example.org:443"), p.allowedHosts());
        assertEquals(List.of("169.254.169.254/32"), p.allowedAddresses());
    }

    @Test
    void refusals() {
        NetworkPolicy.Builder b = NetworkPolicy.builder();
        assertTrue(
                assertThrows(IllegalArgumentException.class, () -> b.allowHost("https://x.com/"))
                        .getMessage()
                        .contains("not a URL"));
        assertThrows(IllegalArgumentException.class, () -> b.allowHost("*"));
        assertThrows(IllegalArgumentException.class, () -> b.allowHost("x.com:70000"));
        assertThrows(IllegalArgumentException.class, () -> b.allowAddress("10.0.0.1/8"));
        assertThrows(NullPointerException.class, () -> b.allowHost(null));
        assertThrows(IllegalArgumentException.class, () -> b.maxConnections(0));
        assertThrows(IllegalArgumentException.class, () -> b.connectTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> b.readTimeout(Duration.ofDays(2)));
        assertThrows(
                IllegalArgumentException.class,
                () -> b.proxy(InetSocketAddress.createUnresolved("proxy.example.com", 0)));
        IllegalStateException nothing = assertThrows(IllegalStateException.class, b::build);
        assertTrue(nothing.getMessage().contains("allows nothing"), nothing.getMessage());
    }

    @Test
    void toStringStaysShort() {
        NetworkPolicy.Builder b = NetworkPolicy.builder().allowLocalhost();
        for (int i = 0; i < 1000; i++) {
            b.allowHost("host" + i + ".example.com");
        }
        String s = b.build().toString();
        assertTrue(s.length() < 300, s);
        assertTrue(s.contains("(995 more)"), s);
    }
}
