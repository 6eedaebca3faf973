package dev.eryx.cli;

import dev.eryx.ResourceLimits;
import dev.eryx.server.EryxServer;
import dev.eryx.server.ServerStartException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code eryx serve}: the execution server ({@link EryxServer}) until SIGINT or SIGTERM. The token
 * comes from the environment, never from a flag, which other users could read in {@code ps}.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "",
            "Runs the execution server until SIGINT or SIGTERM: POST /v1/execute,",
            "sessions under /v1/sessions (saved and resumed as signed states), MCP over",
            "streamable HTTP at /mcp, GET /healthz and Prometheus GET /metrics.",
            "The bearer token is read from the environment variable "
                    + ServeCommand.TOKEN_VARIABLE
                    + ", never",
            "from a flag. It is required on a non-loopback --host, and whenever the",
            "sandbox options grant host access (-v, --allow-host, --allow-localhost,",
            "--secret). The sandbox options are those of 'eryx -c'; --timeout etc. are",
            "the limits of a request that asks for none.",
            "The key that signs saved session states is read from "
                    + ServeCommand.STATE_KEY_VARIABLE
                    + " (hex or",
            "base64, at least 16 bytes); replicas or restarts sharing it resume each",
            "other's states. Without it a random key is made at each start.",
            "",
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Stopped (SIGINT or SIGTERM; the JVM's own status is then 130 or 143).",
            "2:Usage error, also a refusal to serve without a token.",
            "70:The server could not start (the port is taken, ...) or failed.",
        })
final class ServeCommand implements Callable<Integer> {
    /** Where the token comes from. */
    static final String TOKEN_VARIABLE = "ERYX_API_TOKEN";

    /** Where the key that signs saved session states comes from (hex or base64). */
    static final String STATE_KEY_VARIABLE = "ERYX_STATE_KEY";

    private static final java.util.regex.Pattern HEX =
            java.util.regex.Pattern.compile("(?:[0-9a-fA-F]{2})+");

    @Spec CommandSpec spec;

    @ParentCommand EryxCommand parent;

    @Option(
            names = "--host",
            paramLabel = "ADDRESS",
            description =
                    "Address to bind (default: 127.0.0.1). Any other than loopback needs a token.")
    String host = "127.0.0.1";

    @Option(
            names = "--port",
            paramLabel = "PORT",
            description = "Port to bind, 0 for any free one (default: 8080).")
    int port = 8080;

    @Option(
            names = "--pool-size",
            paramLabel = "N",
            description =
                    "Most stateless executions at once: the sandbox pool's size (default: the"
                            + " number of CPUs, at least 2).")
    Integer poolSize;

    @Option(
            names = "--max-sessions",
            paramLabel = "N",
            description = "Most live sessions, of the JSON API and MCP together (default: 64).")
    Integer maxSessions;

    @Option(
            names = "--session-ttl",
            paramLabel = "DURATION",
            converter = Converters.FiniteDurationConverter.class,
            description = "A session unused this long is closed (default: 30m).")
    Duration sessionTtl;

    @Option(
            names = "--max-timeout",
            paramLabel = "DURATION",
            converter = Converters.FiniteDurationConverter.class,
            description =
                    "The longest time limit a request may ask for with timeout_ms (default:"
                            + " --timeout, so a request may only ask for less).")
    Duration maxTimeout;

    /** Limits, mounts, environment, secrets, packages, network: as for {@code eryx -c}. */
    @Mixin SandboxOptions options;

    private final UnaryOperator<String> hostEnvironment;

    ServeCommand(UnaryOperator<String> hostEnvironment) {
        this.hostEnvironment = Objects.requireNonNull(hostEnvironment, "hostEnvironment");
    }

