package dev.eryx.internal.net;

import java.nio.channels.SocketChannel;
import java.time.Duration;

/** Stand-in for the policy part's proxy tunnel (nethost, so its code compiles). */
public final class ProxyTunnel {
    private ProxyTunnel() {}

    public static void establish(SocketChannel proxy, String host, int port, Duration timeout)
            throws NetException {
        throw new NetException(NetException.Kind.NOT_SUPPORTED, "no proxy support yet");
    }
}
