package dev.eryx.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What the server refuses before it runs anything: no sandbox boots in these tests. */
class ServerStartTest {
    @Test
    void nonLoopbackNeedsAToken() {
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () -> EryxServer.builder().host("0.0.0.0").port(0).build());
        assertTrue(e.getMessage().contains("without a token"), e.getMessage());
        // With a token it builds (not started here: nothing binds a public address in tests).
        EryxServer.builder().host("0.0.0.0").port(0).token("t0ken").build().close();
    }

    @Test
    void hostAccessNeedsATokenEvenOnLoopback() {
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () -> EryxServer.builder().port(0).grantsHostAccess(true).build());
        assertTrue(e.getMessage().contains("host access"), e.getMessage());
        EryxServer.builder().port(0).grantsHostAccess(true).token("t0ken").build().close();
    }

    @Test
    void aTakenPortFailsStartClearly() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            EryxServer server = EryxServer.builder().port(taken.getLocalPort()).build();
            ServerStartException e = assertThrows(ServerStartException.class, server::start);
            assertTrue(e.getMessage().contains("cannot bind"), e.getMessage());
            server.close();
        }
    }

    @Test
    void badOptionsAreRefusedByTheBuilder() {
        assertThrows(IllegalArgumentException.class, () -> EryxServer.builder().port(70000));
        assertThrows(IllegalArgumentException.class, () -> EryxServer.builder().token(" "));
        assertThrows(
                IllegalArgumentException.class, () -> EryxServer.builder().stateKey(new byte[8]));
        // The pool's and the tool's builders check these, with their messages.
        assertEquals(
                "poolSize: maxSize must be >= 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> EryxServer.builder().poolSize(0))
                        .getMessage());
        assertEquals(
                "acquireTimeout must be >= 0, was PT-1S",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> EryxServer.builder().acquireTimeout(Duration.ofSeconds(-1)))
                        .getMessage());
        assertEquals(
                "maxSessions must be >= 1, was 0",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> EryxServer.builder().maxSessions(0))
                        .getMessage());
        assertEquals(
                "sessionIdleTimeout must be positive, was PT0S",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> EryxServer.builder().sessionIdleTimeout(Duration.ZERO))
                        .getMessage());
        assertThrows(NullPointerException.class, () -> EryxServer.builder().acquireTimeout(null));
        assertThrows(
                NullPointerException.class, () -> EryxServer.builder().sessionIdleTimeout(null));
        assertThrows(
                IllegalArgumentException.class,
                () -> EryxServer.builder().host("no-such-host.invalid").build());
        EryxServer unstarted = EryxServer.builder().port(0).build();
        assertEquals(
                "the server is not started",
                assertThrows(IllegalStateException.class, unstarted::port).getMessage());
    }
}
