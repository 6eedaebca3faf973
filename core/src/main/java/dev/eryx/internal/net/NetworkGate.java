package dev.eryx.internal.net;

import dev.eryx.NetworkPolicy;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stand-in for the policy part's gate (nethost, so its code compiles): allows loopback under
 * allowLocalhost and the exact names of allowHost, nothing else.
 */
public final class NetworkGate implements AutoCloseable {
    private final NetworkPolicy policy;
    private final Resolver resolver;
    private final Map<InetAddress, String> names = new ConcurrentHashMap<>();

    public NetworkGate(NetworkPolicy policy) {
        this(policy, name -> Arrays.asList(InetAddress.getAllByName(name)));
    }

    public NetworkGate(NetworkPolicy policy, Resolver resolver) {
        this.policy = policy;
        this.resolver = resolver;
    }

    public List<InetAddress> resolve(String host) throws NetException {
        boolean loopbackName = host.equals("localhost");
        if (!loopbackName && !policy.allowedHosts().contains(host) && !isLiteral(host)) {
            throw new NetException(
                    NetException.Kind.NAME_NOT_ALLOWED, host + " is not an allowed host");
        }
        List<InetAddress> found;
        try {
            found = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw new NetException(NetException.Kind.NAME_UNKNOWN, host + ": unknown host");
        }
        List<InetAddress> allowed = new ArrayList<>();
        for (InetAddress a : found) {
            if (!a.isLoopbackAddress() || policy.allowsLocalhost()) {
                allowed.add(a);
                names.put(a, host);
            }
        }
        if (allowed.isEmpty()) {
            throw new NetException(
                    NetException.Kind.DENIED,
                    host
                            + " resolves to "
                            + found.get(0).getHostAddress()
                            + ", a loopback address");
        }
        return allowed;
    }

    private static boolean isLiteral(String host) {
        return host.matches("[0-9.]+") || host.contains(":");
    }

    public Destination checkConnect(InetAddress address, int port) throws NetException {
        String name = names.get(address);
        if (address.isLoopbackAddress() && !policy.allowsLocalhost()) {
            throw new NetException(
                    NetException.Kind.DENIED,
                    "connection to "
                            + address.getHostAddress()
                            + " denied: loopback addresses need allowLocalhost()");
        }
        if (name == null && !address.isLoopbackAddress()) {
            throw new NetException(
                    NetException.Kind.DENIED,
                    "connection to "
                            + address.getHostAddress()
                            + " denied: no allowed name resolved to it");
        }
        return new Destination(name, address, port, null);
    }

    public void forget() {
        names.clear();
    }

    @Override
    public void close() {}
}
