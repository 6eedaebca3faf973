package dev.eryx.network;

import static dev.eryx.StopAssertions.assertStopsWithin;
import static dev.eryx.network.GuestSocketTest.PRELUDE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Callback;
import dev.eryx.Effect;
import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.ExecutionTimeoutException;
import dev.eryx.NetworkPolicy;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the host enforces on the guest's sockets: the policy (denied connects), maxConnections,
 * maxBytes, readTimeout; stops while blocked; sockets and the ledger across executions and resets;
 * the notifier.
 */
class NetworkLimitsTest {
    private static final Duration STOP_BOUND = Duration.ofSeconds(10);

    private static Sandbox sandbox(NetworkPolicy.Builder policy) {
        return Sandbox.builder().network(policy.build()).build();
    }

    private static ExecutionResult run(Sandbox sandbox, String code) {
        return sandbox.execute(PRELUDE + code);
    }

    /** A server that accepts and then neither reads nor writes until the client goes. */
    private static TcpServer silentServer(CountDownLatch clientGone) {
        return new TcpServer(
                socket -> {
                    socket.getInputStream().read(); // -1 once the guest's side closes
                    clientGone.countDown();
                });
    }

    private static List<Effect> connections(ExecutionResult r) {
        return r.effects().stream().filter(e -> e.kind() == Effect.Kind.NETWORK_CONNECT).toList();
    }

    @Test
    void deniedConnectRaisesPermissionErrorBeforeAnyPacket() throws Exception {
        try (TcpServer server = new TcpServer(TcpServer::echo);
                Sandbox sandbox = sandbox(NetworkPolicy.builder().allowHost("example.com"))) {
            ExecutionResult r =
                    run(
                            sandbox,
                            """
                            try:
                                connect(%d)
                                result = None
                            except NetError as e:
                                result = e.args[0]
                            """
                                    .formatted(server.port()));
            assertEquals("PermissionError", r.result().get("type").asText(), r.toString());
            assertTrue(r.result().get("message").asText().contains("127.0.0.1"), r.toString());
            List<Effect> entries = connections(r);
            assertEquals(1, entries.size(), r.effects().toString());
            Effect denied = entries.get(0);
            assertEquals(Effect.Outcome.REJECTED, denied.outcome());
            assertEquals("127.0.0.1:" + server.port(), denied.target());
            assertEquals(r.result().get("message").asText(), denied.error().orElseThrow());
            assertEquals(0, denied.bytes());
            Thread.sleep(100);
            assertEquals(0, server.accepted());
        }
    }

