package dev.eryx.internal.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Where a checked {@code connect} really goes.
 *
 * @param hostName the allowed name the address was given out for; null for a literal
 * @param address the address to connect to (with a proxy: the synthetic one the guest holds)
 * @param port the port
 * @param proxy the HTTP proxy to connect to and tunnel through ({@link ProxyTunnel}) to {@code
 *     hostName:port} (or the literal); null to connect directly
 */
public record Destination(String hostName, InetAddress address, int port, InetSocketAddress proxy) {
    public Destination {
        Objects.requireNonNull(address, "address");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** The host name, else the literal (as {@code 10.0.0.1} or {@code fd00::1}). */
    public String displayName() {
        return hostName != null ? hostName : IpLiteral.format(address);
    }

    /** What to name in a proxy CONNECT: the host name, else the literal. */
    public String tunnelHost() {
        return displayName();
    }
}
