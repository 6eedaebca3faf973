package dev.eryx.internal.net.secrets;

import static dev.eryx.internal.net.secrets.SecretFixtures.OTHER;
import static dev.eryx.internal.net.secrets.SecretFixtures.QUERY_KEY;
import static dev.eryx.internal.net.secrets.SecretFixtures.TOKEN;
import static dev.eryx.internal.net.secrets.SecretFixtures.bytes;
import static dev.eryx.internal.net.secrets.SecretFixtures.outbound;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.net.NetException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The strict HTTP/1.1 request parser of a secret-bound connection. */
class RequestRewriterTest {
    private final SecretSet set = SecretFixtures.set();
    private final String token = set.placeholders().get("API_TOKEN");
    private final String queryKey = set.placeholders().get("QUERY_KEY");
    private final String other = set.placeholders().get("OTHER");

    private ConnectionFilter bound() {
        ConnectionFilter filter = set.forConnection("api.test", true);
        assertTrue(filter.secretBound());
        return filter;
    }

    private String sample() {
        return "POST /v1/items?key="
                + queryKey
                + "&x=1 HTTP/1.1\r\n"
                + "Host: api.test\r\n"
                + "Authorization: Bearer "
                + token
                + "\r\n"
                + "X-Both: "
                + token
                + ","
                + token
                + "\r\n"
                + "Content-Length: 30\r\n"
                + "\r\n"
                + "body keeps "
                + token.substring(0, 19);
    }

    private String expected() {
        return "POST /v1/items?key=q%26key%3Dv%20a%2Flue&x=1 HTTP/1.1\r\n"
                + "Host: api.test\r\n"
                + "Authorization: Bearer "
                + TOKEN
                + "\r\n"
                + "X-Both: "
                + TOKEN
                + ","
                + TOKEN
                + "\r\n"
                + "Content-Length: 30\r\n"
                + "\r\n"
                + "body keeps "
                + token.substring(0, 19);
    }

