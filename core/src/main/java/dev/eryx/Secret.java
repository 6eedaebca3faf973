package dev.eryx;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A credential the guest may use but never see. The guest's environment variable {@link #name()}
 * holds a random placeholder of the same length; the host puts the real value in place of the
 * placeholder only in HTTP/1.1 header values (and the query string with {@link #inQuery()}) of
 * requests to {@link #hosts()}, on connections whose TLS certificate the host verified for that
 * host (or plain HTTP to loopback under {@link NetworkPolicy.Builder#allowLocalhost()}). The
 * placeholder sent anywhere else fails the write. Immutable; {@link #toString()} never shows the
 * value. See docs/network.md, "Secrets".
 *
 * <pre>{@code
 * Sandbox.builder()
 *         .network(NetworkPolicy.builder().allowHost("api.example.com").build())
 *         .secret(Secret.of("API_KEY", System.getenv("API_KEY")).forHosts("api.example.com"))
 * }</pre>
 */
public final class Secret {
    private final String name;
    private final String value;
    private final List<String> hosts;
    private final boolean inQuery;

    private Secret(String name, String value, List<String> hosts, boolean inQuery) {
        this.name = name;
        this.value = value;
        this.hosts = hosts;
        this.inQuery = inQuery;
    }

    /**
     * A secret bound to no host yet (then it can be sent nowhere): add hosts with {@link
     * #forHosts}.
     *
     * @throws IllegalArgumentException the name is not a valid environment variable name, or the
     *     value is empty or contains CR, LF or NUL (it could split a header)
     */
    public static Secret of(String name, String value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        dev.eryx.internal.net.secrets.SecretRules.checkNameAndValue(name, value);
        return new Secret(name, value, List.of(), false);
    }

    /**
     * The hosts (exact names, no wildcards, no ports) whose requests may carry the value; adds to
     * those given before.
     */
    public Secret forHosts(String... hosts) {
        String[] normalized = new String[hosts.length];
        for (int i = 0; i < hosts.length; i++) {
            normalized[i] = dev.eryx.internal.net.secrets.SecretRules.checkHost(hosts[i]);
        }
        List<String> all = new java.util.ArrayList<>(this.hosts);
        all.addAll(Arrays.asList(normalized));
        return new Secret(name, value, List.copyOf(all), inQuery);
    }

    /** Also substitutes the placeholder in the request target's query string. */
    public Secret inQuery() {
        return new Secret(name, value, hosts, true);
    }

    public String name() {
        return name;
    }

    public List<String> hosts() {
        return hosts;
    }

    public boolean allowedInQuery() {
        return inQuery;
    }

    /** The real value: for the sandbox's builder only, never handed to the guest. */
    String value() {
        return value;
    }

    @Override
    public String toString() {
        return "Secret{" + name + " for " + hosts + (inQuery ? ", in query" : "") + "}";
    }
}
