package dev.eryx.internal.net.tls;

import java.util.ArrayList;
import java.util.List;

/**
 * The JDK's (IANA) cipher suite names as OpenSSL, and so CPython's {@code cipher()}, gives them.
 */
final class Ciphers {
    private Ciphers() {}

    /**
     * {@code TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256} → {@code ECDHE-RSA-AES128-GCM-SHA256}; TLS 1.3
     * names are the same in both; anything unrecognized is returned as is.
     */
    static String opensslName(String jdk) {
        int with = jdk.indexOf("_WITH_");
        if (!jdk.startsWith("TLS_") || with < 0) {
            return jdk;
        }
        String kx = jdk.substring(4, with);
        String rest = jdk.substring(with + "_WITH_".length());
        List<String> parts = new ArrayList<>();
        switch (kx) {
            case "ECDHE_ECDSA", "ECDHE_RSA", "DHE_RSA", "DHE_DSS" ->
                    parts.add(kx.replace('_', '-'));
            case "RSA" -> {
                // OpenSSL names plain RSA key exchange by its cipher alone.
            }
            default -> {
                return jdk;
            }
        }
        String cipher;
        String mac;
        if (rest.startsWith("CHACHA20_POLY1305")) {
            parts.add("CHACHA20-POLY1305");
            return String.join("-", parts);
        } else if (rest.matches("AES_(128|256)_GCM_SHA(256|384)")) {
            cipher = "AES" + rest.substring(4, 7) + "-GCM";
            mac = rest.substring(rest.lastIndexOf('_') + 1);
        } else if (rest.matches("AES_(128|256)_CBC_SHA(256|384)?")) {
            cipher = "AES" + rest.substring(4, 7);
            mac = rest.substring(rest.lastIndexOf('_') + 1);
        } else {
            return jdk;
        }
        parts.add(cipher);
        parts.add(mac);
        return String.join("-", parts);
    }

    /** The cipher's secret bits (CPython's {@code cipher()[2]}); 0 when unknown. */
    static int bits(String jdk) {
        if (jdk.contains("AES_256") || jdk.contains("CHACHA20")) {
            return 256;
        }
        if (jdk.contains("AES_128")) {
            return 128;
        }
        return 0;
    }
}
