package dev.eryx.internal.net.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.net.NetException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The filters between a client and a real server socket on 127.0.0.1, as the host's networking will
 * use them: the server receives the value, the client reads its echo (chunked) back as the
 * placeholder, and the placeholder bound for another host never leaves.
 */
class SecretFiltersLoopbackTest {
    private static final String VALUE = "sk-loop-0123456789abcdef";
    private ServerSocket server;
    private Thread serverThread;
    private final List<String> received = new CopyOnWriteArrayList<>();
    private SecretSet secrets;
    private String placeholder;

    /**
     * A minimal HTTP/1.1 server on a real loopback socket (the JDK HttpServer is in a module the
     * core's tests do not read yet): one request, its Authorization header echoed in a header and,
     * byte by byte, in a chunked body.
     */
    @BeforeEach
    void start() throws Exception {
        server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        serverThread =
                new Thread(
                        () -> {
                            try (Socket socket = server.accept()) {
                                String head = readHead(socket.getInputStream());
                                String auth = "";
                                for (String line : head.split("\r\n")) {
                                    if (line.toLowerCase(java.util.Locale.ROOT)
                                            .startsWith("authorization:")) {
                                        auth = line.substring(14).trim();
                                    }
                                }
                                received.add(auth);
                                StringBuilder response =
                                        new StringBuilder(
                                                "HTTP/1.1 200 OK\r\nX-Echo: "
                                                        + auth
                                                        + "\r\nTransfer-Encoding: chunked\r\n\r\n");
                                for (char c : ("{\"auth\": \"" + auth + "\"}").toCharArray()) {
                                    response.append("1\r\n").append(c).append("\r\n");
                                }
                                response.append("0\r\n\r\n");
                                OutputStream out = socket.getOutputStream();
                                out.write(
                                        response.toString().getBytes(StandardCharsets.ISO_8859_1));
                                out.flush();
                            } catch (IOException e) {
                                received.add("server failed: " + e);
                            }
                        });
        serverThread.start();
        secrets =
                SecretSet.bind(
                        List.of(new SecretValue("KEY", VALUE, List.of("127.0.0.1"), false)),
                        new SplittableRandom(5),
                        Map.of());
        placeholder = secrets.placeholders().get("KEY");
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        serverThread.join(10_000);
    }

    @Test
    void theServerGetsTheValueAndTheClientReadsThePlaceholder() throws Exception {
        ConnectionFilter filter = secrets.forConnection("127.0.0.1", true);
        int port = server.getLocalPort();
        String request =
                "GET /echo HTTP/1.1\r\nHost: 127.0.0.1:"
                        + port
                        + "\r\nAuthorization: Bearer "
                        + placeholder
                        + "\r\nConnection: close\r\n\r\n";
        byte[] guestBytes = request.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream guestReads = new ByteArrayOutputStream();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            for (int i = 0; i < guestBytes.length; i += 7) { // the guest writes in pieces
                out.write(filter.outbound(guestBytes, i, Math.min(7, guestBytes.length - i)));
            }
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[5];
            int n;
            while ((n = in.read(buffer)) > 0) {
                guestReads.writeBytes(filter.inbound(buffer, 0, n));
            }
            guestReads.writeBytes(filter.inboundEnd());
        }
        assertEquals(List.of("Bearer " + VALUE), received);
        String seen = guestReads.toString(StandardCharsets.ISO_8859_1);
        assertFalse(seen.contains(VALUE), seen);
        assertTrue(seen.contains("X-Echo: Bearer " + placeholder), seen);
        assertTrue(seen.contains("Transfer-Encoding: chunked"), seen);
        assertTrue(seen.contains(placeholder.substring(0, 3)), seen);
    }

    @Test
    void thePlaceholderToAnotherHostIsRefusedAndNothingIsSent() throws Exception {
        ConnectionFilter filter = secrets.forConnection("localhost", true);
        byte[] request =
                ("GET /echo HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                                + placeholder
                                + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1);
        NetException e =
                assertThrows(NetException.class, () -> filter.outbound(request, 0, request.length));
        assertEquals("PermissionError", e.pythonType());
        assertTrue(e.getMessage().contains("may go only to 127.0.0.1"), e.getMessage());
        assertTrue(received.isEmpty());
    }
}
