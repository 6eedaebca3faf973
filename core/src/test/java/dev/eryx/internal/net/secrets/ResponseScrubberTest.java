package dev.eryx.internal.net.secrets;

import static dev.eryx.internal.net.secrets.SecretFixtures.OTHER;
import static dev.eryx.internal.net.secrets.SecretFixtures.TOKEN;
import static dev.eryx.internal.net.secrets.SecretFixtures.bytes;
import static dev.eryx.internal.net.secrets.SecretFixtures.inbound;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/** Real values coming back from a server become placeholders before the guest reads them. */
class ResponseScrubberTest {
    private final SecretSet set = SecretFixtures.set();
    private final String token = set.placeholders().get("API_TOKEN");
    private final String other = set.placeholders().get("OTHER");

    @Test
    void anEchoSplitAtEveryPositionComesBackAsThePlaceholder() {
        String response =
                "HTTP/1.1 200 OK\r\nX-Echo: Bearer "
                        + TOKEN
                        + "\r\nContent-Length: 40\r\n\r\n"
                        + "{\"a\":\""
                        + TOKEN
                        + "\", \"b\": \""
                        + OTHER.substring(0, 5)
                        + "\"";
        assertEquals(
                40,
                ("{\"a\":\"" + TOKEN + "\", \"b\": \"" + OTHER.substring(0, 5) + "\"").length());
        String want = response.replace(TOKEN, token);
        byte[] data = bytes(response);
        for (int cut = 0; cut <= data.length; cut++) {
            for (String host : new String[] {"api.test", "elsewhere.test"}) {
                String got = inbound(set.forConnection(host, true), data, cut);
                assertEquals(want, got, "cut at " + cut);
            }
        }
    }

    @Test
    void aValueSplitByChunkFramingIsFoundAtEverySplit() {
        String body = "say " + TOKEN + " and " + OTHER + "!";
        for (int split = 1; split < body.length(); split++) {
            String a = body.substring(0, split);
            String b = body.substring(split);
            String response =
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + Integer.toHexString(a.length())
                            + "\r\n"
                            + a
                            + "\r\n"
                            + Integer.toHexString(b.length())
                            + ";x=y\r\n"
                            + b
                            + "\r\n"
                            + "0\r\n\r\n"
                            + "HTTP/1.1 200 OK\r\nContent-Length: "
                            + body.length()
                            + "\r\n\r\n"
                            + body;
            String got = inbound(set.forConnection("x.test", true), bytes(response), split + 40);
            String want =
                    response.replace(
                            TOKEN.substring(0, Math.max(0, Math.min(TOKEN.length(), split - 4))),
                            "\0");
            assertFalse(got.contains(TOKEN.substring(0, 6) + TOKEN.substring(6)), got);
            // Same length and the framing untouched: take the placeholders back out.
            assertEquals(response.length(), got.length(), "split " + split);
            assertEquals(
                    unchunk(response).replace(TOKEN, token).replace(OTHER, other),
                    unchunk(got),
                    "split " + split + " want " + want.length());
        }
    }

    @Test
    void manySmallChunksAndReadsOfOneByte() {
        StringBuilder response =
                new StringBuilder("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        String body = "[" + TOKEN + "]";
        for (char c : body.toCharArray()) {
            response.append("1\r\n").append(c).append("\r\n");
        }
        response.append("0\r\nX-Trailer: ").append(TOKEN).append("\r\n\r\n");
        byte[] data = bytes(response.toString());
        int[] cuts = new int[data.length - 1];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        String got = inbound(set.forConnection("x.test", true), data, cuts);
        assertEquals(unchunk(response.toString()).replace(TOKEN, token), unchunk(got));
        assertFalse(got.contains(TOKEN));
    }

    @Test
    void aStreamThatIsNotHttpIsMatchedAsPlainBytes() {
        String data = "* OK IMAP " + TOKEN + " and " + TOKEN + TOKEN;
        for (int cut = 0; cut <= data.length(); cut++) {
            assertEquals(
                    data.replace(TOKEN, token),
                    inbound(set.forConnection("x.test", true), bytes(data), cut));
        }
    }

    @Test
    void aPartialMatchAtTheEndIsReleasedAtEof() {
        ConnectionFilter filter = set.forConnection("x.test", true);
        String part = TOKEN.substring(0, 10);
        byte[] data = bytes("HTTP/1.1 200 OK\r\n\r\n" + part);
        String now = SecretFixtures.text(filter.inbound(data, 0, data.length));
        assertEquals("HTTP/1.1 200 OK\r\n\r\n", now, "a possible match is held back");
        assertEquals(part, SecretFixtures.text(filter.inboundEnd()));
    }

    /** The message with chunk-size lines and the CRLF after chunk data removed. */
    private static String unchunk(String response) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < response.length()) {
            int headersEnd = response.indexOf("\r\n\r\n", i) + 4;
            String head = response.substring(i, headersEnd);
            out.append(head);
            i = headersEnd;
            if (head.contains("chunked")) {
                while (true) {
                    int eol = response.indexOf("\r\n", i);
                    String sizeLine = response.substring(i, eol);
                    int semi = sizeLine.indexOf(';');
                    int size =
                            Integer.parseInt(semi < 0 ? sizeLine : sizeLine.substring(0, semi), 16);
                    i = eol + 2;
                    if (size == 0) {
                        int end = response.indexOf("\r\n\r\n", i - 2) + 4;
                        out.append(response, i, end);
                        i = end;
                        break;
                    }
                    out.append(response, i, i + size);
                    i += size + 2;
                }
            } else {
                int at = head.indexOf("Content-Length: ");
                int n = Integer.parseInt(head.substring(at + 16, head.indexOf("\r\n", at)));
                out.append(response, i, i + n);
                i += n;
            }
        }
        return out.toString();
    }
}
