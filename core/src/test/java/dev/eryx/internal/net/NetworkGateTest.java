package dev.eryx.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.NetworkPolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NetworkGateTest {
    /** Answers from a script, one answer per call; records every name asked. */
    static final class ScriptedResolver implements Resolver {
        final List<String> asked = Collections.synchronizedList(new ArrayList<>());
        private final Map<String, Deque<List<InetAddress>>> answers = new HashMap<>();

        ScriptedResolver answer(String name, String... addresses) {
            List<InetAddress> list = new ArrayList<>();
            for (String a : addresses) {
                list.add(ip(a));
            }
            answers.computeIfAbsent(name, k -> new ArrayDeque<>()).add(list);
            return this;
        }

        @Override
        public synchronized List<InetAddress> resolve(String name) throws UnknownHostException {
            asked.add(name);
            Deque<List<InetAddress>> q = answers.get(name);
            if (q == null || q.isEmpty()) {
                throw new UnknownHostException(name);
            }
            return q.size() > 1 ? q.poll() : q.peek();
        }
    }

    static InetAddress ip(String text) {
        return IpLiteral.parse(text).orElseThrow();
    }

    private static NetworkPolicy.Builder hosts(String... patterns) {
        NetworkPolicy.Builder b = NetworkPolicy.builder();
        for (String p : patterns) {
            b.allowHost(p);
        }
        return b;
    }

    @Test
    void deniedNameMakesNoQuery() {
        ScriptedResolver dns = new ScriptedResolver().answer("evil.example.org", "93.184.216.34");
        try (NetworkGate gate = new NetworkGate(hosts("api.example.com").build(), dns)) {
            NetException e =
                    assertThrows(NetException.class, () -> gate.resolve("evil.example.org"));
            assertEquals(NetException.Kind.NAME_NOT_ALLOWED, e.kind());
            assertEquals("gaierror", e.pythonType());
            assertEquals("EAI_NONAME", e.errnoName());
            assertTrue(e.getMessage().contains("no DNS query"), e.getMessage());
            assertThrows(NetException.class, () -> gate.resolve("example.com"));
            assertThrows(NetException.class, () -> gate.resolve("api.example.com.evil.org"));
            assertThrows(NetException.class, () -> gate.resolve("localhost"));
            assertEquals(List.of(), dns.asked);
        }
    }

    @Test
    void allowedNameResolvesAndConnects() throws Exception {
        ScriptedResolver dns =
                new ScriptedResolver()
                        .answer("api.example.com", "93.184.216.34", "2606:2800:220:1::1");
        try (NetworkGate gate = new NetworkGate(hosts("API.example.com:443").build(), dns)) {
            List<InetAddress> got = gate.resolve("Api.Example.Com.");
            assertEquals(List.of(ip("93.184.216.34"), ip("2606:2800:220:1::1")), got);
            assertEquals(List.of("api.example.com"), dns.asked);
            Destination d = gate.checkConnect(ip("93.184.216.34"), 443);
            assertEquals("api.example.com", d.hostName());
            assertEquals("api.example.com", d.displayName());
            assertNull(d.proxy());
            NetException port =
                    assertThrows(
                            NetException.class, () -> gate.checkConnect(ip("93.184.216.34"), 80));
            assertEquals(NetException.Kind.DENIED, port.kind());
            assertTrue(port.getMessage().contains("port"), port.getMessage());
            gate.forget();
            NetException forgotten =
                    assertThrows(
                            NetException.class, () -> gate.checkConnect(ip("93.184.216.34"), 443));
            assertTrue(forgotten.getMessage().contains("not given out"), forgotten.getMessage());
        }
    }

    @Test
    void literalNeverGivenOutIsRefused() {
        try (NetworkGate gate =
                new NetworkGate(hosts("api.example.com").build(), new ScriptedResolver())) {
            NetException e =
                    assertThrows(
                            NetException.class, () -> gate.checkConnect(ip("93.184.216.34"), 443));
            assertEquals(NetException.Kind.DENIED, e.kind());
            assertEquals("PermissionError", e.pythonType());
            assertEquals(
                    "connect to 93.184.216.34: the address was not given out for an allowed name"
                            + " (resolve the name with getaddrinfo first)",
                    e.getMessage());
        }
    }

    @Test
    void literalsAreNormalizedNotResolved() throws Exception {
        ScriptedResolver dns = new ScriptedResolver();
        try (NetworkGate gate = new NetworkGate(hosts("api.example.com").build(), dns)) {
            assertEquals(List.of(ip("127.0.0.1")), gate.resolve("0x7f.1"));
            assertEquals(List.of(ip("127.0.0.1")), gate.resolve("2130706433"));
            assertEquals(List.of(ip("fe80::1")), gate.resolve("fe80::1%eth0"));
            assertEquals(List.of(ip("169.254.169.254")), gate.resolve("::ffff:169.254.169.254"));
            assertEquals(List.of(), dns.asked);
        }
    }

    @Test
    void localhostWithoutDns() throws Exception {
        ScriptedResolver dns = new ScriptedResolver();
        try (NetworkGate gate =
                new NetworkGate(NetworkPolicy.builder().allowLocalhost().build(), dns)) {
            assertEquals(List.of(ip("127.0.0.1"), ip("::1")), gate.resolve("localhost"));
            assertEquals(List.of(), dns.asked);
            assertEquals("localhost", gate.checkConnect(ip("127.0.0.1"), 8080).hostName());
            assertEquals("localhost", gate.checkConnect(ip("::1"), 1).hostName());
            // a loopback literal never given out: admitted by allowLocalhost itself
            Destination d = gate.checkConnect(ip("127.0.0.2"), 80);
            assertNull(d.hostName());
            assertEquals("127.0.0.2", d.displayName());
            NetException e = assertThrows(NetException.class, () -> gate.resolve("example.com"));
            assertEquals(NetException.Kind.NAME_NOT_ALLOWED, e.kind());
            NetException priv =
                    assertThrows(NetException.class, () -> gate.checkConnect(ip("10.0.0.1"), 80));
            assertTrue(priv.getMessage().contains("allowPrivateNetworks()"), priv.getMessage());
        }
    }

    @Test
    void allowedNameResolvingToPrivateIsDenied() {
        ScriptedResolver dns =
                new ScriptedResolver()
                        .answer("intranet.example.com", "10.1.2.3")
                        .answer("loop.example.com", "127.0.0.1")
                        .answer("meta.example.com", "169.254.169.254");
        try (NetworkGate gate = new NetworkGate(hosts("*.example.com").build(), dns)) {
            NetException e =
                    assertThrows(NetException.class, () -> gate.resolve("intranet.example.com"));
            assertEquals(NetException.Kind.DENIED, e.kind());
            assertEquals(
                    "intranet.example.com resolves only to addresses the sandbox's network policy"
                            + " refuses: 10.1.2.3 is private (10.0.0.0/8); allow it with"
                            + " allowPrivateNetworks() or allowAddress(\"10.1.2.3/32\")",
                    e.getMessage());
            NetException loop =
                    assertThrows(NetException.class, () -> gate.resolve("loop.example.com"));
            assertTrue(loop.getMessage().contains("allowLocalhost()"), loop.getMessage());
            NetException meta =
                    assertThrows(NetException.class, () -> gate.resolve("meta.example.com"));
            assertTrue(meta.getMessage().contains("cloud metadata"), meta.getMessage());
            assertThrows(NetException.class, () -> gate.checkConnect(ip("10.1.2.3"), 443));
        }
    }

    @Test
    void privateAdmittedByThePolicy() throws Exception {
        ScriptedResolver dns =
                new ScriptedResolver()
                        .answer("intranet.example.com", "10.1.2.3", "169.254.169.254")
                        .answer("meta.example.com", "169.254.169.254");
        NetworkPolicy policy = hosts("*.example.com").allowPrivateNetworks().build();
        try (NetworkGate gate = new NetworkGate(policy, dns)) {
            // the private one is admitted, the metadata one dropped from the answer
            assertEquals(List.of(ip("10.1.2.3")), gate.resolve("intranet.example.com"));
            assertThrows(NetException.class, () -> gate.resolve("meta.example.com"));
            assertNull(gate.checkConnect(ip("192.168.0.1"), 80).hostName());
            assertThrows(NetException.class, () -> gate.checkConnect(ip("169.254.169.254"), 80));
        }
        NetworkPolicy meta = hosts("*.example.com").allowAddress("169.254.169.254/32").build();
        try (NetworkGate gate = new NetworkGate(meta, dns)) {
            assertEquals(List.of(ip("169.254.169.254")), gate.resolve("meta.example.com"));
            assertEquals(
                    "meta.example.com", gate.checkConnect(ip("169.254.169.254"), 80).hostName());
        }
    }

    @Test
    void everyAnswerOfARebindingNameIsChecked() throws Exception {
        ScriptedResolver dns =
                new ScriptedResolver()
                        .answer("rebind.example.com", "93.184.216.34")
                        .answer("rebind.example.com", "127.0.0.1")
                        .answer("rebind.example.com", "::ffff:169.254.169.254", "93.184.216.35");
        try (NetworkGate gate = new NetworkGate(hosts("rebind.example.com").build(), dns)) {
            assertEquals(List.of(ip("93.184.216.34")), gate.resolve("rebind.example.com"));
            NetException second =
                    assertThrows(NetException.class, () -> gate.resolve("rebind.example.com"));
            assertTrue(second.getMessage().contains("127.0.0.1 is loopback"), second.getMessage());
            assertEquals(List.of(ip("93.184.216.35")), gate.resolve("rebind.example.com"));
            assertEquals(3, dns.asked.size());
            // the loopback answer was never given out, so a connect to it stays refused
            assertThrows(NetException.class, () -> gate.checkConnect(ip("127.0.0.1"), 443));
            assertThrows(NetException.class, () -> gate.checkConnect(ip("169.254.169.254"), 443));
            gate.checkConnect(ip("93.184.216.34"), 443);
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "169.254.169.254",
                "0xa9fea9fe",
                "2852039166",
                "0251.0376.0251.0376",
                "169.254.43518",
                "::ffff:169.254.169.254",
                "::ffff:a9fe:a9fe",
                "64:ff9b::169.254.169.254",
                "2002:a9fe:a9fe::1",
                "fe80::a9fe:a9fe%eth0",
                "[::ffff:169.254.169.254]",
            })
    void ssrfToMetadataThroughLiterals(String literal) throws Exception {
        ScriptedResolver dns = new ScriptedResolver();
        NetworkPolicy policy =
                hosts("api.example.com").allowLocalhost().allowPrivateNetworks().build();
        try (NetworkGate gate = new NetworkGate(policy, dns)) {
            InetAddress a = gate.resolve(literal).get(0);
            NetException e = assertThrows(NetException.class, () -> gate.checkConnect(a, 80));
            assertEquals(NetException.Kind.DENIED, e.kind());
            assertTrue(e.getMessage().contains("link-local"), e.getMessage());
            assertEquals(List.of(), dns.asked);
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "169.254.169.254",
                "::ffff:169.254.169.254",
                "64:ff9b::a9fe:a9fe",
                "2002:a9fe:a9fe::",
                "fe80::1",
                "0.0.0.0",
                "::",
                "::1",
                "fd00::1",
                "100.64.0.1",
                "198.18.0.1",
                "2001::1",
                "::10.0.0.1",
            })
    void ssrfThroughAnAllowedName(String answer) {
        ScriptedResolver dns = new ScriptedResolver().answer("api.example.com", answer);
        try (NetworkGate gate = new NetworkGate(hosts("api.example.com").build(), dns)) {
            NetException e =
                    assertThrows(NetException.class, () -> gate.resolve("api.example.com"));
            assertEquals(NetException.Kind.DENIED, e.kind());
            assertTrue(
                    e.getMessage().startsWith("api.example.com resolves only to"), e.getMessage());
            assertThrows(NetException.class, () -> gate.checkConnect(ip(answer), 443));
        }
    }

    @Test
    void literalPatternsAdmitTheirAddress() throws Exception {
        try (NetworkGate gate =
                new NetworkGate(
                        hosts("10.0.0.5:8080", "[fd00::1]").build(), new ScriptedResolver())) {
            assertNull(gate.checkConnect(ip("10.0.0.5"), 8080).hostName());
            assertThrows(NetException.class, () -> gate.checkConnect(ip("10.0.0.5"), 80));
            assertThrows(NetException.class, () -> gate.checkConnect(ip("10.0.0.6"), 8080));
            gate.checkConnect(ip("fd00::1"), 443);
            gate.checkConnect(ip("::ffff:10.0.0.5"), 8080);
        }
    }

    @Test
    void unknownNamesAndTimeouts() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Resolver slow =
                name -> {
                    if (name.startsWith("slow")) {
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    throw new UnknownHostException(name);
                };
        NetworkPolicy policy =
                hosts("*.example.com").connectTimeout(Duration.ofMillis(200)).build();
        try (NetworkGate gate = new NetworkGate(policy, slow)) {
            NetException unknown =
                    assertThrows(NetException.class, () -> gate.resolve("nx.example.com"));
            assertEquals(NetException.Kind.NAME_UNKNOWN, unknown.kind());
            long start = System.nanoTime();
            NetException timeout =
                    assertThrows(NetException.class, () -> gate.resolve("slow.example.com"));
            assertEquals("EAI_AGAIN", timeout.errnoName());
            assertTrue(
                    timeout.getMessage().contains("did not answer within 200 ms"),
                    timeout.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        } finally {
            release.countDown();
        }
    }

    @Test
    void dnsThreadsAreNamedAndDaemons() throws Exception {
        List<Thread> seen = Collections.synchronizedList(new ArrayList<>());
        Resolver r =
                name -> {
                    seen.add(Thread.currentThread());
                    return List.of(ip("93.184.216.34"));
                };
        try (NetworkGate gate = new NetworkGate(hosts("api.example.com").build(), r)) {
            gate.resolve("api.example.com");
        }
        assertTrue(seen.get(0).getName().startsWith("eryx-dns-"), seen.get(0).getName());
        assertTrue(seen.get(0).isDaemon());
    }

    @Test
    void proxyChecksNamesAndResolvesNothing() throws Exception {
        ScriptedResolver dns = new ScriptedResolver();
        InetSocketAddress proxy = new InetSocketAddress("127.0.0.1", 3128);
        NetworkPolicy policy = hosts("api.example.com:443").proxy(proxy).build();
        try (NetworkGate gate = new NetworkGate(policy, dns)) {
            List<InetAddress> got = gate.resolve("api.example.com");
            assertEquals(1, got.size());
            assertTrue(AddressBlock.parse("198.18.0.0/15").contains(got.get(0)), got.toString());
            assertEquals(got, gate.resolve("api.example.com"), "same name, same address");
            Destination d = gate.checkConnect(got.get(0), 443);
            assertEquals("api.example.com", d.hostName());
            assertEquals(proxy, d.proxy());
            assertThrows(NetException.class, () -> gate.checkConnect(got.get(0), 80));
            assertThrows(NetException.class, () -> gate.resolve("evil.example.org"));
            assertThrows(NetException.class, () -> gate.checkConnect(ip("198.18.0.2"), 443));
            assertEquals(List.of(), dns.asked);
        }
    }

    @Test
    void selectorDirectNamesAreResolvedAndChecked() throws Exception {
        InetSocketAddress proxyAddress = new InetSocketAddress("127.0.0.1", 3128);
        java.net.ProxySelector selector =
                new java.net.ProxySelector() {
                    @Override
                    public List<java.net.Proxy> select(java.net.URI uri) {
                        return uri.getHost().startsWith("direct.")
                                ? List.of(java.net.Proxy.NO_PROXY)
                                : List.of(
                                        new java.net.Proxy(java.net.Proxy.Type.HTTP, proxyAddress));
                    }

                    @Override
                    public void connectFailed(
                            java.net.URI uri, java.net.SocketAddress sa, java.io.IOException e) {}
                };
        ScriptedResolver dns = new ScriptedResolver().answer("direct.example.com", "10.0.0.1");
        NetworkPolicy policy = hosts("*.example.com").allowLocalhost().proxy(selector).build();
        try (NetworkGate gate = new NetworkGate(policy, dns)) {
            NetException e =
                    assertThrows(NetException.class, () -> gate.resolve("direct.example.com"));
            assertEquals(NetException.Kind.DENIED, e.kind());
            assertEquals(List.of("direct.example.com"), dns.asked);
            InetAddress synthetic = gate.resolve("api.example.com").get(0);
            assertEquals(proxyAddress, gate.checkConnect(synthetic, 443).proxy());
            assertEquals(List.of("direct.example.com"), dns.asked);
            // loopback is always direct
            assertNull(gate.checkConnect(gate.resolve("localhost").get(0), 8080).proxy());
            assertNull(gate.checkConnect(ip("127.0.0.1"), 8080).proxy());
        }
    }

    @Test
    void localhostAsAPatternStillNeedsAllowLocalhost() {
        ScriptedResolver dns = new ScriptedResolver();
        try (NetworkGate gate = new NetworkGate(hosts("localhost").build(), dns)) {
            NetException e = assertThrows(NetException.class, () -> gate.resolve("localhost"));
            assertEquals(NetException.Kind.DENIED, e.kind());
            assertTrue(e.getMessage().contains("allowLocalhost()"), e.getMessage());
            assertEquals(List.of(), dns.asked);
        }
    }

    @Test
    void namesSharingAnAddressKeepTheirOwnPorts() throws Exception {
        ScriptedResolver dns =
                new ScriptedResolver()
                        .answer("a.example.com", "93.184.216.34")
                        .answer("b.example.com", "93.184.216.34");
        try (NetworkGate gate =
                new NetworkGate(hosts("a.example.com:443", "b.example.com:8443").build(), dns)) {
            gate.resolve("a.example.com");
            gate.resolve("b.example.com");
            assertEquals("a.example.com", gate.checkConnect(ip("93.184.216.34"), 443).hostName());
            assertEquals("b.example.com", gate.checkConnect(ip("93.184.216.34"), 8443).hostName());
            assertThrows(NetException.class, () -> gate.checkConnect(ip("93.184.216.34"), 80));
        }
    }

    @Test
    void recordsAreBounded() throws Exception {
        Resolver counting =
                name -> {
                    int n = Integer.parseInt(name.substring(1, name.indexOf('.')));
                    return List.of(IpLiteral.address(new byte[] {8, 0, (byte) (n >> 8), (byte) n}));
                };
        try (NetworkGate gate = new NetworkGate(hosts("*.example.com").build(), counting)) {
            for (int i = 0; i < NetworkGate.MAX_RECORDS + 10; i++) {
                gate.resolve("h" + i + ".example.com");
            }
            assertThrows(NetException.class, () -> gate.checkConnect(ip("8.0.0.0"), 443));
            assertEquals(
                    "h" + (NetworkGate.MAX_RECORDS + 9) + ".example.com",
                    gate.checkConnect(
                                    IpLiteral.address(
                                            new byte[] {
                                                8,
                                                0,
                                                (byte) ((NetworkGate.MAX_RECORDS + 9) >> 8),
                                                (byte) (NetworkGate.MAX_RECORDS + 9)
                                            }),
                                    443)
                            .hostName());
        }
    }

    @Test
    void closedGateRefusesQueries() {
        NetworkGate gate =
                new NetworkGate(hosts("api.example.com").build(), name -> List.of(ip("8.8.8.8")));
        gate.close();
        NetException e = assertThrows(NetException.class, () -> gate.resolve("api.example.com"));
        assertEquals(NetException.Kind.NAME_UNKNOWN, e.kind());
    }
}