    @Test
    void placeholdersAreOfTheValuesLengthAndNeverAValue() {
        assertEquals(TOKEN.length(), token.length());
        assertTrue(token.startsWith("ERYX_"), token);
        assertEquals(QUERY_KEY.length(), queryKey.length());
        String shortOne = Placeholders.generate(12, new java.util.SplittableRandom(1));
        assertEquals(12, shortOne.length());
        assertFalse(shortOne.startsWith("ERYX_"), "too short for the prefix: " + shortOne);
        assertTrue(token.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_'));
    }

    @Test
    void substitutesHeaderValuesAndTheQueryOfAnInQuerySecret() throws NetException {
        assertEquals(30, "body keeps ".length() + 19);
        assertEquals(expected(), outbound(bound(), bytes(sample())));
    }

    @Test
    void aRequestSplitAtEveryBytePositionGivesTheSameBytes() throws NetException {
        byte[] request = bytes(sample());
        for (int cut = 0; cut <= request.length; cut++) {
            assertEquals(expected(), outbound(bound(), request, cut), "cut at " + cut);
        }
        for (int cut = 1; cut < request.length; cut++) {
            assertEquals(
                    expected(), outbound(bound(), request, cut / 2, cut), "cuts at " + cut / 2);
        }
    }

    @Test
    void everyByteInItsOwnWrite() throws NetException {
        byte[] request = bytes(sample());
        int[] cuts = new int[request.length - 1];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        assertEquals(expected(), outbound(bound(), request, cuts));
    }

    @Test
    void pipelinedRequestsWithChunkedAndFixedBodies() throws NetException {
        String body = token + " is not substituted in a body";
        String request =
                "GET /a HTTP/1.1\r\nHost: api.test\r\nX-Key: "
                        + token
                        + "\r\n\r\n"
                        + "POST /b HTTP/1.1\r\nHost: API.test:443\r\nTransfer-Encoding: chunked\r\nX-Key: "
                        + token
                        + "\r\n\r\n"
                        + "6\r\nAuthor\r\n"
                        + Integer.toHexString(body.length())
                        + ";ext=1\r\n"
                        + body
                        + "\r\n0\r\nX-Trailer: "
                        + token
                        + "\r\n\r\n"
                        + "PUT /c HTTP/1.0\r\nContent-Length: 4\r\n\r\nabcd"
                        + "GET /d HTTP/1.1\r\nHost: api.test.\r\nX-Key: "
                        + token
                        + "\r\n\r\n";
        String want =
                request.replace("X-Key: " + token, "X-Key: " + TOKEN)
                        .replace("X-Trailer: " + token, "X-Trailer: " + TOKEN);
        assertTrue(want.contains(body), "the body keeps the placeholder");
        byte[] data = bytes(request);
        for (int cut = 0; cut <= data.length; cut += 3) {
            assertEquals(want, outbound(bound(), data, cut), "cut at " + cut);
        }
    }

    @Test
    void basicCredentialsAreDecodedSubstitutedAndReEncoded() throws NetException {
        String credentials = "user:" + token;
        String request =
                "GET / HTTP/1.1\r\nHost: api.test\r\nAuthorization:  basic "
                        + Base64.getEncoder().encodeToString(bytes(credentials))
                        + "\r\n\r\n";
        String sent = outbound(bound(), bytes(request));
        String encoded = sent.substring(sent.indexOf("basic ") + 6, sent.indexOf("\r\n\r\n"));
        assertEquals(
                "user:" + TOKEN,
                new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
        assertTrue(
                sent.startsWith("GET / HTTP/1.1\r\nHost: api.test\r\nAuthorization:  basic "),
                sent);
    }

    @Test
    void aPlaceholderInTheQueryOfASecretWithoutInQueryIsRefused() {
        NetException e =
                assertThrows(
                        NetException.class,
                        () -> outbound(bound(), bytes("GET /?k=" + token + " HTTP/1.1\r\n\r\n")));
        assertEquals(NetException.Kind.SECRET, e.kind());
        assertEquals("PermissionError", e.pythonType());
        assertTrue(e.getMessage().contains("Secret.inQuery()"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "GET /PH HTTP/1.1\r\n\r\n", // a placeholder in the path
                "GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                "GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n",
                "GET / HTTP/1.1\nX-A: 1\r\n\r\n",
                "GET / HTTP/1.1\r\nX-A: 1\n\r\n",
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                "GET / HTTP/2\r\n\r\n",
                "GET / HTTP/1.1\r\nX A: 1\r\n\r\n",
                "GET / HTTP/1.1\r\nX-A\0: 1\r\n\r\n",
                "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n",
                "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n",
                "GET / HTTP/1.1\r\nX-A: a\u000bb\r\n\r\n",
                "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
                "GET / HTTP/1.1\r\nno colon\r\n\r\n",
                "GET  / HTTP/1.1\r\n\r\n",
                "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n",
                "CONNECT api.test:443 HTTP/1.1\r\n\r\n",
                "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
                "GET / HTTP/1.1\r\nX-Other: OTHER\r\n\r\n", // another host's placeholder
                "GET /?o=OTHER HTTP/1.1\r\n\r\n",
                "GET / HTTP/1.1\r\nX-PH: 1\r\n\r\n", // a placeholder in a header name
                "POST / HTTP/1.1\r\nContent-Length: 39\r\n\r\nthe body has OTHER in it",
                "GET / HTTP/1.1\r\nX-Key: PH\r\n\r\n", // no Host
                "GET / HTTP/1.1\r\nHost: evil.test\r\nX-Key: PH\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: api.test.evil.test\r\nX-Key: PH\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: api.test\r\nHost: evil.test\r\n\r\n",
                "GET http://evil.test/ HTTP/1.1\r\nHost: api.test\r\nX-Key: PH\r\n\r\n",
                "GET /?q=QK HTTP/1.1\r\nHost: evil.test\r\n\r\n",
            })
    void refusesWhatItCannotFollowAndSendsNothingOfTheWrite(String request) throws Exception {
        byte[] data =
                bytes(request.replace("PH", token).replace("OTHER", other).replace("QK", queryKey));
        ConnectionFilter filter = bound();
        NetException e =
                assertThrows(NetException.class, () -> filter.outbound(data, 0, data.length));
        assertEquals(NetException.Kind.SECRET, e.kind());
        assertFalse(e.getMessage().contains(TOKEN), "the message holds no value");
        // Refused for good: a later write is refused too.
        assertThrows(
                NetException.class, () -> filter.outbound(bytes("GET / HTTP/1.1\r\n\r\n"), 0, 18));
    }

    @Test
    void aTrailerCarryingASecretAfterAHeadForAnotherHostIsRefused() throws NetException {
        ConnectionFilter filter = bound();
        String head = "POST / HTTP/1.1\r\nHost: evil.test\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertEquals(
                head,
                outbound(filter, bytes(head + "1\r\na\r\n0\r\n")).substring(0, head.length()));
        byte[] trailer = bytes("X-T: " + token + "\r\n\r\n");
        NetException e =
                assertThrows(NetException.class, () -> filter.outbound(trailer, 0, trailer.length));
        assertTrue(e.getMessage().contains("another host"), e.getMessage());
    }

    @Test
    void aHeaderLineLongerThan64KiBIsRefused() throws NetException {
        ConnectionFilter filter = bound();
        filter.outbound(bytes("GET / HTTP/1.1\r\n"), 0, 16);
        byte[] big = bytes("X-Big: " + "a".repeat(RequestRewriter.MAX_LINE));
        NetException e =
                assertThrows(NetException.class, () -> filter.outbound(big, 0, big.length));
        assertTrue(e.getMessage().contains("longer than"), e.getMessage());
    }

    @Test
    void aLongLineSplitAcrossWritesIsHeldUntilItsCrlf() throws NetException {
        ConnectionFilter filter = bound();
        byte[] first = filter.outbound(bytes("GET / HTTP/1.1\r\nX-A: " + token), 0, 40);
        assertEquals("", SecretFixtures.text(first), "the head is held until its end");
        byte[] rest = bytes("GET / HTTP/1.1\r\nX-A: " + token + "\r\nHost: api.test\r\n\r\n");
        String sent = SecretFixtures.text(filter.outbound(rest, 40, rest.length - 40));
        assertEquals("GET / HTTP/1.1\r\nX-A: " + TOKEN + "\r\nHost: api.test\r\n\r\n", sent);
    }

    @Test
    void anUntrustedConnectionToTheSecretsHostGetsTheGuardNotTheRewriter() {
        ConnectionFilter filter = set.forConnection("api.test", false);
        assertFalse(filter.secretBound());
        byte[] data = bytes("GET / HTTP/1.1\r\nX-A: " + token + "\r\n\r\n");
        NetException e =
                assertThrows(NetException.class, () -> filter.outbound(data, 0, data.length));
        assertTrue(e.getMessage().contains("not verified"), e.getMessage());
    }

    @Test
    void hostNamesAreMatchedWithoutCaseOrTrailingDot() throws NetException {
        assertTrue(set.forConnection("API.Test.", true).secretBound());
        assertFalse(set.forConnection("api.test.evil", true).secretBound());
        byte[] request =
                bytes("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX: " + token + "\r\n\r\n");
        assertArrayEquals(
                bytes("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX: " + TOKEN + "\r\n\r\n"),
                set.forConnection("127.0.0.1", true).outbound(request, 0, request.length));
        assertEquals(OTHER.length(), other.length());
    }
}
