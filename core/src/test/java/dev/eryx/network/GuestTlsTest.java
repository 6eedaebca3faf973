package dev.eryx.network;

import static dev.eryx.network.GuestSocketTest.PRELUDE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Effect;
import dev.eryx.ExecutionResult;
import dev.eryx.NetworkPolicy;
import dev.eryx.Sandbox;
import dev.eryx.testing.LoopbackServers;
import dev.eryx.testing.TestCertificates;
import org.junit.jupiter.api.Test;

/** TLS in the host: NET_TLS_WRAP on a descriptor, and a TLS object driven step by step. */
class GuestTlsTest {
    private static final String GET =
            """
            REQUEST = b'GET /bytes?n=5000 HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n'
            """;

    private static Sandbox trusting(TestCertificates.Identity identity) {
        return Sandbox.builder()
                .network(
                        NetworkPolicy.builder()
                                .allowLocalhost()
                                .trustCertificates(identity.serverCertificate())
                                .build())
                .build();
    }

    @Test
    void wrapOnADescriptorWithATrustedCertificate() {
        TestCertificates.Identity identity = TestCertificates.localhost();
        try (LoopbackServers server = LoopbackServers.https(identity);
                Sandbox sandbox = trusting(identity)) {
            ExecutionResult r =
                    sandbox.execute(
                            PRELUDE
                                    + GET
                                    + """
                                    fd = connect(%d)
                                    facts = net(12, fd=fd, server_hostname='localhost', alpn=['http/1.1'],
                                                cadata=None, timeout=10)
                                    os.write(fd, REQUEST)
                                    reply = recv_all(fd)
                                    os.close(fd)
                                    head, _, body = reply.partition(b'\\r\\n\\r\\n')
                                    result = [head.split(b'\\r\\n')[0].decode(), len(body), facts['version'],
                                              facts['alpn'], facts['peercert']['subjectAltName'],
                                              len(facts['peercert_der']) > 100, facts['cipher'][2] >= 128]
                                    """
                                            .formatted(server.port()));
            assertEquals("HTTP/1.1 200 OK", r.result().get(0).asText(), r.toString());
            assertEquals(5000, r.result().get(1).asInt());
            assertTrue(r.result().get(2).asText().startsWith("TLSv1."));
            assertTrue(r.result().get(4).toString().contains("localhost"), r.toString());
            assertTrue(r.result().get(5).asBoolean());
            assertTrue(r.result().get(6).asBoolean());
            Effect entry =
                    r.effects().stream()
                            .filter(e -> e.kind() == Effect.Kind.NETWORK_CONNECT)
                            .findFirst()
                            .orElseThrow();
            assertTrue(entry.connection().orElseThrow().tls());
            assertTrue(entry.connection().orElseThrow().bytesReceived() > 5000);
        }
    }

    @Test
    void anUntrustedCertificateFailsVerificationWhateverTheGuestSays() {
        TestCertificates.Identity identity = TestCertificates.localhost();
        try (LoopbackServers server = LoopbackServers.https(identity);
                Sandbox sandbox =
                        Sandbox.builder()
                                .network(NetworkPolicy.builder().allowLocalhost().build())
                                .build()) {
            ExecutionResult r =
                    sandbox.execute(
                            PRELUDE
                                    + """
                                    fd = connect(%d)
                                    try:
                                        # the guest's own anchor is ignored: the policy does not trust guest anchors
                                        net(12, fd=fd, server_hostname='localhost', alpn=None,
                                            cadata=%s, timeout=10)
                                        result = None
                                    except NetError as e:
                                        result = e.args[0]
                                    """
                                            .formatted(
                                                    server.port(), pythonString(identity.pem())));
            assertEquals("SSLCertVerificationError", r.result().get("type").asText(), r.toString());
            assertTrue(r.result().get("verify_code").asInt() > 0, r.toString());
            assertTrue(r.result().has("verify_message"));
        }
    }

    @Test
    void aTlsObjectDrivenThroughMemoryBuffers() {
        TestCertificates.Identity identity = TestCertificates.localhost();
        try (LoopbackServers server = LoopbackServers.https(identity);
                Sandbox sandbox = trusting(identity)) {
            ExecutionResult r =
                    sandbox.execute(
                            PRELUDE
                                    + GET
                                    + """
                                    fd = connect(%d)
                                    tid = net(13, server_hostname='localhost', alpn=None, cadata=None)['id']
                                    incoming = b''
                                    def step(op, **kw):
                                        global incoming
                                        payload = dict(id=tid, op=op, incoming=incoming.decode('latin-1'),
                                                       eof=False, **kw)
                                        answer = json.loads(_eryx.invoke(14, json.dumps(payload).encode()))
                                        incoming = b''
                                        out = answer['outgoing'].encode('latin-1')
                                        while out:
                                            out = out[os.write(fd, out):]
                                        return answer
                                    answer = step('handshake')
                                    facts = None
                                    while not answer['done']:
                                        incoming = os.read(fd, 65536)
                                        answer = step('handshake')
                                        facts = facts or (answer if 'version' in answer else None)
                                    assert step('write', data=REQUEST.decode('latin-1'))['written'] == len(REQUEST)
                                    body = b''
                                    while True:
                                        answer = step('read', n=65536)
                                        body += answer['data'].encode('latin-1')
                                        if answer['status'] == 'eof':
                                            break
                                        if answer['status'] == 'want_read':
                                            incoming = os.read(fd, 65536)
                                            if not incoming:
                                                break
                                    net(16, id=tid)
                                    os.close(fd)
                                    result = [body.split(b'\\r\\n')[0].decode(), facts is not None and facts['version']]
                                    """
                                            .formatted(server.port()));
            assertEquals("HTTP/1.1 200 OK", r.result().get(0).asText(), r.toString());
            assertTrue(r.result().get(1).asText().startsWith("TLSv1."), r.toString());
        }
    }

    private static String pythonString(String text) {
        return "'" + text.replace("\\", "\\\\").replace("\n", "\\n").replace("'", "\\'") + "'";
    }
}
