package dev.eryx.server.internal;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which {@code Host} and {@code Origin} headers a request may carry. A web page the user visits can
 * make the browser send requests to a loopback server (DNS rebinding); its Host is then the
 * attacker's name and its Origin the attacker's site, so refusing both unless allowed stops it.
 */
final class HostPolicy {
    private final Set<String> hosts;
    private final Set<String> origins;

    private HostPolicy(Set<String> hosts, Set<String> origins) {
        this.hosts = Set.copyOf(hosts);
        this.origins = Set.copyOf(origins);
    }

    /**
     * The configured lists, or the defaults: the bound host with the port and, on loopback (or a
     * wildcard bind), the loopback names; a wildcard bind also allows the machine's own addresses.
     */
    static HostPolicy of(ServerConfig config, int port) {
        Set<String> hosts = new LinkedHashSet<>();
        Set<String> origins = new LinkedHashSet<>();
        if (config.allowedHosts() == null || config.allowedOrigins() == null) {
            Set<String> names = new LinkedHashSet<>();
            names.add(bracketed(config.host()));
            if (config.loopback() || isWildcard(config.host())) {
                names.add("localhost");
                names.add("127.0.0.1");
                names.add("[::1]");
            }
            if (isWildcard(config.host())) {
                names.addAll(interfaceAddresses());
            }
            for (String name : names) {
                hosts.add(name + ":" + port);
                if (port == 80) {
                    hosts.add(name);
                }
                if (config.loopback() || isWildcard(config.host())) {
                    origins.add("http://" + name + ":" + port);
                    if (port == 80) {
                        origins.add("http://" + name);
                    }
                }
            }
        }
        return new HostPolicy(
                config.allowedHosts() == null ? hosts : Set.copyOf(config.allowedHosts()),
                config.allowedOrigins() == null ? origins : Set.copyOf(config.allowedOrigins()));
    }

    /** A Host header (name or name:port) is allowed as listed, or by its name alone if listed. */
    boolean allowsHost(String header) {
        if (header == null || header.isBlank()) {
            return false;
        }
        String host = header.strip().toLowerCase(Locale.ROOT);
        if (hosts.contains(host)) {
            return true;
        }
        int colon = host.lastIndexOf(':');
        boolean hasPort = colon > host.lastIndexOf(']');
        return hasPort && hosts.contains(host.substring(0, colon));
    }

    /**
     * A missing Origin (not a browser's cross-site request) is allowed; a present one if listed.
     */
    boolean allowsOrigin(String header) {
        return header == null || origins.contains(header.strip().toLowerCase(Locale.ROOT));
    }

    private static boolean isWildcard(String host) {
        String bare = host.replace("[", "").replace("]", "");
        return bare.equals("0.0.0.0") || bare.equals("::") || bare.equals("0:0:0:0:0:0:0:0");
    }

    private static String bracketed(String host) {
        String lower = host.toLowerCase(Locale.ROOT);
        return lower.indexOf(':') >= 0 && !lower.startsWith("[") ? "[" + lower + "]" : lower;
    }

    private static List<String> interfaceAddresses() {
        try {
            return Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                    .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                    .map(InetAddress::getHostAddress)
                    .map(a -> a.indexOf('%') >= 0 ? a.substring(0, a.indexOf('%')) : a)
                    .map(HostPolicy::bracketed)
                    .toList();
        } catch (SocketException e) {
            return List.of();
        }
    }
}
