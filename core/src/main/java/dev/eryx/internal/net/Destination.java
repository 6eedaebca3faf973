package dev.eryx.internal.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Where a checked connect really goes. (nethost stand-in.) */
public record Destination(String hostName, InetAddress address, int port, InetSocketAddress proxy) {
    public String displayName() {
        return hostName != null ? hostName : address.getHostAddress();
    }
}