    @Test
    void withoutAPolicyEveryOperationButTheNotifierIsRefused() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            ExecutionResult r =
                    sandbox.execute(
                            PRELUDE
                                    + """
                                    try:
                                        net(10, family=1, type=6, proto=0)
                                        result = None
                                    except NetError as e:
                                        result = [e.args[0], net(15)['fd'] > 2]
                                    """);
            assertEquals("PermissionError", r.result().get(0).get("type").asText());
            assertEquals("EPERM", r.result().get(0).get("errno").asText());
            assertEquals(
                    "the sandbox has no network (Sandbox.Builder.network)",
                    r.result().get(0).get("message").asText());
            assertTrue(r.result().get(1).asBoolean());
        }
    }

    @Test
    void udpIsRefused() {
        try (Sandbox sandbox = sandbox(NetworkPolicy.builder().allowLocalhost())) {
            ExecutionResult r =
                    run(
                            sandbox,
                            """
                            try:
                                net(10, family=1, type=5, proto=0)
                                result = None
                            except NetError as e:
                                result = e.args[0]
                            """);
            assertEquals("PermissionError", r.result().get("type").asText());
            assertEquals(
                    "UDP and raw sockets are not available", r.result().get("message").asText());
        }
    }

    @Test
    void maxConnectionsCountsOpenConnections() throws Exception {
        try (TcpServer server = new TcpServer(TcpServer::echo);
                Sandbox sandbox =
                        sandbox(NetworkPolicy.builder().allowLocalhost().maxConnections(1))) {
            ExecutionResult r =
                    run(
                            sandbox,
                            """
                            first = connect(%1$d)
                            try:
                                connect(%1$d)
                                second = None
                            except NetError as e:
                                second = e.args[0]
                            os.close(first)
                            third = connect(%1$d)
                            os.close(third)
                            result = second
                            """
                                    .formatted(server.port()));
            assertEquals("OSError", r.result().get("type").asText(), r.toString());
            assertTrue(r.result().get("message").asText().contains("maxConnections"));
            List<Effect> entries = connections(r);
            assertEquals(
                    List.of(Effect.Outcome.OK, Effect.Outcome.OK, Effect.Outcome.REJECTED),
                    entries.stream().map(Effect::outcome).sorted().toList(),
                    entries.toString());
        }
    }

    @Test
    void maxBytesStopsAHugeResponse() throws Exception {
        try (TcpServer server =
                        new TcpServer(
                                socket -> {
                                    OutputStream out = socket.getOutputStream();
                                    byte[] chunk = new byte[64 * 1024];
                                    for (int i = 0; i < 16 * 16; i++) { // 16 MiB at most
                                        out.write(chunk);
                                    }
                                });
                Sandbox sandbox =
                        sandbox(NetworkPolicy.builder().allowLocalhost().maxBytes(100_000))) {
            ExecutionResult r =
                    run(
                            sandbox,
                            """
                            fd = connect(%d)
                            total = 0
                            try:
                                while True:
                                    b = os.read(fd, 65536)
                                    if not b:
                                        break
                                    total += len(b)
                                result = ['eof', total]
                            except OSError as e:
                                result = [errno.errorcode[e.errno], total]
                            os.close(fd)
                            """
                                    .formatted(server.port()));
            assertEquals("EDQUOT", r.result().get(0).asText(), r.toString());
            assertEquals(100_000, r.result().get(1).asInt());
            Effect entry = connections(r).get(0);
            assertEquals(100_000, entry.connection().orElseThrow().bytesReceived());
        }
    }

    @Test
    void blockingReceiveTimesOutAfterReadTimeout() throws Exception {
        CountDownLatch gone = new CountDownLatch(1);
        try (TcpServer server = silentServer(gone);
                Sandbox sandbox =
                        sandbox(
                                NetworkPolicy.builder()
                                        .allowLocalhost()
                                        .readTimeout(Duration.ofMillis(300)))) {
            ExecutionResult r =
                    run(
                            sandbox,
                            """
                            fd = connect(%d)
                            try:
                                os.read(fd, 10)
                                result = 'data'
                            except TimeoutError:
                                result = 'TimeoutError'
                            os.close(fd)
                            """
                                    .formatted(server.port()));
            assertEquals("TimeoutError", r.result().asText());
            assertTrue(gone.await(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void executionTimeoutStopsAGuestBlockedInRecv() throws Exception {
        CountDownLatch gone = new CountDownLatch(1);
        try (TcpServer server = silentServer(gone);
                Sandbox sandbox = sandbox(NetworkPolicy.builder().allowLocalhost())) {
            ResourceLimits limits =
                    sandbox.resourceLimits().toBuilder()
                            .executionTimeout(Duration.ofMillis(500))
                            .build();
            // Connected in an execution of its own: a cold first execution on a loaded machine can
            // take longer than the timeout under test.
            sandbox.execute(PRELUDE + "fd = connect(%d)".formatted(server.port()));
            String code = "import os\nos.read(fd, 10)\n";
            assertStopsWithin(
                    ExecutionTimeoutException.class,
                    STOP_BOUND,
                    () -> sandbox.execute(code, limits));
            assertTrue(sandbox.isUsable());
            // The stopped execution's socket is the guest's until it closes it.
            sandbox.execute("import os\nos.close(fd)");
            assertTrue(gone.await(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void cancelStopsAGuestBlockedInPoll() throws Exception {
        CountDownLatch gone = new CountDownLatch(1);
        CountDownLatch waiting = new CountDownLatch(1);
        try (TcpServer server = silentServer(gone);
                Sandbox sandbox =
                        Sandbox.builder()
                                .network(NetworkPolicy.builder().allowLocalhost().build())
                                .stdout(text -> waiting.countDown())
                                .build()) {
            ExecutionHandle handle =
                    sandbox.executeAsync(
                            PRELUDE
                                    + """
                                    fd = connect(%d)
                                    print('waiting', flush=True)
                                    select.select([fd], [], [])
                                    """
                                            .formatted(server.port()));
            assertTrue(waiting.await(20, TimeUnit.SECONDS));
            Thread.sleep(100);
            handle.cancel();
            assertStopsWithin(ExecutionCancelledException.class, STOP_BOUND, handle::get);
            assertTrue(sandbox.isUsable());
            assertEquals(2, sandbox.execute("result = 1 + 1").result().asInt());
        }
    }

    @Test
    void resetClosesTheGuestsSockets() throws Exception {
        CountDownLatch gone = new CountDownLatch(1);
        try (TcpServer server = silentServer(gone);
                Sandbox sandbox = sandbox(NetworkPolicy.builder().allowLocalhost())) {
            run(sandbox, "fd = connect(%d)".formatted(server.port()));
            assertFalse(gone.await(200, TimeUnit.MILLISECONDS));
            assertTrue(sandbox.reset());
            assertTrue(gone.await(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void saveStateClosesTheGuestsSockets() throws Exception {
        CountDownLatch gone = new CountDownLatch(1);
        try (TcpServer server = silentServer(gone);
                Sandbox sandbox = sandbox(NetworkPolicy.builder().allowLocalhost())) {
            run(sandbox, "fd = connect(%d)".formatted(server.port()));
            byte[] state = sandbox.saveState();
            assertTrue(gone.await(10, TimeUnit.SECONDS));
            String readFd =
                    "import os\ntry:\n    os.read(fd, 1)\n    result = 'open'\n"
                            + "except OSError as e:\n    result = e.errno";
            assertEquals(8, sandbox.execute(readFd).result().asInt()); // wasi-libc's EBADF
            try (Sandbox restored =
                    Sandbox.builder()
                            .network(NetworkPolicy.builder().allowLocalhost().build())
                            .restoreFrom(state)
                            .build()) {
                assertEquals(8, restored.execute(readFd).result().asInt());
            }
        }
    }

    @Test
    void ledgerRecordsAConnectionWithItsBytes() throws Exception {
        try (TcpServer server = new TcpServer(TcpServer::echo);
                Sandbox sandbox = sandbox(NetworkPolicy.builder().allowLocalhost())) {
            ExecutionResult r =
                    run(
                            sandbox,
                            """
                            fd = connect(%d)
                            os.write(fd, b'12345')
                            got = b''
                            while len(got) < 5:
                                got += os.read(fd, 5)
                            """
                                    .formatted(server.port()));
            Effect open = connections(r).get(0);
            assertEquals(Effect.Outcome.OK, open.outcome());
            assertEquals(10, open.bytes());
            Effect.Connection c = open.connection().orElseThrow();
            assertEquals(5, c.bytesSent());
            assertEquals(5, c.bytesReceived());
            assertEquals("127.0.0.1", c.address());
            assertEquals(server.port(), c.port());
            assertFalse(c.tls());
            // Still open: the next execution's entry covers its own bytes, written at close.
            ExecutionResult closing =
                    sandbox.execute("import os\nos.write(fd, b'ab')\nos.close(fd)");
            Effect closed = connections(closing).get(0);
            assertEquals(2, closed.connection().orElseThrow().bytesSent());
        }
    }

    @Test
    void notifierIsReadableOnceAHostCallFinished() {
        try (Sandbox sandbox =
                Sandbox.builder()
                        .callback(
                                Callback.of(
                                        "slow",
                                        "answers after 300 ms",
                                        args -> {
                                            try {
                                                Thread.sleep(300);
                                            } catch (InterruptedException e) {
                                                Thread.currentThread().interrupt();
                                            }
                                            return "done";
                                        }))
                        .build()) {
            ExecutionResult r =
                    sandbox.execute(
                            PRELUDE
                                    + """
                                    import time
                                    nfd = net(15)['fd']
                                    call = int(_eryx.invoke(2, json.dumps({'name': 'slow', 'args': {}}).encode()))
                                    before = select.select([nfd], [], [], 0)[0]
                                    t = time.monotonic()
                                    ready = select.select([nfd], [], [], 10)[0]
                                    waited = time.monotonic() - t
                                    answer = json.loads(_eryx.invoke(3, b'0'))
                                    after = select.select([nfd], [], [], 0)[0]
                                    result = [before, ready == [nfd], answer['value'], after, waited < 5]
                                    """);
            assertEquals("[[],true,\"done\",[],true]", r.result().toString(), r.toString());
        }
    }
}
