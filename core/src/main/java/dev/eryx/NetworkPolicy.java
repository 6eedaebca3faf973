package dev.eryx;

import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a sandbox may reach on the network. A sandbox without one has no network at all (every
 * socket operation fails); with one, the host does the guest's DNS, TCP and TLS and checks each
 * name <em>and</em> each address against this policy before any packet leaves. Immutable; built
 * with {@link #builder()}. See docs/network.md.
 *
 * <pre>{@code
 * NetworkPolicy policy = NetworkPolicy.builder()
 *         .allowHost("api.example.com")
 *         .allowHost("*.example.org:443")
 *         .build();
 * Sandbox sandbox = Sandbox.builder().network(policy).build();
 * }</pre>
 */
public final class NetworkPolicy {
    private final List<String> allowedHosts;
    private final boolean localhost;
    private final boolean privateNetworks;
    private final List<String> allowedAddresses;
    private final ProxySelector proxySelector;
    private final InetSocketAddress proxyAddress;
    private final int maxConnections;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final long maxBytes;
    private final List<X509Certificate> trustedCertificates;
    private final boolean guestTrustAnchors;

    private NetworkPolicy(Builder b) {
        this.allowedHosts = List.copyOf(b.allowedHosts);
        this.localhost = b.localhost;
        this.privateNetworks = b.privateNetworks;
        this.allowedAddresses = List.copyOf(b.allowedAddresses);
        this.proxySelector = b.proxySelector;
        this.proxyAddress = b.proxyAddress;
        this.maxConnections = b.maxConnections;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        this.maxBytes = b.maxBytes;
        this.trustedCertificates = List.copyOf(b.trustedCertificates);
        this.guestTrustAnchors = b.guestTrustAnchors;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The host patterns as given to {@link Builder#allowHost}, normalized to lower case. */
    public List<String> allowedHosts() {
        return allowedHosts;
    }

    public boolean allowsLocalhost() {
        return localhost;
    }

    public boolean allowsPrivateNetworks() {
        return privateNetworks;
    }

    /** The CIDR blocks given to {@link Builder#allowAddress}, normalized. */
    public List<String> allowedAddresses() {
        return allowedAddresses;
    }

    /** The proxy selector given to {@link Builder#proxy(ProxySelector)}, if any. */
    public Optional<ProxySelector> proxySelector() {
        return Optional.ofNullable(proxySelector);
    }

    /** The HTTP proxy given to {@link Builder#proxy(InetSocketAddress)}, if any. */
    public Optional<InetSocketAddress> proxyAddress() {
        return Optional.ofNullable(proxyAddress);
    }

    public int maxConnections() {
        return maxConnections;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration readTimeout() {
        return readTimeout;
    }

    /** Bytes in plus bytes out, per execution, over all connections. */
    public long maxBytes() {
        return maxBytes;
    }

    /** Trust anchors beside the JDK's. */
    public List<X509Certificate> trustedCertificates() {
        return trustedCertificates;
    }

    /** Whether certificates the guest loads ({@code load_verify_locations}) become anchors. */
    public boolean trustsGuestCertificates() {
        return guestTrustAnchors;
    }

    @Override
    public String toString() {
        return "NetworkPolicy{hosts="
                + allowedHosts
                + (localhost ? ", localhost" : "")
                + (privateNetworks ? ", private networks" : "")
                + (allowedAddresses.isEmpty() ? "" : ", addresses=" + allowedAddresses)
                + ", maxConnections="
                + maxConnections
                + "}";
    }

    /** Collects a policy; {@link #build()} validates it. */
    public static final class Builder {
        private final List<String> allowedHosts = new ArrayList<>();
        private boolean localhost;
        private boolean privateNetworks;
        private final List<String> allowedAddresses = new ArrayList<>();
        private ProxySelector proxySelector;
        private InetSocketAddress proxyAddress;
        private int maxConnections = 10;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration readTimeout = Duration.ofSeconds(30);
        private long maxBytes = 64L << 20;
        private final List<X509Certificate> trustedCertificates = new ArrayList<>();
        private boolean guestTrustAnchors;

        private Builder() {}

        /**
         * Allows a host: an exact name ({@code api.example.com}), every subdomain of a name ({@code
         * *.example.com}, not the name itself), or an IP literal; {@code host:port} (or {@code
         * [v6]:port}) limits it to one port. Addresses the name resolves to are still checked: a
         * name resolving to a loopback, private or special address is refused unless {@link
         * #allowLocalhost()}, {@link #allowPrivateNetworks()} or {@link #allowAddress} admits it.
         *
         * @throws IllegalArgumentException not a host name, pattern or literal
         */
        public Builder allowHost(String host) {
            allowedHosts.add(dev.eryx.internal.net.HostPattern.parse(host).toString());
            return this;
        }

        /** Allows loopback addresses (127.0.0.0/8, ::1) and the name {@code localhost}. */
        public Builder allowLocalhost() {
            this.localhost = true;
            return this;
        }

        /**
         * Allows private networks: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 (CGNAT)
         * and fc00::/7. Link-local and metadata addresses stay refused: admit those with {@link
         * #allowAddress}.
         */
        public Builder allowPrivateNetworks() {
            this.privateNetworks = true;
            return this;
        }

        /**
         * Allows the addresses of a CIDR block ({@code 169.254.169.254/32}, {@code fd00::/8}), also
         * when they lie in a range refused by default.
         *
         * @throws IllegalArgumentException not an IP address with an optional prefix length
         */
        public Builder allowAddress(String cidr) {
            allowedAddresses.add(dev.eryx.internal.net.AddressBlock.parse(cidr).toString());
            return this;
        }

        /**
         * Connects through the HTTP proxies this selector names (CONNECT tunnels). The host then
         * checks only names: the proxy resolves them, so their addresses cannot be checked here.
         */
        public Builder proxy(ProxySelector selector) {
            this.proxySelector = Objects.requireNonNull(selector, "selector");
            this.proxyAddress = null;
            return this;
        }

        /**
         * Connects through this HTTP proxy (CONNECT tunnels); see {@link #proxy(ProxySelector)}.
         */
        public Builder proxy(InetSocketAddress address) {
            this.proxyAddress = Objects.requireNonNull(address, "address");
            this.proxySelector = null;
            return this;
        }

        /** Connections open at once per sandbox (default 10). */
        public Builder maxConnections(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnections must be >= 1, was " + max);
            }
            this.maxConnections = max;
            return this;
        }

        /** Longest wait for a TCP connect and TLS handshake (default 10 s). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /**
         * Longest wait for data on a connection the guest reads without a timeout of its own
         * (default 30 s).
         */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = positive(timeout, "readTimeout");
            return this;
        }

        /** Bytes in plus out per execution over all connections (default 64 MiB). */
        public Builder maxBytes(long max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxBytes must be >= 1, was " + max);
            }
            this.maxBytes = max;
            return this;
        }

        /** Trust anchors beside the JDK's, for TLS verification. */
        public Builder trustCertificates(X509Certificate... certificates) {
            for (X509Certificate certificate : certificates) {
                trustedCertificates.add(Objects.requireNonNull(certificate, "certificate"));
            }
            return this;
        }

        /**
         * Lets certificates the guest loads with {@code SSLContext.load_verify_locations} act as
         * extra trust anchors. Without this call they are accepted and ignored: nothing the guest
         * does can weaken verification.
         */
        public Builder trustGuestCertificates() {
            this.guestTrustAnchors = true;
            return this;
        }

        /**
         * @throws IllegalStateException nothing is allowed
         */
        public NetworkPolicy build() {
            if (allowedHosts.isEmpty()
                    && allowedAddresses.isEmpty()
                    && !localhost
                    && !privateNetworks) {
                throw new IllegalStateException(
                        "the policy allows nothing: call allowHost, allowLocalhost,"
                                + " allowPrivateNetworks or allowAddress");
            }
            return new NetworkPolicy(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be > 0, was " + d);
            }
            return d;
        }
    }
}
