package dev.eryx;

import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
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
    /** toString lists at most this many hosts and addresses. */
    private static final int TO_STRING_ITEMS = 5;

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
        this.allowedHosts = List.copyOf(new LinkedHashSet<>(b.allowedHosts));
        this.localhost = b.localhost;
        this.privateNetworks = b.privateNetworks;
        this.allowedAddresses = List.copyOf(new LinkedHashSet<>(b.allowedAddresses));
        this.proxySelector = b.proxySelector;
        this.proxyAddress = b.proxyAddress;
        this.maxConnections = b.maxConnections;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        this.maxBytes = b.maxBytes;
        this.trustedCertificates = List.copyOf(b.trustedCertificates);
        this.guestTrustAnchors = b.guestTrustAnchors;
    }

    /** A builder that allows nothing yet; {@link Builder#build()} needs at least one allowance. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The host patterns given to {@link Builder#allowHost}, normalized (lower case, ASCII form of
     * internationalized names, no trailing dot, IP literals in canonical form), without duplicates,
     * in the order given.
     */
    public List<String> allowedHosts() {
        return allowedHosts;
    }

    /** Whether {@link Builder#allowLocalhost()} was called. */
    public boolean allowsLocalhost() {
        return localhost;
    }

    /** Whether {@link Builder#allowPrivateNetworks()} was called. */
    public boolean allowsPrivateNetworks() {
        return privateNetworks;
    }

    /**
     * The CIDR blocks given to {@link Builder#allowAddress}, normalized ({@code 10.0.0.0/8}, {@code
     * fd00::/8}), without duplicates.
     */
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

    /** Connections open at once per sandbox. */
    public int maxConnections() {
        return maxConnections;
    }

    /** Longest wait for a DNS answer, a TCP connect or a TLS handshake. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Longest wait for data when the guest reads without a timeout of its own. */
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

    /** A short description: at most a few hosts and addresses are listed, then a count. */
    @Override
    public String toString() {
        return "NetworkPolicy{hosts="
                + shortList(allowedHosts)
                + (localhost ? ", localhost" : "")
                + (privateNetworks ? ", private networks" : "")
                + (allowedAddresses.isEmpty() ? "" : ", addresses=" + shortList(allowedAddresses))
                + (proxyAddress != null ? ", proxy=" + proxyAddress : "")
                + (proxySelector != null ? ", proxy selector" : "")
                + ", maxConnections="
                + maxConnections
                + "}";
    }

    private static String shortList(List<String> items) {
        int shown = Math.min(items.size(), TO_STRING_ITEMS);
        String head = String.join(", ", items.subList(0, shown));
        return "["
                + head
                + (items.size() > shown ? ", ... (" + (items.size() - shown) + " more)" : "")
                + "]";
    }

    /** Collects a policy; {@link #build()} validates it. Not thread-safe. */
    public static final class Builder {
        private static final int MAX_CONNECTIONS = 10_000;
        private static final int MAX_ENTRIES = 10_000;
        private static final Duration MAX_TIMEOUT = Duration.ofDays(1);

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
         * [v6]:port}) limits it to one port. Names are compared in lower case, without a trailing
         * dot, internationalized names in their ASCII form ({@link java.net.IDN#toASCII(String)}:
         * {@code bücher.example} is {@code xn--bcher-kva.example}). Addresses the name resolves to
         * are still checked: a name resolving to a loopback, private or special address is refused
         * unless {@link #allowLocalhost()}, {@link #allowPrivateNetworks()} or {@link
         * #allowAddress} admits it. An IP literal admits that address (on that port) for a connect.
         *
         * @param host the pattern, e.g. {@code api.example.com}, {@code *.example.com:443}
         * @return this builder
         * @throws IllegalArgumentException not a host name, pattern or literal: a URL, a space, an
         *     empty label, a {@code *} other than a whole first label, a port outside 1-65535
         */
        public Builder allowHost(String host) {
            Objects.requireNonNull(host, "host");
            allowedHosts.add(dev.eryx.internal.net.HostPattern.parse(host).toString());
            return this;
        }

        /**
         * Allows loopback addresses (127.0.0.0/8, ::1) and the name {@code localhost}, which is
         * answered 127.0.0.1 and ::1 without asking DNS.
         *
         * @return this builder
         */
        public Builder allowLocalhost() {
            this.localhost = true;
            return this;
        }

        /**
         * Allows private networks: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 (CGNAT)
         * and fc00::/7. Link-local and metadata addresses stay refused: admit those with {@link
         * #allowAddress}.
         *
         * @return this builder
         */
        public Builder allowPrivateNetworks() {
            this.privateNetworks = true;
            return this;
        }

        /**
         * Allows the addresses of a CIDR block ({@code 169.254.169.254/32}, {@code fd00::/8}), also
         * when they lie in a range refused by default. An address without a prefix length is one
         * address.
         *
         * @param cidr the block, e.g. {@code 169.254.169.254/32}
         * @return this builder
         * @throws IllegalArgumentException not an IP address with an optional prefix length, or
         *     host bits set ({@code 10.0.0.1/8})
         */
        public Builder allowAddress(String cidr) {
            Objects.requireNonNull(cidr, "cidr");
            allowedAddresses.add(dev.eryx.internal.net.AddressBlock.parse(cidr).toString());
            return this;
        }

        /**
         * Connects through the HTTP proxies this selector names (CONNECT tunnels). The host then
         * checks only names: the proxy resolves them, so their addresses cannot be checked here.
         * The selector is asked with {@code https://host/} for each allowed name; a name it gives
         * no HTTP proxy for ({@code DIRECT}, or only SOCKS) is resolved and checked as without a
         * proxy. Loopback addresses under {@link #allowLocalhost()} are always reached directly.
         *
         * @param selector picks the proxy per host
         * @return this builder
         */
        public Builder proxy(ProxySelector selector) {
            this.proxySelector = Objects.requireNonNull(selector, "selector");
            this.proxyAddress = null;
            return this;
        }

        /**
         * Connects through this HTTP proxy (CONNECT tunnels); see {@link #proxy(ProxySelector)}.
         *
         * @param address the proxy's address and port
         * @return this builder
         * @throws IllegalArgumentException port 0
         */
        public Builder proxy(InetSocketAddress address) {
            Objects.requireNonNull(address, "address");
            if (address.getPort() == 0) {
                throw new IllegalArgumentException("the proxy needs a port: " + address);
            }
            this.proxyAddress = address;
            this.proxySelector = null;
            return this;
        }

        /**
         * Connections open at once per sandbox (default 10).
         *
         * @param max 1 to 10000
         * @return this builder
         * @throws IllegalArgumentException out of range
         */
        public Builder maxConnections(int max) {
            if (max < 1 || max > MAX_CONNECTIONS) {
                throw new IllegalArgumentException(
                        "maxConnections must be from 1 to " + MAX_CONNECTIONS + ", was " + max);
            }
            this.maxConnections = max;
            return this;
        }

        /**
         * Longest wait for a DNS answer, a TCP connect and a TLS handshake (default 10 s).
         *
         * @param timeout more than 0, at most a day
         * @return this builder
         * @throws IllegalArgumentException out of range
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /**
         * Longest wait for data on a connection the guest reads without a timeout of its own
         * (default 30 s).
         *
         * @param timeout more than 0, at most a day
         * @return this builder
         * @throws IllegalArgumentException out of range
         */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = positive(timeout, "readTimeout");
            return this;
        }

        /**
         * Bytes in plus out per execution over all connections (default 64 MiB).
         *
         * @param max at least 1
         * @return this builder
         * @throws IllegalArgumentException below 1
         */
        public Builder maxBytes(long max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxBytes must be >= 1, was " + max);
            }
            this.maxBytes = max;
            return this;
        }

        /**
         * Trust anchors beside the JDK's, for TLS verification.
         *
         * @param certificates the anchors (CA or self-signed server certificates)
         * @return this builder
         */
        public Builder trustCertificates(X509Certificate... certificates) {
            Objects.requireNonNull(certificates, "certificates");
            for (X509Certificate certificate : certificates) {
                trustedCertificates.add(Objects.requireNonNull(certificate, "certificate"));
            }
            return this;
        }

        /**
         * Lets certificates the guest loads with {@code SSLContext.load_verify_locations} act as
         * extra trust anchors. Without this call they are accepted and ignored: nothing the guest
         * does can weaken verification.
         *
         * @return this builder
         */
        public Builder trustGuestCertificates() {
            this.guestTrustAnchors = true;
            return this;
        }

        /**
         * Checks and freezes the policy. Host patterns and address blocks were already checked as
         * they were added; duplicates are dropped.
         *
         * @return the policy
         * @throws IllegalStateException nothing is allowed (no host, address, localhost or private
         *     networks), or more than 10000 host patterns or address blocks
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
            if (allowedHosts.size() > MAX_ENTRIES || allowedAddresses.size() > MAX_ENTRIES) {
                throw new IllegalStateException(
                        "the policy lists "
                                + allowedHosts.size()
                                + " hosts and "
                                + allowedAddresses.size()
                                + " address blocks; at most "
                                + MAX_ENTRIES
                                + " each (use a *.suffix pattern or a wider block)");
            }
            return new NetworkPolicy(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero() || d.compareTo(MAX_TIMEOUT) > 0) {
                throw new IllegalArgumentException(
                        name + " must be > 0 and at most a day, was " + d);
            }
            return d;
        }
    }
}
