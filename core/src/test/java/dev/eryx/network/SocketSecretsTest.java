package dev.eryx.network;

import static dev.eryx.network.GuestSocketTest.PRELUDE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ExecutionResult;
import dev.eryx.NetworkPolicy;
import dev.eryx.Sandbox;
import dev.eryx.Secret;
import dev.eryx.testing.LoopbackServers;
import org.junit.jupiter.api.Test;

/** The sandbox's secrets reach the socket layer: substituted on the way out, scrubbed coming in. */
class SocketSecretsTest {
    private static final String VALUE = "s3cr3t-value-for-the-test";

    @Test
    void aPlaceholderBecomesTheValueOnLoopbackUnderAllowLocalhost() {
        try (LoopbackServers server = LoopbackServers.http();
                Sandbox sandbox =
                        Sandbox.builder()
                                .network(NetworkPolicy.builder().allowLocalhost().build())
                                .secret(Secret.of("API_KEY", VALUE).forHosts("localhost"))
                                .build()) {
            ExecutionResult r =
                    sandbox.execute(
                            PRELUDE
                                    + """
                                    key = os.environ['API_KEY']
                                    address = net(9, host='localhost', port=%1$d, family=1, type=6, flags=0)['addrs'][0][1]
                                    fd = connect(%1$d, host=address)
                                    request = ('GET /echo HTTP/1.1\\r\\nHost: localhost\\r\\n'
                                               'Authorization: Bearer ' + key + '\\r\\nConnection: close\\r\\n\\r\\n')
                                    os.write(fd, request.encode())
                                    reply = recv_all(fd).decode('latin-1')
                                    os.close(fd)
                                    result = [key, key in reply]
                                    """
                                            .formatted(server.port()));
            String placeholder = r.result().get(0).asText();
            assertFalse(placeholder.contains(VALUE));
            assertTrue(r.result().get(1).asBoolean(), "the echo comes back as the placeholder");
            assertEquals("Bearer " + VALUE, server.requests().get(0).header("Authorization"));
        }
    }
}
