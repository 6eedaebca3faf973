package dev.eryx.server.internal;

import dev.eryx.Sandbox;
import dev.eryx.mcp.EryxMcpServer;
import dev.eryx.micrometer.EryxPoolMetrics;
import dev.eryx.pool.SandboxPool;
import dev.eryx.server.ServerStartException;
import dev.eryx.tool.PythonTool;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.DispatcherType;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started server: the pool, the sessions' tool, the MCP server, the meters and Jetty, closed in
 * the reverse order.
 */
public final class ServerRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerRuntime.class);

    private final List<AutoCloseable> closeables; // in the order to close them
    private final Server jetty;
    private final int port;
    private final URI uri;

    private ServerRuntime(List<AutoCloseable> closeables, Server jetty, int port, URI uri) {
        this.closeables = closeables;
        this.jetty = jetty;
        this.port = port;
        this.uri = uri;
    }

    /** Starts everything, or closes what had started and throws. */
    public static ServerRuntime start(ServerConfig config) {
        List<AutoCloseable> started = new ArrayList<>(); // closed in reverse on failure
        try {
            QueuedThreadPool threads = new QueuedThreadPool(threadsFor(config), 4);
            threads.setName("eryx-http");
            Server jetty = new Server(threads);
            ServerConnector connector = new ServerConnector(jetty);
            // The connector is bound by open() below, also when Jetty then never starts.
            started.add(
                    () -> {
                        jetty.stop();
                        connector.close();
                    });
            connector.setHost(config.host());
            connector.setPort(config.port());
            connector.setIdleTimeout(idleTimeout(config).toMillis());
            jetty.addConnector(connector);
            try {
                // Binds first: a taken port fails before CPython boots, and the Host policy
                // learns a chosen port.
                connector.open();
            } catch (Exception e) {
                throw new ServerStartException(
                        "cannot bind " + config.host() + ":" + config.port() + ": " + e, e);
            }
            int port = connector.getLocalPort();

            PrometheusMeterRegistry registry =
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            started.add(registry::close);
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);

            EryxPoolMetrics poolMetrics = new EryxPoolMetrics();
            Consumer<Sandbox.Builder> template =
                    config.template().andThen(b -> b.stateKey(config.stateKey()));
            SandboxPool.Builder poolBuilder =
                    SandboxPool.builder()
                            .maxSize(config.poolSize())
                            .minIdle(1)
                            .acquireTimeout(config.acquireTimeout())
                            .resourceLimits(config.defaultLimits())
                            .template(template);
            poolBuilder.listener(poolMetrics);
            if (config.packages() != null) {
                poolBuilder.packages(config.packages());
            }
            SandboxPool pool;
            try {
                pool = poolBuilder.build();
            } catch (RuntimeException e) {
                throw new ServerStartException(
                        "cannot build the sandbox pool: " + e.getMessage(), e);
            }
            started.add(pool);
            poolMetrics.bindTo(registry);

            Duration maxTimeout = config.maxLimits().executionTimeout();
            InstantSource clock = InstantSource.system();
            // Every run of the tool, the JSON API's and MCP's, for GET /v1/stats.
            RunLog runLog = new RunLog(clock);
            PythonTool tool =
                    PythonTool.builder()
                            .pool(pool)
                            .maxTimeout(maxTimeout == null ? Duration.ofDays(1) : maxTimeout)
                            .maxLimits(config.maxLimits())
                            .maxSessions(config.maxSessions())
                            .sessionIdleTimeout(config.sessionIdleTimeout())
                            .runListener(runLog::runFinished)
                            .build();
            started.add(tool);
            Gauge.builder("eryx.sessions", tool, PythonTool::sessionCount)
                    .description("live sessions, of the JSON API and MCP together")
                    .register(registry);

            EryxMcpServer mcp =
                    EryxMcpServer.builder()
                            .tool(tool)
                            .name("eryx")
                            .httpSessionIdleTimeout(config.sessionIdleTimeout())
                            .maxHttpRequestBytes(config.maxRequestBytes())
                            .build();
            started.add(mcp);

            Sessions sessions = new Sessions(tool, config.defaultLimits(), config.maxSessions());
            ServletContextHandler context =
                    new ServletContextHandler("/", ServletContextHandler.NO_SESSIONS);
            FilterHolder guard =
                    new FilterHolder(
                            new GuardFilter(
                                    HostPolicy.of(config, port),
                                    config.token(),
                                    config.maxRequestBytes(),
                                    config.maxConcurrentPerToken(),
                                    registry));
            guard.setAsyncSupported(true);
            context.addFilter(guard, "/*", EnumSet.of(DispatcherType.REQUEST));
            ServletHolder mcpHolder = new ServletHolder("mcp", mcp.httpServlet("/mcp"));
            mcpHolder.setAsyncSupported(true);
            context.addServlet(mcpHolder, "/mcp");
            context.addServlet(
                    new ServletHolder(
                            "api",
                            new ApiServlet(
                                    tool,
                                    sessions,
                                    config.defaultLimits(),
                                    config.maxRequestBytes(),
                                    registry,
                                    pool,
                                    runLog,
                                    clock)),
                    "/");
            // "" is the context root alone: the console's page.
            ServletHolder console = new ServletHolder("console", new ConsoleServlet());
            context.addServlet(console, "");
            context.addServlet(console, "/console/*");
            // Requests Jetty refuses before any servlet (a bad URI, huge headers) get JSON too.
            jetty.setErrorHandler(new JsonErrorHandler());
            jetty.setHandler(context);
            try {
                jetty.start();
            } catch (Exception e) {
                throw new ServerStartException("cannot start Jetty: " + e, e);
            }
            URI uri = URI.create("http://" + uriHost(config.host()) + ":" + port + "/");
            // Jetty (first in the list) stops first: no request runs while the rest closes.
            List<AutoCloseable> closeOrder = new ArrayList<>(started.subList(0, 1));
            List<AutoCloseable> rest = new ArrayList<>(started.subList(1, started.size()));
            Collections.reverse(rest);
            closeOrder.addAll(rest);
            return new ServerRuntime(closeOrder, jetty, port, uri);
        } catch (RuntimeException e) {
            for (int i = started.size() - 1; i >= 0; i--) {
                closeQuietly(started.get(i));
            }
            throw e instanceof ServerStartException
                    ? e
                    : new ServerStartException("cannot start the server: " + e.getMessage(), e);
        }
    }

    public int port() {
        return port;
    }

    public URI uri() {
        return uri;
    }

    public void join() throws InterruptedException {
        jetty.join();
    }

    /** Stops Jetty first (no new requests), then the MCP server, the sessions, the pool. */
    @Override
    public void close() {
        for (AutoCloseable closeable : closeables) {
            closeQuietly(closeable);
        }
    }

    /**
     * Executions hold their request thread, and they are bounded by the per-token limit; the rest
     * is Jetty's own acceptors and selectors and the MCP streams.
     */
    private static int threadsFor(ServerConfig config) {
        return Math.max(32, 2 * (config.maxConcurrentPerToken() + config.poolSize()) + 16);
    }

    /** Longer than the longest execution a request may ask for, plus its wait for a sandbox. */
    private static Duration idleTimeout(ServerConfig config) {
        Duration max = config.maxLimits().executionTimeout();
        if (max == null) {
            return Duration.ofHours(1);
        }
        Duration needed = max.plus(config.acquireTimeout()).plusSeconds(30);
        return needed.compareTo(Duration.ofSeconds(60)) < 0 ? Duration.ofSeconds(60) : needed;
    }

    private static String uriHost(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.warn("closing {} failed", closeable, e);
        }
    }
}
