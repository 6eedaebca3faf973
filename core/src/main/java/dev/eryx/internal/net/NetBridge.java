package dev.eryx.internal.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eryx.internal.bridge.BridgeFailure;
import dev.eryx.internal.bridge.BridgeOp;
import dev.eryx.internal.net.tls.TlsFailure;
import dev.eryx.internal.vfs.ErrnoException;
import dev.eryx.internal.wasi.GuestSocket;
import dev.eryx.internal.wasi.WasiPreview1;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Answers the bridge's NET_* operations (docs/bridge-abi.md, "Network operations"): parses the
 * guest's JSON, acts through the sandbox's {@link NetSession}, and answers JSON, or fails with
 * {@link BridgeFailure#ERROR} and a JSON message naming the Python exception to raise. Guest thread
 * only.
 */
public final class NetBridge {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Address families as the guest's {@code _socket} numbers them (wasi-libc). */
    static final int AF_UNSPEC = 0;

    static final int AF_INET = 1;
    static final int AF_INET6 = 2;

    /** The guest's SOCK_STREAM (wasi-libc: the WASI filetype); flags live in higher bits. */
    static final int SOCK_STREAM = 6;

    private static final int SOCK_TYPE_MASK = 0xF;
    private static final int IPPROTO_TCP = 6;

    private static final String NO_NETWORK = "the sandbox has no network (Sandbox.Builder.network)";

    private final NetSession session;
    private final Supplier<WasiPreview1> wasi;

    /**
     * @param wasi the WASI of the running guest (replaced by a pool reset)
     */
    public NetBridge(NetSession session, Supplier<WasiPreview1> wasi) {
        this.session = session;
        this.wasi = wasi;
    }

    public byte[] handle(BridgeOp op, byte[] request) {
        try {
            if (op != BridgeOp.NET_NOTIFIER && !session.enabled()) {
                throw failure("PermissionError", "EPERM", NO_NETWORK);
            }
            JsonNode json = parse(request);
            ObjectNode answer =
                    switch (op) {
                        case NET_RESOLVE -> resolve(json);
                        case NET_SOCKET -> socket(json);
                        case NET_CONNECT -> connect(json);
                        case NET_NOTIFIER -> notifier();
                        case NET_TLS_WRAP -> tlsWrap(json);
                        case NET_TLS_OBJECT -> tlsObject(json);
                        case NET_TLS_STEP -> tlsStep(json);
                        case NET_CLOSE -> close(json);
                        default ->
                                throw new BridgeFailure(
                                        BridgeFailure.UNKNOWN_OP,
                                        op + " is not a network operation");
                    };
            return answer.toString().getBytes(StandardCharsets.UTF_8);
        } catch (NetException e) {
            throw failure(e);
        } catch (TlsFailure e) {
            throw failure(e);
        } catch (IllegalArgumentException e) {
            throw failure("ValueError", null, e.getMessage());
        } catch (ErrnoException e) {
            throw failure("OSError", "E" + e.errno().name(), e.getMessage());
        }
    }

    // ================================================================== operations

    private ObjectNode resolve(JsonNode json) throws NetException {
        String host = text(json, "host");
        int family = json.path("family").asInt(AF_UNSPEC);
        if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
            throw failure("gaierror", "EAI_FAMILY", "address family " + family + " not supported");
        }
        List<InetAddress> addresses = session.gate().resolve(host);
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode addrs = answer.putArray("addrs");
        for (InetAddress address : addresses) {
            int f = address instanceof Inet6Address ? AF_INET6 : AF_INET;
            if (family == AF_UNSPEC || family == f) {
                addrs.addArray().add(f).add(address.getHostAddress());
            }
        }
        if (addrs.isEmpty()) {
            throw new NetException(
                    NetException.Kind.NAME_UNKNOWN,
                    host + " has no address of the family asked for");
        }
        answer.put("canonname", host);
        return answer;
    }

    private ObjectNode socket(JsonNode json) {
        int family = json.path("family").asInt(AF_INET);
        int type = json.path("type").asInt(SOCK_STREAM);
        int proto = json.path("proto").asInt(0);
        if ((type & SOCK_TYPE_MASK) != SOCK_STREAM || (proto != 0 && proto != IPPROTO_TCP)) {
            throw failure("PermissionError", "EPERM", "UDP and raw sockets are not available");
        }
        if (family != AF_INET && family != AF_INET6) {
            throw failure("OSError", "EAFNOSUPPORT", "address family " + family + " not supported");
        }
        int fd = wasi.get().openSocket(new Connection(session));
        ObjectNode answer = JSON.createObjectNode();
        answer.put("fd", fd);
        return answer;
    }

    private ObjectNode connect(JsonNode json) throws NetException {
        Connection connection = connection(json);
        InetAddress address = literal(text(json, "address"));
        int port = json.path("port").asInt(-1);
        if (port < 0 || port > 65535) {
            throw failure("OverflowError", null, "connect(): port must be 0-65535.");
        }
        connection.connect(address, port, timeoutNanos(json));
        ObjectNode answer = JSON.createObjectNode();
        answer.set("peer", pair(connection.peer()));
        answer.set("local", pair(connection.local()));
        return answer;
    }

    private ObjectNode notifier() {
        int fd = wasi.get().openSocket(new Notifier(session.callbackFinishedCheck()));
        ObjectNode answer = JSON.createObjectNode();
        answer.put("fd", fd);
        return answer;
    }

    private ObjectNode tlsWrap(JsonNode json) throws NetException, TlsFailure {
        Connection connection = connection(json);
        return connection.startTls(
                optionalText(json, "server_hostname"),
                strings(json, "alpn"),
                optionalText(json, "cadata"),
                timeoutNanos(json));
    }

    private ObjectNode tlsObject(JsonNode json) throws NetException, TlsFailure {
        String name = optionalText(json, "server_hostname");
        if (name == null) {
            throw failure("ValueError", null, "server_hostname is required: TLS always verifies");
        }
        TlsObjects objects = session.tlsObjects();
        int max = 4 * session.policy().maxConnections() + 16;
        if (objects.size() >= max) {
            throw new NetException(
                    NetException.Kind.LIMIT,
                    "too many TLS objects: " + max + " are open (4 per maxConnections, plus 16)");
        }
        TlsEngine engine =
                new TlsEngine(session, name, strings(json, "alpn"), optionalText(json, "cadata"));
        ObjectNode answer = JSON.createObjectNode();
        answer.put("id", objects.add(engine));
        return answer;
    }

    private ObjectNode tlsStep(JsonNode json) throws NetException, TlsFailure {
        long id = json.path("id").asLong(-1);
        if (!(session.tlsObjects().get(id) instanceof TlsEngine engine)) {
            throw failure("ValueError", null, "no TLS object " + id + " (closed or reset)");
        }
        String incoming = optionalText(json, "incoming");
        String data = optionalText(json, "data");
        return engine.step(
                text(json, "op"),
                incoming == null ? new byte[0] : latin1(incoming),
                json.path("eof").asBoolean(false),
                json.path("n").asInt(0),
                data == null ? new byte[0] : latin1(data));
    }

    private ObjectNode close(JsonNode json) {
        session.tlsObjects().remove(json.path("id").asLong(-1));
        return JSON.createObjectNode();
    }

    // ================================================================== helpers

    /** A latin-1 string's bytes, one per character; a character above U+00FF is refused. */
    private static byte[] latin1(String text) {
        byte[] bytes = new byte[text.length()];
        for (int i = 0; i < bytes.length; i++) {
            char c = text.charAt(i);
            if (c > 0xFF) {
                throw failure("ValueError", null, "bytes must travel as latin-1 characters");
            }
            bytes[i] = (byte) c;
        }
        return bytes;
    }

    private static String optionalText(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw failure("TypeError", null, "'" + field + "' must be a string or null");
        }
        return value.asText();
    }

    private static List<String> strings(JsonNode json, String field) {
        JsonNode value = json.get(field);
        List<String> out = new ArrayList<>();
        if (value == null || value.isNull()) {
            return out;
        }
        if (!value.isArray()) {
            throw failure("TypeError", null, "'" + field + "' must be a list of strings");
        }
        for (JsonNode item : value) {
            if (!item.isTextual()) {
                throw failure("TypeError", null, "'" + field + "' must be a list of strings");
            }
            out.add(item.asText());
        }
        return out;
    }

    private Connection connection(JsonNode json) {
        long fd = json.path("fd").asLong(-1);
        GuestSocket socket = wasi.get().socketAt(fd);
        if (socket instanceof Connection c) {
            return c;
        }
        throw failure("OSError", "ENOTSOCK", "descriptor " + fd + " is not a socket");
    }

    private static long timeoutNanos(JsonNode json) {
        JsonNode timeout = json.get("timeout");
        if (timeout == null || timeout.isNull()) {
            return Long.MAX_VALUE;
        }
        double seconds = timeout.asDouble();
        if (!(seconds >= 0)) {
            throw failure("ValueError", null, "timeout must be a non-negative number");
        }
        return seconds >= Long.MAX_VALUE / 1e9 ? Long.MAX_VALUE : (long) (seconds * 1e9);
    }

    /**
     * An IP literal, never resolved, in any form the guest's C library accepts ({@link IpLiteral}).
     * A name here is the guest skipping NET_RESOLVE: refused.
     */
    static InetAddress literal(String text) throws NetException {
        return IpLiteral.parse(text)
                .orElseThrow(
                        () ->
                                new NetException(
                                        NetException.Kind.NAME_UNKNOWN,
                                        "connect() takes an IP address (resolve names with"
                                                + " getaddrinfo): "
                                                + text));
    }

    private static ArrayNode pair(InetSocketAddress address) {
        ArrayNode pair = JSON.createArrayNode();
        pair.add(address.getAddress().getHostAddress()).add(address.getPort());
        return pair;
    }

    private static JsonNode parse(byte[] request) {
        if (request.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode json = JSON.readTree(request);
            if (json == null || !json.isObject()) {
                throw failure("ValueError", null, "a network request must be a JSON object");
            }
            return json;
        } catch (IOException e) {
            throw failure("ValueError", null, "malformed network request: " + e.getMessage());
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isTextual()) {
            throw failure("TypeError", null, "'" + field + "' must be a string");
        }
        return value.asText();
    }

    /** The failure the guest raises for {@code e}: its type, errno and message. */
    static BridgeFailure failure(NetException e) {
        return failure(e.pythonType(), e.errnoName(), e.getMessage());
    }

    /** A TLS failure: CPython's type, and for a certificate the verify code and message. */
    static BridgeFailure failure(TlsFailure e) {
        ObjectNode json = JSON.createObjectNode();
        json.put("type", e.pythonType());
        json.putNull("errno");
        if (e.certificateVerify()) {
            // The guest builds CPython's text around verify_message.
            json.put("message", e.verifyMessage());
            json.put("verify_code", e.verifyCode());
            json.put("verify_message", e.verifyMessage());
        } else {
            json.put("message", e.getMessage());
        }
        return new BridgeFailure(BridgeFailure.ERROR, json.toString());
    }

    static BridgeFailure failure(String type, String errno, String message) {
        ObjectNode json = JSON.createObjectNode();
        json.put("type", type);
        if (errno == null) {
            json.putNull("errno");
        } else {
            json.put("errno", errno);
        }
        json.put("message", message);
        return new BridgeFailure(BridgeFailure.ERROR, json.toString());
    }
}
