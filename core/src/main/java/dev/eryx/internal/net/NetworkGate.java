package dev.eryx.internal.net;

import dev.eryx.NetworkPolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One sandbox's view of its {@link NetworkPolicy}: answers the guest's {@code getaddrinfo} and
 * checks each {@code connect}. The name is checked before any DNS query, every address a name
 * resolves to is checked, and a connect is allowed only to an address this gate gave out for an
 * allowed name (remembered address → name) or to one the policy admits by itself, so the connection
 * goes to the address that was checked (no DNS-rebinding window). Thread-safe; AutoCloseable
 * because it owns the DNS threads ({@code eryx-dns-N}, daemons, started on the first query).
 *
 * <p>With a proxy, names are checked and nothing is resolved: {@link #resolve} hands out a
 * synthetic address from 198.18.0.0/15 (benchmarking, never a real destination) recorded for the
 * name, and {@link #checkConnect} turns it back into the name for the proxy's CONNECT.
 */
public final class NetworkGate implements AutoCloseable {
    /** Address records kept per sandbox; the oldest are dropped beyond this. */
    static final int MAX_RECORDS = 4096;

    private static final String LOCALHOST = "localhost";
    private static final List<InetAddress> LOOPBACK =
            List.of(IpLiteral.address(new byte[] {127, 0, 0, 1}), IpLiteral.address(v6Loopback()));

    /** Synthetic addresses for proxied names: 198.18.0.0/15. */
    private static final int SYNTHETIC_BASE = (198 << 24) | (18 << 16);

    private static final int SYNTHETIC_SIZE = 1 << 17;

    private final NetworkPolicy policy;
    private final Resolver resolver;
    private final List<HostPattern> names = new ArrayList<>();
    private final List<HostPattern> literals = new ArrayList<>();
    private final List<AddressBlock> blocks = new ArrayList<>();
    private final Duration timeout;

    private final Object lock = new Object();

    /** address → the names it was given out for, most recent last. Guarded by lock. */
    private final LinkedHashMap<InetAddress, Set<String>> given =
            new LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<InetAddress, Set<String>> e) {
                    return size() > MAX_RECORDS;
                }
            };

    /** Proxied names: synthetic address → name, name → synthetic address. Guarded by lock. */
    private final Map<InetAddress, Proxied> synthetic = new LinkedHashMap<>();

    private final Map<String, InetAddress> syntheticByName = new LinkedHashMap<>();
    private int nextSynthetic = 1;

    private final AtomicInteger dnsThreads = new AtomicInteger();
    private final ThreadPoolExecutor dns;

    private record Proxied(String name, InetSocketAddress proxy) {}

    /** A gate resolving with the JDK ({@link InetAddress#getAllByName}). */
    public NetworkGate(NetworkPolicy policy) {
        this(policy, name -> List.of(InetAddress.getAllByName(name)));
    }

    /** A gate with its own resolver (tests). */
    public NetworkGate(NetworkPolicy policy, Resolver resolver) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        for (String h : policy.allowedHosts()) {
            HostPattern p = HostPattern.parse(h);
            (p.isLiteral() ? literals : names).add(p);
        }
        for (String a : policy.allowedAddresses()) {
            blocks.add(AddressBlock.parse(a));
        }
        this.timeout = policy.connectTimeout();
        this.dns =
                new ThreadPoolExecutor(
                        2,
                        2,
                        30,
                        TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(64),
                        r -> {
                            Thread t = new Thread(r, "eryx-dns-" + dnsThreads.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        });
        dns.allowCoreThreadTimeOut(true);
    }

    /**
     * getaddrinfo: the name is checked before any DNS query (not allowed: NetException kind
     * NAME_NOT_ALLOWED → gaierror, no query sent); IP literals in every inet_aton form and IPv6
     * (zone ids, mapped) are normalized, not resolved (a literal is checked at connect); resolution
     * has a timeout (connectTimeout); every resolved address is checked; allowed ones are returned
     * (order kept) and recorded address → name for this sandbox; if none is allowed: NetException
     * DENIED naming the host, the address and the reason. {@code localhost} under allowLocalhost is
     * 127.0.0.1 and ::1 without DNS. With a proxy: names are checked, nothing is resolved; returns
     * one synthetic address from 198.18.0.0/15 recorded for the name.
     */
    public List<InetAddress> resolve(String host) throws NetException {
        if (host == null || host.isEmpty()) {
            throw new NetException(NetException.Kind.NAME_UNKNOWN, "getaddrinfo: empty host name");
        }
        Optional<InetAddress> literal = IpLiteral.parse(host);
        if (literal.isPresent()) {
            return List.of(literal.get());
        }
        String name = HostPattern.normalizeName(host);
        if (name == null) {
            throw new NetException(
                    NetException.Kind.NAME_UNKNOWN,
                    "getaddrinfo(" + quote(host) + "): not a valid host name");
        }
        boolean isLocalhost = name.equals(LOCALHOST);
        if (!(isLocalhost && policy.allowsLocalhost()) && !nameAllowed(name)) {
            throw new NetException(
                    NetException.Kind.NAME_NOT_ALLOWED,
                    "getaddrinfo("
                            + quote(host)
                            + "): the name is not allowed by the sandbox's network policy"
                            + " (NetworkPolicy.allowHost); no DNS query was made");
        }
        if (isLocalhost) {
            // Never asked of DNS: "localhost" is loopback by definition (RFC 6761).
            return admit(name, LOOPBACK);
        }
        InetSocketAddress proxy = proxyFor(name);
        if (proxy != null) {
            return List.of(syntheticFor(name, proxy));
        }
        return admit(name, query(name));
    }

    /**
     * connect(): the address must have been given out for an allowed name (port checked against
     * that name's pattern) or match allowLocalhost / allowPrivateNetworks / allowAddress / an
     * allowed IP literal. Returns where to really connect.
     */
    public Destination checkConnect(InetAddress address, int port) throws NetException {
        Objects.requireNonNull(address, "address");
        InetAddress a = IpLiteral.address(address.getAddress());
        String text = IpLiteral.format(a);
        if (port < 1 || port > 65535) {
            throw new NetException(
                    NetException.Kind.DENIED,
                    "connect to " + text + ": port " + port + " is not valid");
        }
        List<String> recorded;
        synchronized (lock) {
            Proxied p = synthetic.get(a);
            if (p != null) {
                if (!portAllowed(p.name, port)) {
                    throw portDenied(p.name, port);
                }
                return new Destination(p.name, a, port, p.proxy);
            }
            Set<String> names = given.get(a);
            recorded = names == null ? List.of() : new ArrayList<>(names);
        }
        for (int i = recorded.size() - 1; i >= 0; i--) {
            String name = recorded.get(i);
            if (portAllowed(name, port)) {
                return new Destination(name, a, port, null);
            }
        }
        if (!recorded.isEmpty()) {
            throw portDenied(recorded.get(recorded.size() - 1), port);
        }
        Optional<AddressRanges.Range> range = AddressRanges.classify(a);
        if (literalAdmitted(a, port)) {
            // Loopback is this machine: never sent through a proxy.
            boolean loopback =
                    range.isPresent() && range.get().category() == AddressRanges.Category.LOOPBACK;
            return new Destination(null, a, port, loopback ? null : proxyFor(text));
        }
        if (range.isPresent()) {
            throw new NetException(
                    NetException.Kind.DENIED,
                    "connect to "
                            + text
                            + ": "
                            + range.get().reason()
                            + "; "
                            + AddressRanges.remedy(range.get(), a));
        }
        throw new NetException(
                NetException.Kind.DENIED,
                "connect to "
                        + text
                        + ": the address was not given out for an allowed name (resolve the name"
                        + " with getaddrinfo first)");
    }

    /** Pool reset: drops the address → name records (and the synthetic proxy addresses). */
    public void forget() {
        synchronized (lock) {
            given.clear();
            synthetic.clear();
            syntheticByName.clear();
            nextSynthetic = 1;
        }
    }

    /** Stops the DNS threads; queries in flight fail. */
    @Override
    public void close() {
        dns.shutdownNow();
    }

    private boolean nameAllowed(String name) {
        for (HostPattern p : names) {
            if (p.matchesName(name)) {
                return true;
            }
        }
        return false;
    }

    private boolean portAllowed(String name, int port) {
        if (name.equals(LOCALHOST) && policy.allowsLocalhost()) {
            return true;
        }
        for (HostPattern p : names) {
            if (p.matches(name, port)) {
                return true;
            }
        }
        return false;
    }

    private NetException portDenied(String name, int port) {
        return new NetException(
                NetException.Kind.DENIED,
                "connect to "
                        + name
                        + ":"
                        + port
                        + ": the port is not allowed for this name by the sandbox's network policy"
                        + " (allowHost(\"host:port\") limits the port)");
    }

    /** An address not given out for a name: admitted only by the policy's own address rules. */
    private boolean literalAdmitted(InetAddress a, int port) {
        for (HostPattern p : literals) {
            if (p.matches(a, port)) {
                return true;
            }
        }
        return rangeAdmitted(a);
    }

    /** Loopback, private or any address by allowLocalhost / allowPrivateNetworks / allowAddress. */
    private boolean rangeAdmitted(InetAddress a) {
        for (AddressBlock b : blocks) {
            if (b.contains(a)) {
                return true;
            }
        }
        Optional<AddressRanges.Range> range = AddressRanges.classify(a);
        if (range.isEmpty()) {
            return false;
        }
        return switch (range.get().category()) {
            case LOOPBACK -> policy.allowsLocalhost();
            case PRIVATE -> policy.allowsPrivateNetworks();
            case SPECIAL -> false;
        };
    }

    /** An allowed name's addresses: keeps the public and admitted ones, records them. */
    private List<InetAddress> admit(String name, List<InetAddress> addresses) throws NetException {
        List<InetAddress> ok = new ArrayList<>();
        String firstRefusal = null;
        for (InetAddress raw : addresses) {
            InetAddress a = IpLiteral.address(raw.getAddress());
            if (ok.contains(a)) {
                continue;
            }
            Optional<AddressRanges.Range> range = AddressRanges.classify(a);
            boolean admitted = range.isEmpty() || rangeAdmitted(a) || literalPatternFor(a);
            if (admitted) {
                ok.add(a);
            } else if (firstRefusal == null) {
                firstRefusal = range.get().reason() + "; " + AddressRanges.remedy(range.get(), a);
            }
        }
        if (ok.isEmpty()) {
            throw new NetException(
                    NetException.Kind.DENIED,
                    name
                            + " resolves only to addresses the sandbox's network policy refuses: "
                            + (firstRefusal == null ? "no address" : firstRefusal));
        }
        synchronized (lock) {
            for (InetAddress a : ok) {
                Set<String> set = given.computeIfAbsent(a, k -> new LinkedHashSet<>());
                set.remove(name);
                set.add(name);
                if (set.size() > 16) {
                    set.remove(set.iterator().next());
                }
            }
        }
        return List.copyOf(ok);
    }

    private boolean literalPatternFor(InetAddress a) {
        for (HostPattern p : literals) {
            if (p.matches(a, p.port() == 0 ? 1 : p.port())) {
                return true;
            }
        }
        return false;
    }

    /** DNS on the gate's threads, bounded by connectTimeout. */
    private List<InetAddress> query(String name) throws NetException {
        Future<List<InetAddress>> future;
        try {
            future = dns.submit(() -> resolver.resolve(name));
        } catch (RejectedExecutionException e) {
            throw new NetException(
                    NetException.Kind.NAME_UNKNOWN,
                    "getaddrinfo("
                            + quote(name)
                            + "): too many DNS queries pending, or the sandbox is closed",
                    "EAI_AGAIN");
        }
        try {
            List<InetAddress> result = future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (result == null || result.isEmpty()) {
                throw unknown(name);
            }
            return result;
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new NetException(
                    NetException.Kind.NAME_UNKNOWN,
                    "getaddrinfo("
                            + quote(name)
                            + "): DNS did not answer within "
                            + seconds(timeout),
                    "EAI_AGAIN");
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new NetException(
                    NetException.Kind.CANCELLED, "getaddrinfo(" + quote(name) + ") cancelled");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownHostException) {
                throw unknown(name);
            }
            throw new NetException(
                    NetException.Kind.NAME_UNKNOWN,
                    "getaddrinfo(" + quote(name) + "): " + e.getCause(),
                    "EAI_FAIL");
        }
    }

    private static NetException unknown(String name) {
        return new NetException(
                NetException.Kind.NAME_UNKNOWN, "getaddrinfo(" + quote(name) + "): name not known");
    }

    /** The HTTP proxy for a host, or null to connect directly. */
    private InetSocketAddress proxyFor(String host) {
        Optional<InetSocketAddress> fixed = policy.proxyAddress();
        if (fixed.isPresent()) {
            return fixed.get();
        }
        Optional<ProxySelector> selector = policy.proxySelector();
        if (selector.isEmpty()) {
            return null;
        }
        List<Proxy> proxies;
        try {
            String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            proxies = selector.get().select(URI.create("https://" + h + "/"));
        } catch (RuntimeException e) {
            return null; // direct: then DNS and every address are checked as usual
        }
        if (proxies != null) {
            for (Proxy p : proxies) {
                if (p.type() == Proxy.Type.HTTP && p.address() instanceof InetSocketAddress a) {
                    return a;
                }
            }
        }
        return null;
    }

    private InetAddress syntheticFor(String name, InetSocketAddress proxy) throws NetException {
        synchronized (lock) {
            InetAddress a = syntheticByName.get(name);
            if (a != null) {
                synthetic.put(a, new Proxied(name, proxy));
                return a;
            }
            if (nextSynthetic >= SYNTHETIC_SIZE - 1) {
                throw new NetException(
                        NetException.Kind.LIMIT,
                        "getaddrinfo("
                                + quote(name)
                                + "): too many distinct names through the proxy");
            }
            int v = SYNTHETIC_BASE + nextSynthetic++;
            a =
                    IpLiteral.address(
                            new byte[] {
                                (byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v
                            });
            synthetic.put(a, new Proxied(name, proxy));
            syntheticByName.put(name, a);
            return a;
        }
    }

    private static byte[] v6Loopback() {
        byte[] b = new byte[16];
        b[15] = 1;
        return b;
    }

    private static String quote(String s) {
        String t = s.length() > 100 ? s.substring(0, 100) + "..." : s;
        return "\"" + t.replace("\"", "\\\"") + "\"";
    }

    private static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
