package dev.eryx.internal.net.secrets;

import dev.eryx.internal.net.NetException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * The outbound filter of a connection a secret is bound to: a strict streaming HTTP/1.1 request
 * parser that puts real values in place of placeholders in header values (Basic credentials
 * decoded, substituted and re-encoded) and, for {@code inQuery} secrets, in the query string
 * (percent-encoded). Request and header lines are held until their CRLF; bodies (Content-Length or
 * chunked) pass through unchanged, several requests may follow one another (pipelining). Anything
 * it cannot follow is refused ({@link NetException.Kind#SECRET}), after which the connection stays
 * refused: nothing of the refused write is sent. Not thread-safe.
 */
final class RequestRewriter implements OutboundFilter {
    /** Longest request, header or chunk-size line. */
    static final int MAX_LINE = 64 * 1024;

    /** Longest request head (request line and headers), held until its end is checked. */
    static final int MAX_HEAD = 1024 * 1024;

    /** A secret this connection may carry: placeholder → value, as latin-1 strings of bytes. */
    record Binding(String name, String placeholder, String value, boolean inQuery) {}

    private enum State {
        REQUEST_LINE,
        HEADERS,
        BODY,
        CHUNK_SIZE,
        CHUNK_DATA,
        CHUNK_DATA_END,
        TRAILERS
    }

    private final List<Binding> bindings;
    private final List<PlaceholderGuard.Refusal> foreign;
    private final PlaceholderGuard bodyGuard;
    private final String host;

    private State state = State.REQUEST_LINE;
    private final ByteBuilder line = new ByteBuilder(256);
    private long remaining;
    private long contentLength;
    private boolean chunked;
    private String refused;

    /**
     * The request line and headers of the current request, held until its Host is checked: a
     * request carrying a secret must name this connection's host (a shared front end, a CDN, would
     * otherwise route it by Host to someone else).
     */
    private final ByteBuilder head = new ByteBuilder(1024);

    private boolean substituted;
    private boolean originForm;
    private int hostHeaders;
    private String hostHeader;
    private boolean hostChecked;

    /**
     * @param foreign placeholders of secrets not bound here, refused anywhere in a request
     */
    RequestRewriter(String host, List<Binding> bindings, List<PlaceholderGuard.Refusal> foreign) {
        this.host = host;
        this.bindings = List.copyOf(bindings);
        this.foreign = List.copyOf(foreign);
        this.bodyGuard = new PlaceholderGuard(foreign);
    }

    @Override
    public byte[] outbound(byte[] b, int off, int len) throws NetException {
        if (refused != null) {
            throw new NetException(NetException.Kind.SECRET, refused);
        }
        try {
            return rewrite(b, off, len);
        } catch (NetException e) {
            refused = e.getMessage();
            throw e;
        }
    }

    private byte[] rewrite(byte[] b, int off, int len) throws NetException {
        ByteBuilder out = new ByteBuilder(len + 64);
        int end = off + len;
        int i = off;
        while (i < end) {
            if (state == State.BODY || state == State.CHUNK_DATA) {
                int n = (int) Math.min(remaining, end - i);
                bodyGuard.check(b, i, n);
                out.add(b, i, n);
                i += n;
                remaining -= n;
                if (remaining == 0) {
                    state = state == State.BODY ? State.REQUEST_LINE : State.CHUNK_DATA_END;
                }
                continue;
            }
            byte c = b[i++];
            if (c != '\n') {
                if (line.length() >= MAX_LINE) {
                    throw refuse("a line longer than " + MAX_LINE + " bytes");
                }
                line.add(c);
                continue;
            }
            int n = line.length();
            if (n == 0 || line.at(n - 1) != '\r') {
                throw refuse("a line ending in a bare LF (HTTP/1.1 lines end in CRLF)");
            }
            String text = new String(line.array(), 0, n - 1, StandardCharsets.ISO_8859_1);
            line.clear();
            if (text.indexOf('\r') >= 0 || text.indexOf('\0') >= 0) {
                throw refuse("CR or NUL inside a line");
            }
            State before = state;
            String rewritten = line(text);
            boolean inHead =
                    (before == State.REQUEST_LINE && !text.isEmpty()) || before == State.HEADERS;
            ByteBuilder target = inHead ? head : out;
            target.add(rewritten.getBytes(StandardCharsets.ISO_8859_1));
            target.add((byte) '\r');
            target.add((byte) '\n');
            if (head.length() > MAX_HEAD) {
                throw refuse("request headers longer than " + MAX_HEAD + " bytes");
            }
            if (inHead && state != State.HEADERS) {
                out.add(head.array(), 0, head.length()); // the head ended and was checked
                head.clear();
            }
        }
        return out.toArray();
    }

    /** One complete line (without CRLF): its rewritten form; advances the state. */
    private String line(String text) throws NetException {
        switch (state) {
            case REQUEST_LINE:
                if (text.isEmpty()) {
                    return text; // an empty line before a request is allowed (RFC 9112, 2.2)
                }
                substituted = false; // (a trailer of the previous request may have set it)
                return requestLine(text);
            case HEADERS:
            case TRAILERS:
                if (text.isEmpty()) {
                    endOfHeaders();
                    return text;
                }
                return headerLine(text);
            case CHUNK_SIZE:
                chunkSize(text);
                return text;
            case CHUNK_DATA_END:
                if (!text.isEmpty()) {
                    throw refuse("chunk data longer than its size");
                }
                state = State.CHUNK_SIZE;
                return text;
            default:
                throw new IllegalStateException(state.toString());
        }
    }

    private String requestLine(String text) throws NetException {
        if (text.startsWith("PRI * HTTP/2")) {
            throw refuse("an HTTP/2 connection preface (secrets go in HTTP/1.1 requests only)");
        }
        String[] parts = text.split(" ", -1);
        if (parts.length != 3) {
            throw refuse("a request line that is not \"METHOD target HTTP/1.x\"");
        }
        String method = parts[0];
        String target = parts[1];
        String version = parts[2];
        if (!isToken(method)) {
            throw refuse("an invalid method");
        }
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw refuse("HTTP version \"" + version + "\" (secrets go in HTTP/1.1 requests only)");
        }
        if (method.equals("CONNECT")) {
            throw refuse("a CONNECT tunnel, whose bytes could not be followed");
        }
        if (target.isEmpty()) {
            throw refuse("an empty request target");
        }
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw refuse("a request target with a control, space or non-ASCII byte");
            }
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? null : target.substring(q);
        refuseForeign(path, "the request target");
        for (Binding binding : bindings) {
            if (path.contains(binding.placeholder())) {
                throw refuse(
                        "the placeholder of "
                                + binding.name()
                                + " in the path of the request target (secrets go in header"
                                + " values, and in the query string with Secret.inQuery())");
            }
        }
        if (query != null) {
            refuseForeign(query, "the query string");
            for (Binding binding : bindings) {
                if (query.contains(binding.placeholder())) {
                    if (!binding.inQuery()) {
                        throw refuse(
                                "the placeholder of "
                                        + binding.name()
                                        + " in the query string (allowed only with"
                                        + " Secret.inQuery())");
                    }
                    query = query.replace(binding.placeholder(), percentEncode(binding.value()));
                    substituted = true;
                }
            }
        }
        contentLength = -1;
        chunked = false;
        originForm = target.startsWith("/") || target.equals("*");
        hostHeaders = 0;
        hostHeader = null;
        hostChecked = false;
        state = State.HEADERS;
        return method + " " + path + (query == null ? "" : query) + " " + version;
    }

    private String headerLine(String text) throws NetException {
        char first = text.charAt(0);
        if (first == ' ' || first == '\t') {
            throw refuse("a folded header line (obs-fold)");
        }
        int colon = text.indexOf(':');
        if (colon <= 0 || !isToken(text.substring(0, colon))) {
            throw refuse("an invalid header name (only token characters before ':')");
        }
        String name = text.substring(0, colon);
        String value = text.substring(colon + 1);
        refuseForeign(name, "a header name");
        for (Binding binding : bindings) {
            if (name.contains(binding.placeholder())) {
                throw refuse("the placeholder of " + binding.name() + " in a header name");
            }
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                throw refuse("a control character in the value of header " + name);
            }
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (state == State.HEADERS) {
            framingHeader(lower, value.trim());
            if (lower.equals("host")) {
                hostHeaders++;
                hostHeader = value.trim(); // before substitution: never a value
            }
        }
        if (lower.equals("authorization") || lower.equals("proxy-authorization")) {
            value = basic(name, value);
        }
        value = substitute(name, value);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == '\0') {
                throw refuse("the value of header " + name + " would contain CR, LF or NUL");
            }
        }
        return name + ":" + value;
    }

    /** Placeholders in a header value → values; foreign ones refused. */
    private String substitute(String header, String value) throws NetException {
        refuseForeign(value, "header " + header);
        for (Binding binding : bindings) {
            if (value.contains(binding.placeholder())) {
                if (state == State.TRAILERS && !hostChecked) {
                    checkHost(); // the head went out already: refused now if it was elsewhere
                }
                value = value.replace(binding.placeholder(), binding.value());
                substituted = true;
            }
        }
        return value;
    }

    /** {@code Basic b64}: decoded, substituted, re-encoded; anything else unchanged. */
    private String basic(String header, String value) throws NetException {
        String trimmed = value.strip();
        if (trimmed.length() < 6 || !trimmed.substring(0, 6).equalsIgnoreCase("basic ")) {
            return value;
        }
        String token = trimmed.substring(6).strip();
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            return value; // not base64: left to the plain substitution
        }
        String credentials = new String(decoded, StandardCharsets.ISO_8859_1);
        String substituted = substitute(header + " (Basic credentials)", credentials);
        if (substituted.equals(credentials)) {
            return value;
        }
        int lead = value.indexOf(trimmed.charAt(0));
        String scheme = trimmed.substring(0, 5);
        return value.substring(0, lead)
                + scheme
                + " "
                + Base64.getEncoder()
                        .encodeToString(substituted.getBytes(StandardCharsets.ISO_8859_1));
    }

    private void framingHeader(String lowerName, String value) throws NetException {
        if (lowerName.equals("content-length")) {
            if (value.isEmpty()
                    || value.length() > 18
                    || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw refuse("an invalid Content-Length");
            }
            long n = Long.parseLong(value);
            if (contentLength >= 0 && contentLength != n) {
                throw refuse("two different Content-Length headers");
            }
            contentLength = n;
        } else if (lowerName.equals("transfer-encoding")) {
            String[] codings = value.toLowerCase(Locale.ROOT).split(",");
            if (!codings[codings.length - 1].trim().equals("chunked")) {
                throw refuse("a Transfer-Encoding that does not end in chunked");
            }
            if (chunked) {
                throw refuse("chunked twice");
            }
            chunked = true;
        } else if (lowerName.equals("upgrade")) {
            throw refuse("a protocol upgrade, whose bytes could not be followed");
        }
    }

    private void endOfHeaders() throws NetException {
        if (state == State.TRAILERS) {
            state = State.REQUEST_LINE;
            return;
        }
        if (chunked && contentLength >= 0) {
            throw refuse("both Content-Length and chunked (request smuggling)");
        }
        if (substituted || hostHeaders > 1) {
            checkHost();
        }
        substituted = false;
        if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (contentLength > 0) {
            remaining = contentLength;
            state = State.BODY;
        } else {
            state = State.REQUEST_LINE;
        }
    }

    /** A request carrying a secret goes to this connection's host, by its one Host header. */
    private void checkHost() throws NetException {
        if (!originForm) {
            throw refuse("a request carrying a secret with a target not of the form /path");
        }
        if (hostHeaders != 1) {
            throw refuse("a request carrying a secret needs exactly one Host header");
        }
        String name = hostHeader.toLowerCase(Locale.ROOT);
        if (name.startsWith("[")) {
            int close = name.indexOf(']');
            name = close < 0 ? name : name.substring(1, close);
        } else if (name.indexOf(':') >= 0 && name.indexOf(':') == name.lastIndexOf(':')) {
            name = name.substring(0, name.indexOf(':'));
        }
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (!name.equals(host)) {
            throw refuse(
                    "a request carrying a secret names another host (Host: "
                            + hostHeader
                            + ") than the connection's");
        }
        hostChecked = true;
    }

    private void chunkSize(String text) throws NetException {
        int semicolon = text.indexOf(';');
        String hex = semicolon >= 0 ? text.substring(0, semicolon) : text;
        if (hex.isEmpty()
                || hex.length() > 15
                || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw refuse("an invalid chunk size");
        }
        long size = Long.parseLong(hex, 16);
        if (size == 0) {
            state = State.TRAILERS;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
    }

    private void refuseForeign(String text, String where) throws NetException {
        for (PlaceholderGuard.Refusal f : foreign) {
            if (text.contains(f.placeholder())) {
                throw new NetException(
                        NetException.Kind.SECRET, f.reason() + " (in " + where + ")");
            }
        }
    }

    private NetException refuse(String what) {
        return new NetException(
                NetException.Kind.SECRET,
                "refused on a connection to "
                        + host
                        + " that carries a secret: "
                        + what
                        + "; the host must parse every request there to substitute secrets safely");
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok =
                    (c >= 'a' && c <= 'z')
                            || (c >= 'A' && c <= 'Z')
                            || (c >= '0' && c <= '9')
                            || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Every byte but the unreserved ones (RFC 3986) as %XX; the value is latin-1 of its bytes. */
    private static String percentEncode(String value) {
        StringBuilder sb = new StringBuilder(value.length() * 3);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean unreserved =
                    (c >= 'a' && c <= 'z')
                            || (c >= 'A' && c <= 'Z')
                            || (c >= '0' && c <= '9')
                            || c == '-'
                            || c == '.'
                            || c == '_'
                            || c == '~';
            if (unreserved) {
                sb.append(c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
                sb.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }
}
