package dev.eryx.internal.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** DNS as the {@link NetworkGate} uses it; tests inject their own. */
@FunctionalInterface
public interface Resolver {
    /** Every address of the name, in the resolver's order; never empty (throws instead). */
    List<InetAddress> resolve(String name) throws UnknownHostException;
}
