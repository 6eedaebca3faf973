package dev.eryx.internal.net.secrets;

import dev.eryx.internal.net.NetException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Secrets and helpers shared by the tests of this package. */
final class SecretFixtures {
    static final String TOKEN = "tok-REAL-1234567890";
    static final String QUERY_KEY = "q&key=v a/lue";
    static final String OTHER = "other-secret-value";

    private SecretFixtures() {}

    /** API_TOKEN for api.test and 127.0.0.1; QUERY_KEY in queries of api.test; OTHER elsewhere. */
    static SecretSet set() {
        return SecretSet.bind(
                List.of(
                        new SecretValue(
                                "API_TOKEN", TOKEN, List.of("api.test", "127.0.0.1"), false),
                        new SecretValue("QUERY_KEY", QUERY_KEY, List.of("api.test"), true),
                        new SecretValue("OTHER", OTHER, List.of("other.test"), false)),
                new SplittableRandom(7),
                Map.of());
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** Feeds {@code data} to the filter's outbound side in pieces cut at {@code cuts}. */
    static String outbound(ConnectionFilter filter, byte[] data, int... cuts) throws NetException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        for (int cut : cuts) {
            out.writeBytes(filter.outbound(data, from, cut - from));
            from = cut;
        }
        out.writeBytes(filter.outbound(data, from, data.length - from));
        return text(out.toByteArray());
    }

    static String inbound(ConnectionFilter filter, byte[] data, int... cuts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        for (int cut : cuts) {
            out.writeBytes(filter.inbound(data, from, cut - from));
            from = cut;
        }
        out.writeBytes(filter.inbound(data, from, data.length - from));
        out.writeBytes(filter.inboundEnd());
        return text(out.toByteArray());
    }
}
