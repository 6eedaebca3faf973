package dev.eryx.internal.net.secrets;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;

/** The secrets of one sandbox with their placeholders. Thread-safe, immutable after bind. */
public final class SecretSet {
    private static final SecretSet NONE = new SecretSet(List.of(), Map.of());

    private final List<SecretValue> secrets;
    private final Map<String, String> placeholders;
    private final Redactor redactor;

    private SecretSet(List<SecretValue> secrets, Map<String, String> placeholders) {
        this.secrets = List.copyOf(secrets);
        this.placeholders =
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(placeholders));
        List<String> values = new ArrayList<>();
        for (SecretValue s : secrets) {
            values.add(s.value());
        }
        this.redactor = new Redactor(values);
    }

    public static SecretSet bind(
            List<SecretValue> secrets,
            RandomGenerator random,
            Map<String, String> restoredPlaceholders) {
        Objects.requireNonNull(random, "random");
        Map<String, String> placeholders = new LinkedHashMap<>(restoredPlaceholders);
        for (SecretValue s : secrets) {
            placeholders.putIfAbsent(s.name(), s.name());
        }
        return new SecretSet(secrets, placeholders);
    }

    public static SecretSet none() {
        return NONE;
    }

    public boolean isEmpty() {
        return placeholders.isEmpty();
    }

    /** name → placeholder (the guest's os.environ). */
    public Map<String, String> placeholders() {
        return placeholders;
    }

    /**
     * Filters for one connection. hostName: the verified TLS name, or the loopback host for plain
     * HTTP under allowLocalhost; trusted: TLS verified with JDK/policy anchors only (not guest
     * anchors) or plain loopback under allowLocalhost.
     */
    public ConnectionFilter forConnection(String hostName, boolean trusted) {
        return new ConnectionFilter() {
            @Override
            public boolean secretBound() {
                return false;
            }

            @Override
            public byte[] outbound(byte[] b, int off, int len) {
                return java.util.Arrays.copyOfRange(b, off, off + len);
            }

            @Override
            public byte[] inbound(byte[] b, int off, int len) {
                return java.util.Arrays.copyOfRange(b, off, off + len);
            }

            @Override
            public byte[] inboundEnd() {
                return new byte[0];
            }
        };
    }

    /** Real values → "[REDACTED]". */
    public Redactor redactor() {
        return redactor;
    }

    List<SecretValue> secrets() {
        return secrets;
    }
}
