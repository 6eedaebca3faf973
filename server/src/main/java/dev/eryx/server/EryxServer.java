package dev.eryx.server;

import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.pool.SandboxPool;
import dev.eryx.server.internal.ServerConfig;
import dev.eryx.server.internal.ServerRuntime;
import dev.eryx.tool.PythonTool;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The execution server: a small JSON API over a {@link dev.eryx.pool.SandboxPool}, sessions that
 * can be saved and resumed on any replica sharing the state key, MCP over streamable HTTP at {@code
 * /mcp}, {@code /healthz} and Prometheus {@code /metrics}, on embedded Jetty.
 *
 * <pre>{@code
 * try (EryxServer server = EryxServer.builder().port(0).poolSize(4).build().start()) {
 *     URI execute = server.uri().resolve("/v1/execute"); // POST {"code": "print(1)"}
 *     ...
 * }
 * }</pre>
 *
 * <p><b>Routes</b> (JSON in and out): {@code POST /v1/execute}, {@code POST /v1/sessions}, {@code
 * POST /v1/sessions/{id}/execute} (both execute routes also stream as server-sent events), {@code
 * POST /v1/sessions/{id}/cancel}, {@code GET /v1/sessions/{id}/state}, {@code DELETE
 * /v1/sessions/{id}}, {@code GET /v1/sessions}, {@code GET /v1/stats}, {@code GET /healthz}, {@code
 * GET /metrics}, {@code /mcp}, and the web console at {@code /}. What the guest does is reported in
 * the body ({@code verdict}), never as an HTTP error; see docs/integrations.md.
 *
 * <p><b>Safety.</b> It binds 127.0.0.1 by default. Every request's {@code Host} (and {@code
 * Origin}, when present) must be an allowed one, which stops DNS rebinding. A bearer token, when
 * set, is required on every route but {@code /healthz} and the console's files (which hold no
 * data); it must be set to bind a non-loopback address or to serve a template that grants host
 * access. Request bodies and concurrent requests per token are bounded.
 *
 * <p>{@link #start()} builds the pool (the first sandbox of a JVM boots CPython: seconds) and
 * binds; {@link #close()} stops Jetty and closes the sessions and the pool.
 */
public final class EryxServer implements AutoCloseable {
    private final ServerConfig config;
    private final Object lock = new Object();
    private ServerRuntime runtime; // guarded by lock
    private boolean closed; // guarded by lock

    private EryxServer(ServerConfig config) {
        this.config = config;
    }

    /** A builder with the defaults listed on each of its methods. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds the pool and the sessions' tool, and binds the port.
     *
     * @return this server, started
     * @throws IllegalStateException already started or closed
     * @throws ServerStartException the port cannot be bound or the sandbox template is refused;
     *     everything started so far is closed again
     */
    public EryxServer start() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the server is closed");
            }
            if (runtime != null) {
                throw new IllegalStateException("the server is already started");
            }
            runtime = ServerRuntime.start(config);
            return this;
        }
    }

    /** The bound port (the chosen one when the builder said 0). */
    public int port() {
        return started().port();
    }

    /** {@code http://host:port/} of the bound address. */
    public URI uri() {
        return started().uri();
    }

    /** Waits until the server is closed (by another thread or a shutdown hook). */
    public void join() throws InterruptedException {
        started().join();
    }

    /** Stops Jetty, then closes every session and the pool. Idempotent. */
    @Override
    public void close() {
        ServerRuntime toClose;
        synchronized (lock) {
            closed = true;
            toClose = runtime;
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    private ServerRuntime started() {
        synchronized (lock) {
            if (runtime == null) {
                throw new IllegalStateException(
                        closed ? "the server is closed" : "the server is not started");
            }
            return runtime;
        }
    }

    /** Options of an {@link EryxServer}; {@link #build()} checks them together. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8080;
        private String token;
        private Consumer<Sandbox.Builder> template = b -> {};
        private boolean grantsHostAccess;
        private ResourceLimits resourceLimits = ResourceLimits.defaults();
        private ResourceLimits maxLimits;
        private PythonPackages packages;
        private int poolSize = Math.max(2, Runtime.getRuntime().availableProcessors());
        private Duration acquireTimeout = Duration.ofSeconds(5);
        private int maxSessions = 64;
        private Duration sessionIdleTimeout = Duration.ofMinutes(30);
        private byte[] stateKey;
        private int maxRequestBytes = 16 << 20;
        private int maxConcurrentPerToken = 8;
        private List<String> allowedHosts;
        private List<String> allowedOrigins;
        // The pool's and the tool's own builders check the options passed on to them, so each
        // check and its message live in one place; the server keeps the values for its config.
        private final SandboxPool.Builder poolChecks = SandboxPool.builder();
        private final PythonTool.Builder toolChecks = PythonTool.builder();

        private Builder() {}

        /** The address to bind (default {@code 127.0.0.1}); a non-loopback one needs a token. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The port to bind (default 8080); 0 picks a free one ({@link EryxServer#port()}). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, was " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * The bearer token every request but {@code /healthz} must carry ({@code Authorization:
         * Bearer <token>}); null (the default) for none, which only a loopback server without host
         * access may have.
         */
        public Builder token(String token) {
            if (token != null && (token.isBlank() || !token.strip().equals(token))) {
                throw new IllegalArgumentException(
                        "the token must be non-blank, without surrounding whitespace");
            }
            this.token = token;
            return this;
        }

        /**
         * Applied to the builder of every sandbox (pooled or a session's): env, files, mounts,
         * network, secrets, callbacks. The server sets the limits and the state key after it. Say
         * {@link #grantsHostAccess(boolean)} when it mounts, opens the network or gives secrets.
         */
        public Builder sandbox(Consumer<Sandbox.Builder> template) {
            this.template = Objects.requireNonNull(template, "template");
            return this;
        }

        /**
         * Whether the {@link #sandbox template} grants host access (mounts, network or secrets):
         * then a token is required even on loopback, since any local process could otherwise use
         * it. Default false.
         */
        public Builder grantsHostAccess(boolean grants) {
            this.grantsHostAccess = grants;
            return this;
        }

        /**
         * The limits of a request that asks for none (default {@link ResourceLimits#defaults()});
         * their memory and filesystem caps are those of every sandbox.
         */
        public Builder resourceLimits(ResourceLimits limits) {
            this.resourceLimits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * The most a request may ask for: its {@code timeout_ms}, {@code fuel} and {@code
         * max_output_bytes} are cut to these (default: the {@link #resourceLimits} themselves, so a
         * request may only ask for less).
         */
        public Builder maxLimits(ResourceLimits limits) {
            this.maxLimits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** Packages every sandbox has (see {@link dev.eryx.pool.SandboxPool.Builder#packages}). */
        public Builder packages(PythonPackages packages) {
            this.packages = Objects.requireNonNull(packages, "packages");
            return this;
        }

        /**
         * Most stateless executions at once (the pool's {@link SandboxPool.Builder#maxSize});
         * default CPUs, at least 2.
         */
        public Builder poolSize(int size) {
            try {
                poolChecks.maxSize(size);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("poolSize: " + e.getMessage(), e);
            }
            this.poolSize = size;
            return this;
        }

        /**
         * How long a stateless execution waits for a free sandbox before the answer is 429 (default
         * 5 s).
         */
        public Builder acquireTimeout(Duration timeout) {
            poolChecks.acquireTimeout(timeout);
            this.acquireTimeout = timeout;
            return this;
        }

        /**
         * Most live sessions, of the JSON API and MCP together (default 64); creating one beyond it
         * is answered 429.
         */
        public Builder maxSessions(int max) {
            toolChecks.maxSessions(max);
            this.maxSessions = max;
            return this;
        }

        /** A session unused this long is closed (default 30 minutes). */
        public Builder sessionIdleTimeout(Duration ttl) {
            toolChecks.sessionIdleTimeout(ttl);
            this.sessionIdleTimeout = ttl;
            return this;
        }

        /**
         * The HMAC key (at least 16 bytes; copied) that signs saved session states and checks those
         * resumed: replicas sharing it can resume each other's sessions. Default: a random key per
         * server.
         */
        public Builder stateKey(byte[] key) {
            Objects.requireNonNull(key, "key");
            if (key.length < 16) {
                throw new IllegalArgumentException(
                        "stateKey needs at least 16 bytes, got " + key.length);
            }
            this.stateKey = key.clone();
            return this;
        }

        /**
         * The largest request body accepted (default 16 MiB), on every route including {@code
         * /mcp}, chunked or not; a larger one is answered 413.
         */
        public Builder maxRequestBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxRequestBytes must be >= 1, was " + bytes);
            }
            this.maxRequestBytes = bytes;
            return this;
        }

        /**
         * Most requests of one token (or of the anonymous caller when there is no token) that run
         * code, or save a session's state, at once; one more is answered 429 (default 8).
         */
        public Builder maxConcurrentPerToken(int max) {
            if (max < 1) {
                throw new IllegalArgumentException(
                        "maxConcurrentPerToken must be >= 1, was " + max);
            }
            this.maxConcurrentPerToken = max;
            return this;
        }

        /**
         * The {@code Host} header values accepted ({@code name} or {@code name:port}; a name alone
         * accepts any port). Default: the bound host and port, and, on loopback, {@code localhost},
         * {@code 127.0.0.1} and {@code [::1]} with the port.
         */
        public Builder allowedHosts(List<String> hosts) {
            this.allowedHosts = normalised(hosts, "allowedHosts");
            return this;
        }

        /**
         * The {@code Origin} header values accepted when a request has one (such as {@code
         * https://app.example}). Default: on loopback, {@code http://localhost:port}, {@code
         * http://127.0.0.1:port} and {@code http://[::1]:port}; otherwise none.
         */
        public Builder allowedOrigins(List<String> origins) {
            this.allowedOrigins = normalised(origins, "allowedOrigins");
            return this;
        }

        /**
         * Checks the options together; nothing starts until {@link EryxServer#start()}.
         *
         * @throws IllegalStateException no token, and the host is not loopback or the template
         *     grants host access
         * @throws IllegalArgumentException the host is not an address of this machine's kind (it
         *     does not resolve)
         */
        public EryxServer build() {
            boolean loopback = isLoopback(host);
            if (token == null && !loopback) {
                throw new IllegalStateException(
                        "refusing to serve on "
                                + host
                                + " without a token: anyone who can reach it could run code;"
                                + " set a token (ERYX_API_TOKEN for eryx serve) or bind 127.0.0.1");
            }
            if (token == null && grantsHostAccess) {
                throw new IllegalStateException(
                        "refusing to serve sandboxes with host access (mounts, network or"
                                + " secrets) without a token: any local process could use it;"
                                + " set a token (ERYX_API_TOKEN for eryx serve)");
            }
            ResourceLimits max = maxLimits == null ? resourceLimits : maxLimits;
            byte[] key = stateKey;
            if (key == null) {
                key = new byte[32];
                new SecureRandom().nextBytes(key);
            }
            return new EryxServer(
                    new ServerConfig(
                            host,
                            port,
                            loopback,
                            token,
                            template,
                            resourceLimits,
                            max,
                            packages,
                            poolSize,
                            acquireTimeout,
                            maxSessions,
                            sessionIdleTimeout,
                            key,
                            maxRequestBytes,
                            maxConcurrentPerToken,
                            allowedHosts,
                            allowedOrigins));
        }

        private static boolean isLoopback(String host) {
            String bare =
                    host.startsWith("[") && host.endsWith("]")
                            ? host.substring(1, host.length() - 1)
                            : host;
            try {
                InetAddress[] all = InetAddress.getAllByName(bare);
                for (InetAddress address : all) {
                    if (!address.isLoopbackAddress()) {
                        return false;
                    }
                }
                return all.length > 0;
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("host " + host + " does not resolve", e);
            }
        }

        private static List<String> normalised(List<String> values, String what) {
            Objects.requireNonNull(values, what);
            return values.stream()
                    .map(
                            v -> {
                                if (v == null || v.isBlank()) {
                                    throw new IllegalArgumentException(
                                            what + " holds a blank value");
                                }
                                return v.strip().toLowerCase(Locale.ROOT);
                            })
                    .toList();
        }
    }
}