    @Override
    public Integer call() {
        if (parent != null) {
            parent.refuseOwnOptions(spec);
        }
        EryxServer server = build();
        try {
            server.start();
        } catch (ServerStartException e) {
            if (e.getCause() instanceof IllegalArgumentException) {
                // The library refused the sandbox the options describe: a usage error.
                throw usage(e.getCause().getMessage());
            }
            err().println("eryx: " + e.getMessage());
            err().flush();
            return ExitCodes.INTERNAL_ERROR;
        }
        // SIGINT and SIGTERM run the shutdown hooks: Jetty stops, then sessions and the pool.
        Thread hook = new Thread(server::close, "eryx-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean interrupted = false;
        try {
            String base = server.uri().toString().replaceFirst("/$", "");
            err().println("eryx: serving on " + base + " (MCP at /mcp)");
            err().flush();
            server.join();
            return ExitCodes.SUCCESS;
        } catch (InterruptedException e) {
            // The host embedding the command stops it so (a test, a wrapper): a stop, not a
            // failure.
            interrupted = true;
            return ExitCodes.CANCELLED;
        } finally {
            // Closed with the interrupt cleared: Jetty's stop waits, and would be cut short.
            server.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // The JVM is shutting down: the hook is what closed the server.
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The server the options describe; every refusal is a usage error, before anything starts. */
    private EryxServer build() {
        String token = hostEnvironment.apply(TOKEN_VARIABLE);
        if (token != null && token.isEmpty()) {
            token = null;
        }
        byte[] stateKey;
        try {
            stateKey = stateKey(hostEnvironment.apply(STATE_KEY_VARIABLE));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        SandboxOptions.Resolved sandbox = options.resolve(hostEnvironment, spec);
        ResourceLimits limits = sandbox.limits();
        requirePositive(poolSize, "--pool-size");
        requirePositive(maxSessions, "--max-sessions");
        if (maxTimeout != null
                && limits.executionTimeout() != null
                && maxTimeout.compareTo(limits.executionTimeout()) < 0) {
            if (options.timeout != null) {
                throw usage("--max-timeout must be at least --timeout");
            }
            // Only the default timeout is longer: requests that ask none get the maximum.
            limits = limits.toBuilder().executionTimeout(maxTimeout).build();
        }
        EryxServer.Builder b;
        try {
            b =
                    EryxServer.builder()
                            .host(host)
                            .port(port)
                            .sandbox(sandbox.template())
                            .grantsHostAccess(options.grantsHostAccess())
                            .resourceLimits(limits);
            if (token != null) {
                try {
                    b.token(token);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(TOKEN_VARIABLE + ": " + e.getMessage(), e);
                }
            }
            if (stateKey != null) {
                b.stateKey(stateKey);
            }
            if (maxTimeout != null) {
                b.maxLimits(limits.toBuilder().executionTimeout(maxTimeout).build());
            }
            if (sandbox.packages() != null) {
                b.packages(sandbox.packages());
            }
            if (poolSize != null) {
                b.poolSize(poolSize);
            }
            if (maxSessions != null) {
                b.maxSessions(maxSessions);
            }
            if (sessionTtl != null) {
                b.sessionIdleTimeout(sessionTtl);
            }
            return b.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            // IllegalStateException: no token where one is required; the message says why.
            throw usage(e.getMessage());
        }
    }

    /**
     * The state key from its variable's value: an even number of hex digits, else base64 (standard
     * or URL-safe alphabet); null when unset or empty.
     *
     * @throws IllegalArgumentException the value is neither, or shorter than 16 bytes
     */
    static byte[] stateKey(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String text = value.strip();
        byte[] key;
        if (HEX.matcher(text).matches()) {
            key = java.util.HexFormat.of().parseHex(text);
        } else {
            try {
                key =
                        text.indexOf('-') >= 0 || text.indexOf('_') >= 0
                                ? java.util.Base64.getUrlDecoder().decode(text)
                                : java.util.Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        STATE_KEY_VARIABLE + " must be hex or base64: " + e.getMessage(), e);
            }
        }
        if (key.length < 16) {
            throw new IllegalArgumentException(
                    STATE_KEY_VARIABLE
                            + " must hold at least 16 bytes (32 hex digits), got "
                            + key.length);
        }
        return key;
    }

    private void requirePositive(Integer value, String option) {
        if (value != null && value < 1) {
            throw usage(option + " must be at least 1, was " + value);
        }
    }

    private PrintWriter err() {
        return spec.commandLine().getErr();
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
