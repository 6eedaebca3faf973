package dev.eryx.internal.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Name resolution as the gate uses it; tests inject their own. (nethost stand-in.) */
@FunctionalInterface
public interface Resolver {
    List<InetAddress> resolve(String name) throws UnknownHostException;
}
