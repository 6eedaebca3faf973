package dev.eryx.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ExecutionResult;
import dev.eryx.NetworkPolicy;
import dev.eryx.Sandbox;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The guest's sockets over the raw bridge operations and WASI (no guest socket module needed):
 * descriptors, blocking and non-blocking reads, poll readiness, EOF, shutdown, refused connects.
 */
class GuestSocketTest {
    /** The guest side: bridge calls as functions raising the host's failure as a dict. */
    static final String PRELUDE =
            """
            import _eryx, json, os, select, errno
            class NetError(Exception):
                pass
            def net(op, **kw):
                try:
                    return json.loads(_eryx.invoke(op, json.dumps(kw).encode()))
                except RuntimeError as e:
                    raise NetError(json.loads(str(e))) from None
            def connect(port, host='127.0.0.1', timeout=None):
                fd = net(10, family=1, type=6, proto=0)['fd']
                net(11, fd=fd, address=host, port=port, timeout=timeout)
                return fd
            def recv_all(fd):
                chunks = []
                while True:
                    b = os.read(fd, 65536)
                    if not b:
                        return b''.join(chunks)
                    chunks.append(b)
            """;

    static Sandbox localSandbox() {
        return Sandbox.builder().network(NetworkPolicy.builder().allowLocalhost().build()).build();
    }

    static ExecutionResult run(Sandbox sandbox, String code) {
        return sandbox.execute(PRELUDE + code);
    }

    @Test
    void connectSendReceiveRoundTrip() throws Exception {
        try (TcpServer server = new TcpServer(TcpServer::echo);
                Sandbox sandbox = localSandbox()) {
            ExecutionResult r =
                    run(
                            sandbox,
                            """
                            fd = net(10, family=1, type=6, proto=0)['fd']
                            answer = net(11, fd=fd, address='127.0.0.1', port=%d, timeout=5)
                            assert os.write(fd, b'hello, host') == 11
                            got = b''
                            while len(got) < 11:
                                got += os.read(fd, 100)
                            os.close(fd)
                            result = [got.decode(), answer['peer'], answer['local'][0]]
                            """
                                    .formatted(server.port()));
            assertEquals("hello, host", r.result().get(0).asText());
            assertEquals("127.0.0.1", r.result().get(1).get(0).asText());
            assertEquals(server.port(), r.result().get(1).get(1).asInt());
            assertEquals("127.0.0.1", r.result().get(2).asText());
        }
    }

    @Test
    void nonBlockingReceiveWouldBlockThenPollSaysReadable() throws Exception {
        try (TcpServer server =
                        new TcpServer(
                                socket -> {
                                    InputStream in = socket.getInputStream();
                                    in.read(); // the guest's go-ahead
                                    OutputStream out = socket.getOutputStream();
                                    out.write("late".getBytes(StandardCharsets.US_ASCII));
                                    out.flush();
                                    in.read();
                                });
                Sandbox sandbox = localSandbox()) {
            ExecutionResult r =
                    run(
                            sandbox,
                            """
                            fd = connect(%d)
                            os.set_blocking(fd, False)
                            try:
                                os.read(fd, 10)
                                first = 'data'
                            except BlockingIOError:
                                first = 'EAGAIN'
                            before = select.select([fd], [], [], 0)[0]
                            os.write(fd, b'g')
                            ready = select.select([fd], [], [], 10)[0]
                            result = [first, before, ready == [fd], os.read(fd, 10).decode(),
                                      select.select([], [fd], [], 0)[1] == [fd]]
                            """
                                    .formatted(server.port()));
            assertEquals("[\"EAGAIN\",[],true,\"late\",true]", r.result().toString(), r.toString());
        }
    }

    @Test
    void endOfStreamAndShutdown() throws Exception {
        try (TcpServer server =
                        new TcpServer(
                                socket -> {
                                    // Reads until the guest shuts down its side, then answers.
                                    byte[] all = socket.getInputStream().readAllBytes();
                                    socket.getOutputStream()
                                            .write(("got " + all.length).getBytes());
                                    socket.shutdownOutput();
                                });
                Sandbox sandbox = localSandbox()) {
            ExecutionResult r =
                    run(
                            sandbox,
                            """
                            import socket
                            fd = connect(%d)
                            os.write(fd, b'x' * 100000)
                            os.fsync  # noqa
                            import _eryx
                            # sock_shutdown(SHUT_WR) through the guest's socket module if present
                            s = socket.socket(fileno=fd) if hasattr(socket, 'socket') else None
                            try:
                                s.shutdown(socket.SHUT_WR)
                                how = 'socket'
                            except Exception as e:
                                how = repr(e)
                            body = recv_all(fd)
                            result = [how, body.decode(), os.read(fd, 10).decode()]
                            """
                                    .formatted(server.port()));
            assertEquals("got 100000", r.result().get(1).asText(), r.toString());
            assertEquals("", r.result().get(2).asText());
        }
    }

    @Test
    void refusedConnectionRaisesConnectionRefused() throws Exception {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            port = probe.getLocalPort(); // closed now: nothing listens there
        }
        try (Sandbox sandbox = localSandbox()) {
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
                                    .formatted(port));
            assertEquals("ConnectionRefusedError", r.result().get("type").asText(), r.toString());
            assertEquals("ECONNREFUSED", r.result().get("errno").asText());
            assertTrue(sandbox.isUsable());
        }
    }

    @Test
    void theCallbackNotifierOutlivesASaveStateButConnectionsDoNot() throws Exception {
        try (TcpServer server = new TcpServer(TcpServer::echo);
                Sandbox sandbox =
                        Sandbox.builder()
                                .network(NetworkPolicy.builder().allowLocalhost().build())
                                .callback(dev.eryx.Callback.of("twice", "doubles", args -> 2 * 21))
                                .build()) {
            assertEquals(42, sandbox.execute("result = await twice()").result().asInt());
            run(sandbox, "fd = connect(%d)".formatted(server.port()));
            sandbox.saveState();
            // The connection is gone; the loop's notifier is not, so host calls still wake it.
            ExecutionResult r =
                    sandbox.execute(
                            String.join(
                                    "\n",
                                    "import os, errno, asyncio",
                                    "try:",
                                    "    os.write(fd, b'x'); closed = False",
                                    "except OSError as e:",
                                    "    closed = e.errno == errno.EBADF",
                                    "a, b = await asyncio.gather(twice(), twice())",
                                    "result = [closed, a + b]"));
            assertEquals("[true,84]", r.result().toString());
        }
    }
}
